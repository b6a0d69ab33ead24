-- The SQL Engine.apply sends for `approve_refund` (graded -> refund_pending) of the standard workflow, with an idempotency key.
-- Run by `returns bench transitions` with pgbench -M prepared; one script per lifecycle step, equal weights.
\set n random(1, :returns)
BEGIN;
-- Database.transaction: this transaction's lock and statement limits (TransactionLimits, SET LOCAL semantics).
SELECT set_config('lock_timeout', '2000ms', true), set_config('statement_timeout', '30000ms', true);
-- Engine.apply: the row lock comes first (ReturnRepository.lockReturn).
SELECT id, status_token, workflow_name, workflow_version, state, version, order_ref, customer_email, locale,
       currency, paid_minor, created_at, updated_at, partner_id
FROM returns WHERE id = (SELECT id FROM bench_returns WHERE n = :n) FOR UPDATE \gset
\set seq :version + 1
-- The idempotency key is looked up under the lock (findIdempotencyKey).
SELECT request_hash, response::text FROM idempotency_keys WHERE scope = :id AND key = :seq::text;
-- Engine.commit: new state, then the history line (updateState, appendEvent).
UPDATE returns SET state = 'refund_pending', version = :seq, updated_at = now() WHERE id = :id;
INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data)
VALUES (:id, :seq, 'approve_refund', 'graded', 'refund_pending', 'bench', '{}'::jsonb);
-- issue_refund (itemStates, labelCharged, insertRefund with its trigger, addRefunded)
SELECT line, sku, quantity, unit_price_minor, category, reason, quantity_received, quantity_refunded, grade,
       disposition, quantity_graded, quantity_written_off
FROM return_items WHERE return_id = :id ORDER BY line;
SELECT count(*)::bigint FROM refunds
WHERE return_id = :id AND status <> 'failed' AND breakdown->'deductions' @> '[{"kind": "label_cost"}]';
INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, decided_seq, breakdown)
VALUES (gen_random_uuid(), :id, 'refund:' || :id::text || ':' || :seq::text, 100, 'EUR', :seq, :breakdown::jsonb)
ON CONFLICT (return_id, idempotency_key) DO NOTHING
RETURNING id;
UPDATE return_items SET quantity_refunded = quantity_refunded + 1 WHERE return_id = :id AND line = 1;
-- start_timer: refund_timeout (armTimer: cancel the pending one, insert the new one)
UPDATE timers SET status = 'cancelled', settled_at = now()
WHERE return_id = :id AND name = 'refund_timeout' AND status = 'pending';
INSERT INTO timers (return_id, name, event, state, armed_seq, due_at)
VALUES (:id, 'refund_timeout', 'refund_timeout', 'refund_pending', :seq, coalesce(NULL::timestamptz, now()) + make_interval(secs => 259200));
-- The answer is stored under the idempotency key (recordIdempotencyKey), then the commit.
INSERT INTO idempotency_keys (scope, key, request_hash, return_id, response)
VALUES (:id, :seq::text, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', :id, :response::jsonb);
COMMIT;
