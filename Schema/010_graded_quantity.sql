-- A judged unit is not judged again (issue 15, item 5). Per return line: how many of the received units
-- inspections have graded, and how many of those were judged to no refund (wrong_item, empty_box). An inspection
-- grades only units received and not graded yet; the refund pays only graded units not refunded or written off.
ALTER TABLE return_items
    ADD COLUMN quantity_graded      integer NOT NULL DEFAULT 0,
    ADD COLUMN quantity_written_off integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT return_items_graded_within CHECK (quantity_graded BETWEEN 0 AND quantity_received),
    ADD CONSTRAINT return_items_written_off_within CHECK (quantity_written_off BETWEEN 0 AND quantity_graded);

-- Lines graded before this migration: what had arrived was judged, and what a non-refundable grade left unpaid
-- was written off.
UPDATE return_items SET quantity_graded = quantity_received WHERE grade IS NOT NULL;
UPDATE return_items SET quantity_written_off = greatest(quantity_received - quantity_refunded, 0)
WHERE grade IN ('wrong_item', 'empty_box');
