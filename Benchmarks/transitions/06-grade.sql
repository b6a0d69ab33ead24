-- The SQL Engine.apply sends for `grade` (inspected -> graded) of the standard workflow, with an idempotency key.
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
UPDATE returns SET state = 'graded', version = :seq, updated_at = now() WHERE id = :id;
INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data)
VALUES (:id, :seq, 'grade', 'inspected', 'graded', 'bench', '{"grade": "A"}'::jsonb);
-- record_inspection: grade A, restock (itemStates, setInspection, enqueueRestock)
SELECT line, sku, quantity, unit_price_minor, category, reason, quantity_received, quantity_refunded, grade,
       disposition, quantity_graded, quantity_written_off
FROM return_items WHERE return_id = :id ORDER BY line;
UPDATE return_items
SET grade = 'A', disposition = 'restock',
    quantity_written_off = quantity_written_off + CASE WHEN false THEN quantity_received - quantity_graded ELSE 0 END,
    quantity_graded = quantity_received
WHERE return_id = :id AND line = 1;
INSERT INTO inventory_outbox (return_id, seq, line, sku, quantity, grade, disposition)
SELECT i.return_id, :seq, i.line, i.sku,
       i.quantity_received - coalesce(
           (SELECT sum(o.quantity) FROM inventory_outbox o WHERE o.return_id = i.return_id AND o.line = i.line), 0),
       'A', 'restock'
FROM return_items i
WHERE i.return_id = :id AND i.line = 1
  AND i.quantity_received > coalesce(
      (SELECT sum(o.quantity) FROM inventory_outbox o WHERE o.return_id = i.return_id AND o.line = i.line), 0);
-- The answer is stored under the idempotency key (recordIdempotencyKey), then the commit.
INSERT INTO idempotency_keys (scope, key, request_hash, return_id, response)
VALUES (:id, :seq::text, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', :id, :response::jsonb);
COMMIT;
