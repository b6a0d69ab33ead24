-- History and notifications partitioned by month, and keys that carry return_id for a later move to Citus.
--
-- return_events and outbox grow with every transition; partitions by month keep each index small, let vacuum
-- work on one month at a time, and let an emptied outbox month go with DROP TABLE instead of row deletes.
--
-- What the partition key costs. PostgreSQL enforces a unique index on a partitioned table only per partition,
-- so every primary key and unique constraint below must include the partition column:
--   * return_events: (return_id, seq) is unique within a month, not across months. Nothing in the database
--     stops the same (return_id, seq) in two months any more; the engine guarantees it: a transition locks the
--     return's row (SELECT ... FOR UPDATE, or the version compare-and-set) and writes seq = version + 1 in the
--     same transaction, so two writers of one seq cannot both commit.
--   * outbox: message_id and (return_id, seq, template) are likewise unique per month only. message_id is a
--     random UUID written once; (return_id, seq) is unique by the same row lock.
--   * A read by return_id alone (a return's history, its pending messages) probes one index per partition,
--     because any month may hold the return's rows: cost grows with the number of months kept (measured: a
--     status lookup ran ~3x slower with 28 months than with 4; docs/scaling.md says how to archive old months).
--   * Each key is 8 bytes wider (the timestamp), and UPDATE may not move a row to another month (created_at and
--     occurred_at are never updated).
--   * PostgreSQL 15 refuses identity columns on partitioned tables: outbox.id takes its values from a sequence
--     default instead (same numbers, same order).
--
-- No DEFAULT partition, on purpose. A row outside every month would land in it silently; creating that month's
-- partition later then fails until the rows are moved out of the default, which for return_events means deleting
-- history the append-only trigger protects, and every later ATTACH has to scan the default under lock. Instead
-- returns_ensure_partitions() keeps the current month and the next three ready; it runs in this migration, on
-- every start of `returns` (each command migrates first) and on every pass of the retention worker, and
-- `returns db stats` shows the last month covered. A missing month fails loudly ("no partition of relation ...
-- found for row") instead of filling an unbounded catch-all.

-- Creates the monthly partitions of return_events and outbox from the month of `since` through the month of
-- `through` that do not exist yet, and returns how many it created. Each is created as a plain table and then
-- attached: ATTACH takes SHARE UPDATE EXCLUSIVE on the parent, which does not wait for or block inserts, updates
-- and deletes, where CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE. Existing months take no lock at all.
CREATE FUNCTION returns_ensure_partitions(
    since timestamptz DEFAULT now(), through timestamptz DEFAULT now() + interval '3 months'
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    -- UTC wall-clock months, so the bounds do not depend on the session's time zone.
    month timestamp;
    last timestamp;
    name text;
    created integer := 0;
BEGIN
    FOREACH parent IN ARRAY ARRAY['return_events', 'outbox'] LOOP
        month := date_trunc('month', since AT TIME ZONE 'UTC');
        last := date_trunc('month', through AT TIME ZONE 'UTC');
        WHILE month <= last LOOP
            name := parent || '_' || to_char(month, 'YYYY_MM');
            IF to_regclass(name) IS NULL THEN
                EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name, parent);
                EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                               parent, name, month AT TIME ZONE 'UTC',
                               (month + interval '1 month') AT TIME ZONE 'UTC');
                -- Statement triggers are not cloned to partitions: refuse TRUNCATE of a history month too.
                IF parent = 'return_events' THEN
                    EXECUTE format('CREATE TRIGGER return_events_no_truncate BEFORE TRUNCATE ON %I '
                                   'FOR EACH STATEMENT EXECUTE FUNCTION return_events_append_only()', name);
                END IF;
                created := created + 1;
            END IF;
            month := month + interval '1 month';
        END LOOP;
    END LOOP;
    RETURN created;
END;
$$;

-- Drops the outbox partitions of past months that retention has emptied, and returns how many. Reads and
-- updates that cannot name a month (settling a message by id, the claim's per-return check) open every
-- partition, so empty months would slow them a little more each month. Each is checked without a lock first,
-- then locked and checked again: a row written into it meanwhile keeps it. History months are never dropped.
CREATE FUNCTION returns_drop_empty_outbox_partitions() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part regclass;
    dropped integer := 0;
    empty boolean;
BEGIN
    FOR part IN
        SELECT c.oid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'outbox'::regclass AND c.relname ~ '^outbox_[0-9]{4}_[0-9]{2}$'
          AND to_date(right(c.relname, 7), 'YYYY_MM') < date_trunc('month', now() AT TIME ZONE 'UTC')
    LOOP
        EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %s)', part) INTO empty;
        CONTINUE WHEN NOT empty;
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', part);
        EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %s)', part) INTO empty;
        CONTINUE WHEN NOT empty;
        EXECUTE format('DROP TABLE %s', part);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END;
$$;

-- return_events: same columns, now partitioned by occurred_at.
ALTER TABLE return_events RENAME TO return_events_unpartitioned;
ALTER TABLE return_events_unpartitioned RENAME CONSTRAINT return_events_pkey TO return_events_unpartitioned_pkey;

CREATE TABLE return_events (
    return_id   uuid        NOT NULL CONSTRAINT return_events_return_id_fkey REFERENCES returns (id),
    seq         integer     NOT NULL CONSTRAINT return_events_seq_check CHECK (seq > 0),
    event       text        NOT NULL,
    from_state  text,
    to_state    text        NOT NULL,
    actor       text        NOT NULL,
    data        jsonb       NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- Unique per month; see the top of this file for why (return_id, seq) stays unique overall.
    PRIMARY KEY (return_id, seq, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- outbox: same columns, partitioned by created_at; id from a sequence (no identity on partitioned tables).
ALTER TABLE outbox RENAME TO outbox_unpartitioned;
ALTER TABLE outbox_unpartitioned RENAME CONSTRAINT outbox_pkey TO outbox_unpartitioned_pkey;
ALTER TABLE outbox_unpartitioned RENAME CONSTRAINT outbox_message_id_key TO outbox_unpartitioned_message_id_key;
ALTER TABLE outbox_unpartitioned
    RENAME CONSTRAINT outbox_return_id_seq_template_key TO outbox_unpartitioned_return_id_seq_template_key;
ALTER INDEX outbox_pending_idx RENAME TO outbox_unpartitioned_pending_idx;
ALTER INDEX outbox_pending_return_idx RENAME TO outbox_unpartitioned_pending_return_idx;
ALTER SEQUENCE outbox_id_seq RENAME TO outbox_unpartitioned_id_seq;

CREATE SEQUENCE outbox_id_seq AS bigint;
CREATE TABLE outbox (
    id              bigint      NOT NULL DEFAULT nextval('outbox_id_seq'),
    message_id      uuid        NOT NULL,
    return_id       uuid        NOT NULL CONSTRAINT outbox_return_id_fkey REFERENCES returns (id),
    seq             integer     NOT NULL,
    template        text        NOT NULL,
    locale          text        NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}',
    status          text        NOT NULL DEFAULT 'pending'
        CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    channel         text,
    last_attempt_at timestamptz,
    -- id leads, so settling a claimed message by id stays one index probe per month; return_id is in every key
    -- so the table can be distributed by it; created_at because it is the partition key.
    PRIMARY KEY (id, return_id, created_at),
    UNIQUE (message_id, return_id, created_at),
    UNIQUE (return_id, seq, template, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE outbox_id_seq OWNED BY outbox.id;

-- Every month that holds rows, through three months ahead.
SELECT returns_ensure_partitions(
    least(now(), (SELECT min(occurred_at) FROM return_events_unpartitioned),
          (SELECT min(created_at) FROM outbox_unpartitioned)));

INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data, occurred_at)
SELECT return_id, seq, event, from_state, to_state, actor, data, occurred_at FROM return_events_unpartitioned;
INSERT INTO outbox (id, message_id, return_id, seq, template, locale, payload, status, attempts, next_attempt_at,
                    last_error, created_at, delivered_at, channel, last_attempt_at)
SELECT id, message_id, return_id, seq, template, locale, payload, status, attempts, next_attempt_at, last_error,
       created_at, delivered_at, channel, last_attempt_at
FROM outbox_unpartitioned;
SELECT setval('outbox_id_seq', coalesce((SELECT max(id) FROM outbox), 0) + 1, false);

-- DROP TABLE takes the old append-only triggers with it; the data is in the new table.
DROP TABLE return_events_unpartitioned;
DROP TABLE outbox_unpartitioned;

-- Created on the parent, so every partition, present and future, gets them.
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_pending_return_idx ON outbox (return_id, seq, id) WHERE status = 'pending';
-- Retention finds delivered messages by age without reading pending ones.
CREATE INDEX outbox_delivered_idx ON outbox (delivered_at) WHERE status = 'delivered';

-- History stays append-only: row triggers on the parent are cloned to every partition; statement triggers are
-- not, so returns_ensure_partitions() gives each month its own TRUNCATE trigger. DROP or DETACH of a month is DDL
-- and needs the table's owner, like dropping the trigger itself.
CREATE TRIGGER return_events_no_update BEFORE UPDATE OR DELETE ON return_events
    FOR EACH ROW EXECUTE FUNCTION return_events_append_only();
CREATE TRIGGER return_events_no_truncate BEFORE TRUNCATE ON return_events
    FOR EACH STATEMENT EXECUTE FUNCTION return_events_append_only();

-- Retention deletes settled timers by age without reading pending ones.
CREATE INDEX timers_settled_idx ON timers (settled_at) WHERE status <> 'pending';

-- Keys ready for distribution by return_id (Citus requires the distribution column in every unique key). These
-- change no query: lookups by id alone still lead with id.
ALTER TABLE timers DROP CONSTRAINT timers_pkey, ADD PRIMARY KEY (id, return_id);
ALTER TABLE inventory_outbox DROP CONSTRAINT inventory_outbox_pkey, ADD PRIMARY KEY (id, return_id);
