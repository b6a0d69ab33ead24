-- Delivery bookkeeping for the outbox dispatcher.

-- Which channel delivered a message (webhook, spool), and when it was last tried.
ALTER TABLE outbox ADD COLUMN channel text;
ALTER TABLE outbox ADD COLUMN last_attempt_at timestamptz;

-- The claim takes, per return, only the earliest pending message: it asks whether an earlier message of the
-- same return is still pending. This index answers that from pending rows only.
CREATE INDEX outbox_pending_return_idx ON outbox (return_id, seq, id) WHERE status = 'pending';
