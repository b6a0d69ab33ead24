-- Money and goods that leave through the shop's providers, each a row sent with its idempotency key and retried
-- with backoff like refunds: replacement orders (exchange_orders, since 011), charges and authorisations on the
-- customer's payment (charges), and gift cards issued for store credit (gift_cards). With no provider configured
-- the ledger records each at once; with one, a row waits as a request, a worker claims it under a lease
-- (attempts counted) and records the provider's answer. All three share the columns the sender reads: status,
-- attempts, next_attempt_at, last_error, reference, idempotency_key.

-- A charge through the payment provider: 'pending' to charge, 'authorizing' to authorise (an instant exchange),
-- 'capturing' and 'releasing' an authorisation; each ends as 'charged', 'authorized', 'released' or 'failed'.
-- The ledger's 'recorded' is final.
ALTER TABLE charges DROP CONSTRAINT charges_status_check;
ALTER TABLE charges
    ADD CONSTRAINT charges_status_check CHECK (status IN (
        'recorded', 'charged', 'failed', 'authorized', 'released', 'pending', 'authorizing', 'capturing', 'releasing')),
    ADD COLUMN attempts        integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error      text;
CREATE INDEX charges_due_idx ON charges (next_attempt_at)
    WHERE status IN ('pending', 'authorizing', 'capturing', 'releasing');

-- The gift card issued for one settlement's store credit (the credit and its bonus together). The credit is in the
-- customer's ledger at once, whatever the provider does; the card is how the shop's checkout spends it. The
-- ledger issues the code itself ('issued'); a provider is asked for one ('pending' until it answers).
CREATE TABLE gift_cards (
    -- What the provider's report names the card by (reconcile credits), as a refund's id names a refund.
    id              uuid        NOT NULL,
    return_id       uuid        NOT NULL REFERENCES returns (id),
    seq             integer     NOT NULL,
    customer        text        NOT NULL,
    currency        char(3)     NOT NULL,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    expires_at      timestamptz,
    idempotency_key text        NOT NULL,
    provider        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('issued', 'pending', 'failed')),
    -- The card's code: the ledger's own, or the provider's answer.
    reference       text,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (return_id, seq),
    UNIQUE (return_id, idempotency_key),
    UNIQUE (return_id, id),
    CONSTRAINT gift_cards_issued_with_code CHECK (status <> 'issued' OR reference IS NOT NULL)
);
CREATE INDEX gift_cards_due_idx ON gift_cards (next_attempt_at) WHERE status = 'pending';
