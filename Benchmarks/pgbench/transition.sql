-- One transition as the engine commits it (Engine.apply): lock the return, compare-and-set its state and version,
-- append the event, queue a notification, re-arm a timer, wake the dispatchers. Needs seed.sql.
--   pgbench -n -M prepared -f Benchmarks/pgbench/transition.sql -D returns=10000 -c 4 -j 2 -T 30 "$URL"
\set n random(1, :returns)
BEGIN;
-- Database.transaction: this transaction's lock and statement limits (TransactionLimits, SET LOCAL semantics).
SELECT set_config('lock_timeout', '2000ms', true), set_config('statement_timeout', '30000ms', true);
SELECT version AS v FROM returns WHERE id = md5('pgb-' || :n)::uuid FOR UPDATE \gset
UPDATE returns SET state = 'in_transit', version = :v + 1, updated_at = now()
WHERE id = md5('pgb-' || :n)::uuid AND version = :v;
INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data)
VALUES (md5('pgb-' || :n)::uuid, :v + 1, 'scan', 'in_transit', 'in_transit', 'pgbench', '{"hub": "FRA"}');
INSERT INTO outbox (message_id, return_id, seq, template, locale, payload)
VALUES (gen_random_uuid(), md5('pgb-' || :n)::uuid, :v + 1, 'in_transit', 'de', '{"event": "scan"}');
UPDATE timers SET status = 'cancelled', settled_at = now()
WHERE return_id = md5('pgb-' || :n)::uuid AND name = 'transit_timeout' AND status = 'pending';
INSERT INTO timers (return_id, name, event, state, armed_seq, due_at)
VALUES (md5('pgb-' || :n)::uuid, 'transit_timeout', 'declare_lost', 'in_transit', :v + 1, now() + interval '21 days');
SELECT pg_notify('returns_outbox', '');
COMMIT;
