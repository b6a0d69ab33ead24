-- The console's search by a carrier's tracking number, its queue of exchanges waiting for stock, and its figures.
-- A tracking number arrives in the data of a carrier scan's event (the ship event's "tracking_number"); the
-- partial index holds only those events, one small index per monthly partition.
CREATE INDEX return_events_tracking_idx ON return_events ((data ->> 'tracking_number'))
    WHERE data ? 'tracking_number';
-- Exchange lines whose hold lapsed before the replacement shipped: they wait for free stock (or fall back).
CREATE INDEX stock_holds_lapsed_idx ON stock_holds (updated_at) WHERE status = 'expired';
-- The console's figures read the returns made in the last days.
CREATE INDEX returns_created_idx ON returns (created_at);
