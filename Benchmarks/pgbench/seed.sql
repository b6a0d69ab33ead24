-- Seeds a migrated database for the pgbench scripts beside this file: :returns returns (default 10000) in
-- in_transit with one event each, ids and status tokens derived from their number so the scripts can find them.
--   psql "$URL" -v returns=10000 -f Benchmarks/pgbench/seed.sql
\if :{?returns}
\else
\set returns 10000
\endif
INSERT INTO workflow_definitions (name, version, sha256, source) VALUES ('pgbench', 1, 'pgbench', 'pgbench')
ON CONFLICT DO NOTHING;
INSERT INTO returns (id, status_token, workflow_name, workflow_version, state, version, order_ref, customer_email,
                     locale, currency, paid_minor)
SELECT md5('pgb-' || g)::uuid, 'pgb-tok-' || g, 'pgbench', 1, 'in_transit', 1, 'PGB-' || g, 'c' || g || '@example.com',
       'de', 'EUR', 10990
FROM generate_series(1, :returns) g;
INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor)
SELECT md5('pgb-' || g)::uuid, 1, 'created', NULL, 'in_transit', 'pgbench' FROM generate_series(1, :returns) g;
ANALYZE;
