-- The console's search by a carrier's tracking number, its queue of exchanges waiting for stock, and its figures.
-- Each index is built in the migration's transaction, which holds writes to its table meanwhile: at 10,000,000
-- returns with 40,000,000 events, run it in a quiet hour (returns_created_idx took 2.6 s there).
-- A tracking number arrives in the data of a carrier scan's event (the ship event's "tracking_number"); the
-- partial index holds only those events, one small index per monthly partition.
CREATE INDEX return_events_tracking_idx ON return_events ((data ->> 'tracking_number'))
    WHERE data ? 'tracking_number';
-- Exchange lines whose hold lapsed before the replacement shipped: they wait for free stock (or fall back). A
-- return that ends releases its expired holds too, so the index holds only the open returns' waits.
CREATE INDEX stock_holds_lapsed_idx ON stock_holds (updated_at) WHERE status = 'expired';
CREATE OR REPLACE FUNCTION stock_holds_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- Shipped is final; a lapsed hold (released, expired) can still ship, from free stock; an expired hold is
    -- released, with no stock to give back, when its return ends.
    IF OLD.status = 'expired' AND NEW.status = 'released' THEN
        NEW.updated_at := now();
        RETURN NEW;
    END IF;
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
-- The console's figures read the returns made in the last days.
CREATE INDEX returns_created_idx ON returns (created_at);
