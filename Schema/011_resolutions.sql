-- Resolutions: each returned line ends in a refund to the original payment, store credit, or an exchange for
-- another variant. Stock promised to exchanges, credit balances and what each resolution paid, charged or shipped
-- are rows here, and the database keeps their invariants: a unit of stock is never promised twice, a credit
-- balance never goes below zero, and a return's refunds and credit (bonus aside) never pass what it paid.

-- The shop's exchangeable variants: price in the variant's currency, stock on hand, and units promised to
-- exchanges (held). The CHECK is what refuses the last unit to the second of two concurrent requests: holding a
-- unit is an UPDATE of this row, so they are counted one after the other.
CREATE TABLE catalog_variants (
    sku         text        PRIMARY KEY CHECK (sku <> ''),
    product_id  text        NOT NULL CHECK (product_id <> ''),
    title       text        NOT NULL DEFAULT '',
    -- Size, colour and the like, as the shop names them.
    attributes  jsonb       NOT NULL DEFAULT '{}',
    price_minor bigint      NOT NULL CHECK (price_minor >= 0),
    currency    char(3)     NOT NULL,
    on_hand     integer     NOT NULL CHECK (on_hand >= 0),
    held        integer     NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT catalog_variants_held_within CHECK (held BETWEEN 0 AND on_hand)
);
CREATE INDEX catalog_variants_product_idx ON catalog_variants (product_id);

-- What each returned line resolves to. exchange_sku is the variant asked for; fallback is set when an exchange
-- could not ship and the line was refunded or credited instead.
ALTER TABLE return_items
    ADD COLUMN resolution   text NOT NULL DEFAULT 'refund'
        CHECK (resolution IN ('refund', 'store_credit', 'exchange')),
    ADD COLUMN exchange_sku text REFERENCES catalog_variants (sku),
    ADD COLUMN fallback     text CHECK (fallback IN ('refund', 'store_credit')),
    ADD CONSTRAINT return_items_exchange_names_sku CHECK ((resolution = 'exchange') = (exchange_sku IS NOT NULL)),
    ADD CONSTRAINT return_items_fallback_of_exchange CHECK (fallback IS NULL OR resolution = 'exchange');

-- When money for refunded lines is released, chosen by policy at request from the customer's tier.
ALTER TABLE returns ADD COLUMN release_on text NOT NULL DEFAULT 'inspection'
    CHECK (release_on IN ('inspection', 'receipt', 'first_scan', 'delivered'));

-- Units of a variant promised to one exchange line. A hold counts in catalog_variants.held while it is 'held';
-- shipping it takes the units off the shelf (on_hand); releasing or expiring it gives them back.
CREATE TABLE stock_holds (
    return_id  uuid        NOT NULL REFERENCES returns (id),
    line       integer     NOT NULL,
    sku        text        NOT NULL REFERENCES catalog_variants (sku),
    quantity   integer     NOT NULL CHECK (quantity > 0),
    -- The replacement's unit price when it was promised: what the exchange is settled at.
    price_minor bigint     NOT NULL CHECK (price_minor >= 0),
    status     text        NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'shipped', 'released', 'expired')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (return_id, line)
);
CREATE INDEX stock_holds_expiry_idx ON stock_holds (expires_at) WHERE status = 'held';

CREATE FUNCTION stock_holds_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'held' THEN
            UPDATE catalog_variants SET held = held + NEW.quantity WHERE sku = NEW.sku;
        ELSIF NEW.status = 'shipped' THEN
            UPDATE catalog_variants SET on_hand = on_hand - NEW.quantity WHERE sku = NEW.sku;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    -- Shipped is final; a lapsed hold (released, expired) can still ship, from free stock.
    IF OLD.status = 'shipped' OR (OLD.status <> 'held' AND NEW.status <> 'shipped') THEN
        RAISE EXCEPTION 'stock hold of return % line % is % and cannot become %',
            OLD.return_id, OLD.line, OLD.status, NEW.status USING ERRCODE = 'check_violation',
            CONSTRAINT = 'stock_holds_settled_once';
    END IF;
    IF OLD.status = 'held' AND NEW.status = 'shipped' THEN
        UPDATE catalog_variants SET held = held - OLD.quantity, on_hand = on_hand - OLD.quantity
        WHERE sku = OLD.sku;
    ELSIF OLD.status = 'held' THEN
        UPDATE catalog_variants SET held = held - OLD.quantity WHERE sku = OLD.sku;
    ELSE
        UPDATE catalog_variants SET on_hand = on_hand - OLD.quantity WHERE sku = OLD.sku;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER stock_holds_count BEFORE INSERT OR UPDATE ON stock_holds
    FOR EACH ROW EXECUTE FUNCTION stock_holds_count();

-- The replacement orders sent to the shop, one per exchange line, each under a deterministic idempotency key.
-- difference_minor is what the replacement costs more (positive) or less (negative) than the returned units are
-- worth; settlement says how that difference was settled once the returned units were judged.
CREATE TABLE exchange_orders (
    return_id        uuid        NOT NULL REFERENCES returns (id),
    line             integer     NOT NULL,
    sku              text        NOT NULL REFERENCES catalog_variants (sku),
    quantity         integer     NOT NULL CHECK (quantity > 0),
    price_minor      bigint      NOT NULL CHECK (price_minor >= 0),
    currency         char(3)     NOT NULL,
    idempotency_key  text        NOT NULL,
    provider         text        NOT NULL,
    -- recorded: the ledger holds it (the default provider); pending → sent (or failed) through the shop's webhook.
    status           text        NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'pending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    reference        text,
    placed_at        timestamptz NOT NULL DEFAULT now(),
    difference_minor bigint,
    settlement       text CHECK (settlement IN ('even', 'waived', 'charged', 'refunded', 'credited', 'review')),
    settled_seq      integer,
    PRIMARY KEY (return_id, line),
    -- Keys include return_id, so the table stays distributable by it (docs/scaling.md).
    UNIQUE (return_id, idempotency_key)
);
CREATE INDEX exchange_orders_due_idx ON exchange_orders (next_attempt_at) WHERE status = 'pending';

-- Price differences charged to the customer's original payment (an upsell), each itemised per line; and, for
-- an instant exchange, the replacement's price authorised at request, charged when the return did not ship by its
-- deadline (or ended without shipping) and released when it did.
CREATE TABLE charges (
    id              uuid        NOT NULL,
    return_id       uuid        NOT NULL REFERENCES returns (id),
    line            integer     NOT NULL,
    idempotency_key text        NOT NULL,
    amount_minor    bigint      NOT NULL CHECK (amount_minor > 0),
    currency        char(3)     NOT NULL,
    status          text        NOT NULL DEFAULT 'recorded'
        CHECK (status IN ('recorded', 'charged', 'failed', 'authorized', 'released')),
    provider        text        NOT NULL,
    reference       text,
    decided_seq     integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (return_id, id),
    UNIQUE (return_id, idempotency_key)
);

-- Store credit: one account per customer (the shop's customer id, else the lower-cased email) and currency. The
-- balance is kept by the entries' trigger; its CHECK is what refuses a debit past it, and the UPDATE locks the
-- account, so concurrent debits are counted one after the other.
CREATE TABLE credit_accounts (
    customer      text        NOT NULL CHECK (customer <> ''),
    currency      char(3)     NOT NULL,
    balance_minor bigint      NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_accounts_balance_not_negative CHECK (balance_minor >= 0),
    PRIMARY KEY (customer, currency)
);

-- The ledger: append-only. Credits (a return's credit, its bonus, an operator's positive adjustment) are lots
-- that can expire; debits, expiries and negative adjustments take from the lots that expire first (credit_lots).
CREATE TABLE credit_entries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer        text        NOT NULL,
    currency        char(3)     NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('credit', 'bonus', 'debit', 'expiry', 'adjustment')),
    amount_minor    bigint      NOT NULL CHECK (amount_minor <> 0),
    return_id       uuid        REFERENCES returns (id),
    idempotency_key text        NOT NULL UNIQUE,
    expires_at      timestamptz,
    -- The gift card code the credit provider issued for a return's credit.
    code            text,
    actor           text        NOT NULL,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (customer, currency) REFERENCES credit_accounts (customer, currency),
    CHECK ((kind IN ('credit', 'bonus')) <= (amount_minor > 0)),
    CHECK ((kind IN ('debit', 'expiry')) <= (amount_minor < 0))
);
CREATE INDEX credit_entries_account_idx ON credit_entries (customer, currency, id);
CREATE INDEX credit_entries_return_idx ON credit_entries (return_id) WHERE return_id IS NOT NULL;

CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER credit_entries_append_only BEFORE UPDATE OR DELETE ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER credit_entries_no_truncate BEFORE TRUNCATE ON credit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- What is left of each credit lot, spent earliest expiry first.
CREATE TABLE credit_lots (
    entry_id        bigint      PRIMARY KEY REFERENCES credit_entries (id),
    customer        text        NOT NULL,
    currency        char(3)     NOT NULL,
    remaining_minor bigint      NOT NULL CHECK (remaining_minor >= 0),
    expires_at      timestamptz
);
CREATE INDEX credit_lots_open_idx ON credit_lots (customer, currency, expires_at) WHERE remaining_minor > 0;

-- Keeps the balance and the lots: a positive entry opens a lot; a negative one takes from open lots, earliest
-- expiry first. The balance CHECK refuses an entry that would take more than there is.
CREATE FUNCTION credit_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    left_to_take bigint;
    lot record;
    taken bigint;
BEGIN
    UPDATE credit_accounts SET balance_minor = balance_minor + NEW.amount_minor, updated_at = now()
    WHERE customer = NEW.customer AND currency = NEW.currency;
    IF NEW.amount_minor > 0 THEN
        INSERT INTO credit_lots (entry_id, customer, currency, remaining_minor, expires_at)
        VALUES (NEW.id, NEW.customer, NEW.currency, NEW.amount_minor, NEW.expires_at);
        RETURN NEW;
    END IF;
    left_to_take := -NEW.amount_minor;
    FOR lot IN SELECT entry_id, remaining_minor FROM credit_lots
               WHERE customer = NEW.customer AND currency = NEW.currency AND remaining_minor > 0
               ORDER BY expires_at NULLS LAST, entry_id
    LOOP
        EXIT WHEN left_to_take = 0;
        taken := least(lot.remaining_minor, left_to_take);
        UPDATE credit_lots SET remaining_minor = remaining_minor - taken WHERE entry_id = lot.entry_id;
        left_to_take := left_to_take - taken;
    END LOOP;
    RETURN NEW;
END;
$$;
CREATE TRIGGER credit_entries_apply AFTER INSERT ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_entries_apply();

-- A return's refunds and its credit (without the bonus, the shop's gift) never pass what the return paid.
CREATE FUNCTION credit_within_paid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    paid bigint;
    refunded bigint;
    credited bigint;
BEGIN
    IF NEW.return_id IS NULL OR NEW.kind <> 'credit' THEN
        RETURN NEW;
    END IF;
    SELECT paid_minor INTO paid FROM returns WHERE id = NEW.return_id;
    SELECT coalesce(sum(amount_minor), 0) INTO refunded FROM refunds
        WHERE return_id = NEW.return_id AND status <> 'failed';
    SELECT coalesce(sum(amount_minor), 0) INTO credited FROM credit_entries
        WHERE return_id = NEW.return_id AND kind = 'credit';
    IF refunded + credited + NEW.amount_minor > paid THEN
        RAISE EXCEPTION 'credit of return % would pass what it paid (% refunded + % credited + % > %)',
            NEW.return_id, refunded, credited, NEW.amount_minor, paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'credit_within_paid';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER credit_within_paid BEFORE INSERT ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_within_paid();

-- Cases a person must look at: an exchange shipped for units inspection did not accept, a refund released before
-- inspection that inspection judged lower. amount_owed_minor is what the customer owes back.
CREATE TABLE resolution_reviews (
    return_id         uuid        NOT NULL REFERENCES returns (id),
    line              integer     NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('exchange_not_acceptable', 'released_refund_too_high')),
    amount_owed_minor bigint      NOT NULL CHECK (amount_owed_minor >= 0),
    currency          char(3)     NOT NULL,
    opened_seq        integer     NOT NULL,
    status            text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (return_id, line, kind)
);
CREATE INDEX resolution_reviews_open_idx ON resolution_reviews (created_at) WHERE status = 'open';

-- Each settlement of a return's judged units, itemised per line and resolution (Settlement in ReturnsCore): what
-- went back to the original payment, to store credit, the bonus, what was charged, and the fees and label taken.
CREATE TABLE settlements (
    return_id    uuid        NOT NULL REFERENCES returns (id),
    seq          integer     NOT NULL,
    currency     char(3)     NOT NULL,
    refund_minor bigint      NOT NULL CHECK (refund_minor >= 0),
    credit_minor bigint      NOT NULL CHECK (credit_minor >= 0),
    bonus_minor  bigint      NOT NULL CHECK (bonus_minor >= 0),
    charge_minor bigint      NOT NULL CHECK (charge_minor >= 0),
    label_minor  bigint      NOT NULL CHECK (label_minor >= 0),
    breakdown    jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (return_id, seq)
);
