-- Orders of record: what the shop sold and was paid. A return made from an order takes its items, prices,
-- currency, category and dates from the order's lines, never from the caller.
--
-- Returns made before this migration have no order (returns.order_id and return_items.order_line are NULL): their
-- prices are what the caller typed. They stay readable and movable, but no automatic approval (keep-it) applies
-- to a return without an order, and the per-order limits below cannot cover them.

CREATE TABLE orders (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_ref      text        NOT NULL UNIQUE CHECK (order_ref <> ''),
    customer_email text        NOT NULL CHECK (customer_email LIKE '%_@_%'),
    postal_code    text        CHECK (postal_code <> ''),
    -- The shop's id of the customer, when it has one: returns of all their orders count together for the
    -- serial-returner flag, whatever email each order was placed with.
    customer_id    text        CHECK (customer_id <> ''),
    ordered_at     timestamptz NOT NULL,
    delivered_at   timestamptz CHECK (delivered_at >= ordered_at),
    currency       char(3)     NOT NULL,
    region         text        CHECK (region <> ''),
    -- What the customer paid: the sum of the lines' quantity x unit price, kept by the engine on every upsert.
    paid_minor     bigint      NOT NULL CHECK (paid_minor >= 0),
    -- SHA-256 of the order as last written, so the same document again changes nothing.
    content_sha256 text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (lower(customer_email));
CREATE INDEX orders_customer_id_idx ON orders (customer_id) WHERE customer_id IS NOT NULL;

CREATE TABLE order_lines (
    order_id          bigint  NOT NULL REFERENCES orders (id),
    line_id           text    NOT NULL CHECK (line_id <> ''),
    sku               text    NOT NULL CHECK (sku <> ''),
    product_id        text,
    variant_id        text,
    title             text,
    quantity          integer NOT NULL CHECK (quantity > 0),
    -- Paid per unit after discounts, in the order's currency's minor units.
    unit_price_minor  bigint  NOT NULL CHECK (unit_price_minor >= 0),
    tax_minor         bigint  CHECK (tax_minor >= 0),
    category          text    NOT NULL DEFAULT 'general',
    final_sale        boolean NOT NULL DEFAULT false,
    -- Units held by returns of this line: requested, and not released by a return that ended without them.
    -- Kept by the return_items trigger below; the CHECK is what refuses a unit returned twice, whoever asks.
    quantity_returned integer NOT NULL DEFAULT 0,
    CONSTRAINT order_lines_returned_within CHECK (quantity_returned BETWEEN 0 AND quantity),
    PRIMARY KEY (order_id, line_id)
);

ALTER TABLE returns ADD COLUMN order_id bigint REFERENCES orders (id);
CREATE INDEX returns_order_idx ON returns (order_id) WHERE order_id IS NOT NULL;

ALTER TABLE return_items
    ADD COLUMN order_id      bigint,
    ADD COLUMN order_line    text,
    -- Units of the order line this item holds: its quantity while the return is open; at its end, what was
    -- received or refunded (so a cancelled return gives its units back).
    ADD COLUMN quantity_held integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT return_items_order_line_fkey
        FOREIGN KEY (order_id, order_line) REFERENCES order_lines (order_id, line_id),
    ADD CONSTRAINT return_items_order_line_whole CHECK ((order_id IS NULL) = (order_line IS NULL)),
    ADD CONSTRAINT return_items_held_within CHECK (quantity_held BETWEEN 0 AND quantity);
CREATE INDEX return_items_order_line_idx ON return_items (order_id, order_line) WHERE order_id IS NOT NULL;

-- Holds and releases order-line units. A unit received or refunded is always held, even one refunded after its
-- return ended, so received and refunded quantities summed over all returns of a line never pass what was ordered.
-- The UPDATE locks the order line, so concurrent returns of one line are counted one after the other.
CREATE FUNCTION return_items_hold_order_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.quantity_held := NEW.quantity;
    END IF;
    NEW.quantity_held := greatest(NEW.quantity_held, NEW.quantity_received, NEW.quantity_refunded);
    IF NEW.order_id IS NULL THEN
        RETURN NEW;
    END IF;
    delta := NEW.quantity_held - CASE WHEN TG_OP = 'UPDATE' THEN OLD.quantity_held ELSE 0 END;
    IF delta <> 0 THEN
        UPDATE order_lines SET quantity_returned = quantity_returned + delta
        WHERE order_id = NEW.order_id AND line_id = NEW.order_line;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER return_items_hold_order_line BEFORE INSERT OR UPDATE ON return_items
    FOR EACH ROW EXECUTE FUNCTION return_items_hold_order_line();

-- Refunds of all returns of one order never add up to more than the order paid. The order row is locked, so
-- concurrent refunds of two returns of one order are checked one after the other. Only a change that can raise
-- what is refunded is checked (a new refund, a larger amount, a failed refund revived): claiming and settling a
-- refund does not lock the order. Named to fire after refunds_within_paid, so the return is locked before the
-- order, as every transition does.
CREATE FUNCTION refunds_within_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    order_paid bigint;
    refunded bigint;
    the_order bigint;
BEGIN
    IF NEW.status = 'failed' OR (TG_OP = 'UPDATE' AND NEW.amount_minor <= OLD.amount_minor
                                 AND (OLD.status <> 'failed')) THEN
        RETURN NEW;
    END IF;
    SELECT order_id INTO the_order FROM returns WHERE id = NEW.return_id;
    IF the_order IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT paid_minor INTO order_paid FROM orders WHERE id = the_order FOR UPDATE;
    SELECT coalesce(sum(f.amount_minor), 0) INTO refunded
        FROM refunds f JOIN returns r ON r.id = f.return_id
        WHERE r.order_id = the_order AND f.status <> 'failed' AND f.id <> NEW.id;
    IF refunded + NEW.amount_minor > order_paid THEN
        RAISE EXCEPTION 'refunds of order % would exceed what it paid (% + % > %)',
            the_order, refunded, NEW.amount_minor, order_paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_order';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER refunds_within_paid_order BEFORE INSERT OR UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_within_order();

-- Merchants (the shop's systems) write orders.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('partner', 'finance', 'merchant'));

-- Failed order lookups, counted per client address and per order in fixed windows, so several instances share
-- one limit on guessing which orders exist. A lookup counts against its order before it runs and is taken back
-- when it succeeds, so parallel guesses cannot all pass the check. Old windows are pruned by the retention worker.
CREATE TABLE lookup_failures (
    scope        text        NOT NULL CHECK (scope IN ('address', 'order')),
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    failures     integer     NOT NULL CHECK (failures >= 0),
    PRIMARY KEY (scope, key, window_start)
);
