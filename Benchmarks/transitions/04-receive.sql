-- The SQL Engine.apply sends for `receive` (in_transit -> received) of the standard workflow, with an idempotency key.
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
UPDATE returns SET state = 'received', version = :seq, updated_at = now() WHERE id = :id;
INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data)
VALUES (:id, :seq, 'receive', 'in_transit', 'received', 'bench', '{}'::jsonb);
-- record_receipt: all arrived (itemStates, setReceived)
SELECT line, sku, quantity, unit_price_minor, category, reason, quantity_received, quantity_refunded, grade,
       disposition, quantity_graded, quantity_written_off
FROM return_items WHERE return_id = :id ORDER BY line;
UPDATE return_items SET quantity_received = quantity WHERE return_id = :id AND line = 1;
-- cancel_timer: transit_timeout (cancelTimer)
UPDATE timers SET status = 'cancelled', settled_at = now()
WHERE return_id = :id AND name = 'transit_timeout' AND status = 'pending';
-- start_timer: inspection_sla (armTimer: cancel the pending one, insert the new one)
UPDATE timers SET status = 'cancelled', settled_at = now()
WHERE return_id = :id AND name = 'inspection_sla' AND status = 'pending';
INSERT INTO timers (return_id, name, event, state, armed_seq, due_at)
VALUES (:id, 'inspection_sla', 'inspection_overdue', 'received', :seq, coalesce(NULL::timestamptz, now()) + make_interval(secs => 172800));
-- notify: received (refundedMinor, enqueueNotification, wake)
SELECT coalesce(sum(amount_minor), 0)::bigint FROM refunds WHERE return_id = :id AND status <> 'failed';
INSERT INTO outbox (message_id, return_id, seq, template, locale, payload)
VALUES (gen_random_uuid(), :id, :seq, 'received', :locale, :payload::jsonb);
SELECT 1 FROM pg_notify('returns_outbox', '');
-- The answer is stored under the idempotency key (recordIdempotencyKey), then the commit.
INSERT INTO idempotency_keys (scope, key, request_hash, return_id, response)
VALUES (:id, :seq::text, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', :id, :response::jsonb);
COMMIT;
