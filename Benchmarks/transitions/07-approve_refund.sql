-- The SQL Engine.apply sends for `approve_refund` (graded -> refund_pending) of the standard workflow, with an idempotency key.
-- Run by `returns bench transitions` with pgbench -M prepared; one script per lifecycle step, equal weights.
-- The writes nothing in the transaction reads back (its state, history line, notifications and their wake-up, timers,
-- the key's answer) are held and sent as one statement, returns_apply_writes (DeferredWrites, Schema/017), before the
-- transaction's next statement that needs them or before COMMIT; its JSON argument is concatenated here as the engine
-- builds it. pgbench replaces `:name` even inside quotes, so a literal number or null after a colon begins a literal
-- of its own ('"base":' || 'null,...').
\set n random(1, :returns)
BEGIN;
-- Database.transaction: this transaction's lock and statement limits (TransactionLimits, SET LOCAL semantics).
SELECT set_config('lock_timeout', '2000ms', true), set_config('statement_timeout', '30000ms', true);
-- Engine.apply: the row lock comes first, with the idempotency key read in the same statement
-- (ReturnRepository.lockReturn(_:readingKey:), TransitionStatements.LockReturnWithKey). The engine binds the key;
-- here it is the step's seq, so the join computes it from the locked row. The last column is the version as of the
-- statement's snapshot (named here, as \gset would otherwise set :version twice); it equals the locked row's
-- version unless the lock was waited for, which never happens here, so the engine's second read of the key is not
-- sent.
SELECT r.id, r.status_token, r.workflow_name, r.workflow_version, r.state, r.version, r.order_ref, r.customer_email,
       r.locale, r.currency, r.paid_minor, r.created_at, r.updated_at, r.partner_id, k.request_hash,
       k.response::text AS response_text, (SELECT version FROM returns WHERE id = r.id) AS version_before_lock
FROM returns r LEFT JOIN idempotency_keys k ON k.scope = r.id::text AND k.key = (r.version + 1)::text
WHERE r.id = (SELECT id FROM bench_returns WHERE n = :n) FOR UPDATE OF r \gset
\set seq :version + 1
-- issue_refund (DecisionWriter.settle): the new state and history line (updateState, appendEvent) are sent before
-- its first statement, the replacement orders placed so far (placeExchanges: exchangeOrders, itemStates).
SELECT returns_apply_writes((
    '[{"op":"state","return":"' || :id || '","state":"refund_pending","version":' || :seq || '},'
    || '{"op":"event","return":"' || :id || '","seq":' || :seq
    || ',"event":"approve_refund","from":"graded","to":"refund_pending","actor":"bench","data":{}}]')::jsonb);
SELECT line, sku, quantity, price_minor, currency::text, provider, status, reference, placed_at,
       difference_minor, settlement
FROM exchange_orders WHERE return_id = :id ORDER BY line;
SELECT line, sku, quantity, unit_price_minor, category, reason, quantity_received, quantity_refunded,
       grade, disposition, quantity_graded, quantity_written_off, resolution, exchange_sku, fallback
FROM return_items WHERE return_id = :id ORDER BY line;
-- settle: the item lines (itemStates), earlier settlements' label and bonus (settledBefore), the label already
-- charged (labelCharged), exchange orders (exchangeOrders), charges (charges), settlements so far (openReviews).
SELECT line, sku, quantity, unit_price_minor, category, reason, quantity_received, quantity_refunded,
       grade, disposition, quantity_graded, quantity_written_off, resolution, exchange_sku, fallback
FROM return_items WHERE return_id = :id ORDER BY line;
SELECT coalesce(bool_or(label_minor > 0), false), coalesce(bool_or(bonus_minor > 0), false)
FROM settlements WHERE return_id = :id;
SELECT (SELECT count(*) FROM refunds
        WHERE return_id = :id AND status <> 'failed' AND breakdown->'deductions' @> '[{"kind": "label_cost"}]')
     + (SELECT count(*) FROM settlements WHERE return_id = :id AND label_minor > 0);
SELECT line, sku, quantity, price_minor, currency::text, provider, status, reference, placed_at,
       difference_minor, settlement
FROM exchange_orders WHERE return_id = :id ORDER BY line;
SELECT id, idempotency_key LIKE 'instant:%', line, amount_minor, currency::text, status, provider FROM charges
WHERE return_id = :id ORDER BY line, created_at;
SELECT seq, breakdown::text, created_at FROM settlements WHERE return_id = :id ORDER BY seq;
-- The settlement and its refund (insertSettlement, insertRefund with its trigger), the credit's customer
-- (creditCustomer), the units refunded (addRefunded). 1-unit amounts (100) on 50-unit returns, the engine's
-- breakdown as a sample: a return picked again never trips the refund trigger or the refunded-quantity check.
INSERT INTO settlements (return_id, seq, currency, refund_minor, credit_minor, bonus_minor, charge_minor,
                         label_minor, breakdown)
VALUES (:id, :seq, 'EUR', 100, 0,
        0, 0, 0, :breakdown::jsonb)
ON CONFLICT DO NOTHING RETURNING 1;
INSERT INTO refunds (id, return_id, idempotency_key, amount_minor, currency, decided_seq, breakdown)
VALUES (gen_random_uuid(), :id, 'refund:' || :id::text || ':' || :seq::text, 100, 'EUR', :seq, :breakdown::jsonb)
ON CONFLICT (return_id, idempotency_key) DO NOTHING
RETURNING id;
SELECT coalesce(o.customer_id, lower(r.customer_email)) FROM returns r
LEFT JOIN orders o ON o.id = r.order_id WHERE r.id = :id;
UPDATE return_items SET quantity_refunded = quantity_refunded + 1
WHERE return_id = :id AND line = 1;
-- The held writes, before COMMIT (sendHeldWrites): start_timer: refund_timeout (armTimer: the function cancels the
-- pending one and inserts the new one), the answer under the idempotency key (recordIdempotencyKey).
SELECT returns_apply_writes((
    '[{"op":"timer","return":"' || :id || '","name":"refund_timeout","event":"refund_timeout","state":"refund_pending","seq":'
    || :seq || ',"base":' || 'null,"seconds":' || '259200},'
    || '{"op":"key","scope":"' || :id || '","key":"' || :seq
    || '","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","return":"' || :id
    || '","response":' || :response || '}]')::jsonb);
COMMIT;
