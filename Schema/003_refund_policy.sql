-- Per-item receipt and grading, and what the refund policy needs to compute and send refunds.

ALTER TABLE return_items
    ADD COLUMN category          text    NOT NULL DEFAULT 'general',
    ADD COLUMN reason            text    NOT NULL DEFAULT 'changed_mind',
    ADD COLUMN quantity_received integer NOT NULL DEFAULT 0,
    ADD COLUMN quantity_refunded integer NOT NULL DEFAULT 0,
    ADD COLUMN grade             text
        CHECK (grade IN ('A', 'B', 'C', 'D', 'X', 'wrong_item', 'empty_box')),
    ADD COLUMN disposition       text
        CHECK (disposition IN ('restock', 'open_box', 'refurbish', 'liquidate', 'return_to_vendor', 'donate',
                               'recycle', 'destroy')),
    -- A line is never received or refunded beyond what was returned.
    ADD CONSTRAINT return_items_received_within CHECK (quantity_received BETWEEN 0 AND quantity),
    ADD CONSTRAINT return_items_refunded_within CHECK (quantity_refunded BETWEEN 0 AND quantity);

ALTER TABLE returns ADD COLUMN ordered_at timestamptz;
CREATE INDEX returns_customer_created_idx ON returns (customer_email, created_at);

ALTER TABLE refunds
    ADD COLUMN breakdown          jsonb       NOT NULL DEFAULT '{}',
    ADD COLUMN attempts           integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error         text,
    ADD COLUMN provider           text,
    ADD COLUMN provider_reference text;
CREATE INDEX refunds_pending_idx ON refunds (next_attempt_at) WHERE status = 'pending';

-- The ledger provider's record: refunds approved for payout, once each.
CREATE TABLE ledger_payouts (
    refund_id    uuid        PRIMARY KEY REFERENCES refunds (id),
    amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
    currency     char(3)     NOT NULL,
    reference    text        NOT NULL UNIQUE,
    approved_at  timestamptz NOT NULL DEFAULT now()
);
