-- Every per-return table keyed by return_id, so distributing by return_id later (Citus, docs/scaling.md) needs no
-- redesign: refunds and ledger payouts were the last keyed by their own id alone. A refund's id stays unique in
-- practice (random UUIDs) and is still indexed for lookups by id; the engine's idempotency keys already name the
-- return, so (return_id, idempotency_key) refuses exactly what idempotency_key alone did.

ALTER TABLE ledger_payouts ADD COLUMN return_id uuid;
UPDATE ledger_payouts p SET return_id = r.return_id FROM refunds r WHERE r.id = p.refund_id;
ALTER TABLE ledger_payouts ALTER COLUMN return_id SET NOT NULL;
ALTER TABLE ledger_payouts DROP CONSTRAINT ledger_payouts_refund_id_fkey;
ALTER TABLE ledger_payouts DROP CONSTRAINT ledger_payouts_pkey;
ALTER TABLE ledger_payouts DROP CONSTRAINT ledger_payouts_reference_key;

ALTER TABLE refunds DROP CONSTRAINT refunds_pkey;
ALTER TABLE refunds ADD PRIMARY KEY (return_id, id);
CREATE INDEX refunds_id_idx ON refunds (id);
ALTER TABLE refunds DROP CONSTRAINT refunds_idempotency_key_key;
ALTER TABLE refunds ADD CONSTRAINT refunds_idempotency_key_key UNIQUE (return_id, idempotency_key);

ALTER TABLE ledger_payouts ADD PRIMARY KEY (return_id, refund_id);
ALTER TABLE ledger_payouts ADD CONSTRAINT ledger_payouts_reference_key UNIQUE (return_id, reference);
ALTER TABLE ledger_payouts ADD FOREIGN KEY (return_id, refund_id) REFERENCES refunds (return_id, id);
