-- Stock movements for the retailer's inventory system: a second outbox, written in the same transaction as the
-- grading that sends an item back to stock (dispositions restock and open_box).
CREATE TABLE inventory_outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    return_id    uuid        NOT NULL REFERENCES returns (id),
    seq          integer     NOT NULL,
    line         integer     NOT NULL,
    sku          text        NOT NULL,
    quantity     integer     NOT NULL CHECK (quantity > 0),
    grade        text        NOT NULL,
    disposition  text        NOT NULL CHECK (disposition IN ('restock', 'open_box')),
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (return_id, seq, line)
);
CREATE INDEX inventory_outbox_pending_idx ON inventory_outbox (id) WHERE status = 'pending';
