-- The engine's tables. Every per-return table carries return_id in its key, so it can later be
-- distributed by return_id without a redesign.

CREATE TABLE workflow_definitions (
    name        text        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    sha256      text        NOT NULL,
    source      text        NOT NULL,
    deployed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

CREATE TABLE partners (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL UNIQUE,
    region       text,
    api_key_hash text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE returns (
    id               uuid        PRIMARY KEY,
    status_token     text        NOT NULL UNIQUE,
    workflow_name    text        NOT NULL,
    workflow_version integer     NOT NULL,
    state            text        NOT NULL,
    -- Number of events applied; equals the last return_events.seq. Compare-and-set target.
    version          integer     NOT NULL DEFAULT 0 CHECK (version >= 0),
    order_ref        text        NOT NULL CHECK (order_ref <> ''),
    customer_email   text        NOT NULL CHECK (customer_email LIKE '%_@_%'),
    locale           text        NOT NULL DEFAULT 'en',
    currency         char(3)     NOT NULL,
    paid_minor       bigint      NOT NULL CHECK (paid_minor >= 0),
    partner_id       bigint      REFERENCES partners (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workflow_name, workflow_version) REFERENCES workflow_definitions (name, version)
);
CREATE INDEX returns_state_updated_idx ON returns (state, updated_at);
CREATE INDEX returns_updated_idx ON returns (updated_at, id);

CREATE TABLE return_items (
    return_id        uuid    NOT NULL REFERENCES returns (id),
    line             integer NOT NULL CHECK (line > 0),
    sku              text    NOT NULL CHECK (sku <> ''),
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_minor bigint  NOT NULL CHECK (unit_price_minor >= 0),
    currency         char(3) NOT NULL,
    PRIMARY KEY (return_id, line)
);

-- History: append-only, seq 1, 2, 3... per return with no gaps (the primary key refuses a duplicate,
-- the engine writes seq = version + 1 under the return's row lock).
CREATE TABLE return_events (
    return_id   uuid        NOT NULL REFERENCES returns (id),
    seq         integer     NOT NULL CHECK (seq > 0),
    event       text        NOT NULL,
    from_state  text,
    to_state    text        NOT NULL,
    actor       text        NOT NULL,
    data        jsonb       NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (return_id, seq)
);

CREATE FUNCTION return_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'return_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER return_events_no_update BEFORE UPDATE OR DELETE ON return_events
    FOR EACH ROW EXECUTE FUNCTION return_events_append_only();
CREATE TRIGGER return_events_no_truncate BEFORE TRUNCATE ON return_events
    FOR EACH STATEMENT EXECUTE FUNCTION return_events_append_only();

-- Notifications written in the transition's transaction; delivered later, at least once.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      uuid        NOT NULL UNIQUE,
    return_id       uuid        NOT NULL REFERENCES returns (id),
    seq             integer     NOT NULL,
    template        text        NOT NULL,
    locale          text        NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}',
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (return_id, seq, template)
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';

-- A timer fires its event only while the return is still in the state it was armed in.
CREATE TABLE timers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    return_id  uuid        NOT NULL REFERENCES returns (id),
    name       text        NOT NULL,
    event      text        NOT NULL,
    state      text        NOT NULL,
    armed_seq  integer     NOT NULL,
    due_at     timestamptz NOT NULL,
    status     text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'fired', 'cancelled', 'discarded')),
    settled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX timers_one_pending_per_name ON timers (return_id, name) WHERE status = 'pending';
CREATE INDEX timers_due_idx ON timers (due_at) WHERE status = 'pending';

CREATE TABLE refunds (
    id              uuid        PRIMARY KEY,
    return_id       uuid        NOT NULL REFERENCES returns (id),
    idempotency_key text        NOT NULL UNIQUE,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    currency        char(3)     NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'succeeded', 'failed')),
    decided_seq     integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_return_idx ON refunds (return_id);

-- Refunds of one return never add up to more than was paid, whoever writes them: the trigger locks
-- the return row, so two concurrent refunds are checked one after the other.
CREATE FUNCTION refunds_within_paid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    paid bigint;
    paid_currency char(3);
    refunded bigint;
BEGIN
    SELECT paid_minor, currency INTO paid, paid_currency FROM returns WHERE id = NEW.return_id FOR UPDATE;
    IF NEW.currency <> paid_currency THEN
        RAISE EXCEPTION 'refund currency % differs from the return''s currency %', NEW.currency, paid_currency
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT coalesce(sum(amount_minor), 0) INTO refunded FROM refunds
        WHERE return_id = NEW.return_id AND status <> 'failed' AND id <> NEW.id;
    IF refunded + NEW.amount_minor > paid THEN
        RAISE EXCEPTION 'refunds of return % would exceed the paid amount (% + % > %)',
            NEW.return_id, refunded, NEW.amount_minor, paid
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER refunds_within_paid BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_within_paid();

-- A repeated command answers with its first result. scope names what the key applies to
-- ('create', or the return's id for events).
CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    return_id    uuid,
    response     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
