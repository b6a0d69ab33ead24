-- The SQL Engine.apply sends for `ship` (label_issued -> in_transit) of the standard workflow, with an idempotency key.
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
-- notify: in_transit: the refunded-so-far sum of its payload reads no held row and goes out first (refundedMinor).
SELECT coalesce(sum(amount_minor), 0)::bigint FROM refunds WHERE return_id = :id AND status <> 'failed';
-- The first scan (DecisionWriter.reach(.firstScan)): an instant exchange's authorisation is released
-- (settleAuthorizations, beside the held writes), then when the return's money is released (releaseMoment, beside).
UPDATE charges SET status = CASE WHEN provider = 'ledger' THEN 'released'
                                 ELSE 'releasing' END,
                   attempts = 0
WHERE return_id = :id AND status IN ('authorized', 'authorizing') RETURNING line;
SELECT release_on FROM returns WHERE id = :id;
-- The held writes, before COMMIT (sendHeldWrites): new state and history line (updateState, appendEvent),
-- cancel_timer: label_expiry (cancelTimer), start_timer: transit_timeout (armTimer), notify: in_transit
-- (enqueueNotification, wake), the answer under the idempotency key (recordIdempotencyKey).
SELECT returns_apply_writes((
    '[{"op":"state","return":"' || :id || '","state":"in_transit","version":' || :seq || '},'
    || '{"op":"event","return":"' || :id || '","seq":' || :seq
    || ',"event":"ship","from":"label_issued","to":"in_transit","actor":"bench","data":' || :event_data || '},'
    || '{"op":"cancel_timer","return":"' || :id || '","name":"label_expiry"},'
    || '{"op":"timer","return":"' || :id || '","name":"transit_timeout","event":"declare_lost","state":"in_transit","seq":'
    || :seq || ',"base":' || 'null,"seconds":' || '1814400},'
    || '{"op":"notification","message":"' || gen_random_uuid()::text || '","return":"' || :id || '","seq":' || :seq
    || ',"template":"in_transit","locale":"' || :locale || '","payload":' || :payload || '},'
    || '{"op":"wake","channel":"returns_outbox"},'
    || '{"op":"key","scope":"' || :id || '","key":"' || :seq
    || '","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","return":"' || :id
    || '","response":' || :response || '}]')::jsonb);
COMMIT;
