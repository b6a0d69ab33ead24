-- A customer's status lookup: the return by its status token and its last 10 events. Needs seed.sql.
--   pgbench -n -M prepared -f Benchmarks/pgbench/status.sql -D returns=10000 -c 4 -j 2 -T 30 "$URL"
\set n random(1, :returns)
SELECT r.id, r.state, r.version, r.updated_at, e.seq, e.event, e.to_state, e.occurred_at
FROM returns r
LEFT JOIN LATERAL (
    SELECT seq, event, to_state, occurred_at FROM return_events
    WHERE return_id = r.id ORDER BY seq DESC LIMIT 10) e ON true
WHERE r.status_token = 'pgb-tok-' || :n;
