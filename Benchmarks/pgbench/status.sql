-- A customer's status lookup as `returns serve` sends it (StatusLookup in Sources/ReturnsStore/Returns): the return
-- by its status token, its state changes, its earliest pending timer and the total of its refunds. Needs seed.sql.
--   pgbench -n -M prepared -f Benchmarks/pgbench/status.sql -D returns=10000 -c 8 -j 2 -T 30 "$URL"
\set n random(1, :returns)
SELECT r.id, r.status_token, r.workflow_name, r.workflow_version, r.state, r.version, r.order_ref,
       r.customer_email, r.locale, r.currency, r.paid_minor, r.created_at, r.updated_at, r.partner_id,
       h.states, h.times, t.next_due, f.amount, f.counted, f.all_sent
FROM returns r
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(e.to_state ORDER BY e.seq), '{}') AS states,
           coalesce(array_agg(e.occurred_at ORDER BY e.seq), '{}') AS times
    FROM return_events e
    WHERE e.return_id = r.id AND e.from_state IS DISTINCT FROM e.to_state) h
CROSS JOIN LATERAL (
    SELECT min(due_at) AS next_due FROM timers WHERE return_id = r.id AND status = 'pending') t
CROSS JOIN LATERAL (
    SELECT coalesce(sum(amount_minor), 0)::int8 AS amount, count(*) AS counted,
           coalesce(bool_and(status = 'succeeded'), false) AS all_sent
    FROM refunds WHERE return_id = r.id AND status <> 'failed') f
WHERE r.status_token = 'pgb-tok-' || :n;
