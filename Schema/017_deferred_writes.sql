-- A transaction's held writes (DeferredWrites, Sources/ReturnsStore/Database): the writes nothing in it reads back
-- before it commits, sent as one statement before its next statement or its COMMIT, and applied here in the order
-- they were made. `writes` is a JSON array of objects; `op` names the write, the other members are its values
-- (uuids and timestamps as text, a timestamp as whole microseconds since 2000-01-01 UTC). An unknown op is an
-- error (CASE_NOT_FOUND), so nothing is skipped quietly. PL/pgSQL plans each statement once per session.
CREATE FUNCTION returns_apply_writes(writes jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    w jsonb;
BEGIN
    FOR w IN SELECT value FROM jsonb_array_elements(writes) LOOP
        CASE w->>'op'
        WHEN 'state' THEN
            UPDATE returns SET state = w->>'state', version = (w->>'version')::integer, updated_at = now()
            WHERE id = (w->>'return')::uuid;
        WHEN 'event' THEN
            INSERT INTO return_events (return_id, seq, event, from_state, to_state, actor, data)
            VALUES ((w->>'return')::uuid, (w->>'seq')::integer, w->>'event', w->>'from', w->>'to', w->>'actor',
                    w->'data');
        WHEN 'notification' THEN
            INSERT INTO outbox (message_id, return_id, seq, template, locale, payload)
            VALUES ((w->>'message')::uuid, (w->>'return')::uuid, (w->>'seq')::integer, w->>'template', w->>'locale',
                    w->'payload');
        WHEN 'wake' THEN
            PERFORM pg_notify(w->>'channel', '');
        WHEN 'cancel_timer' THEN
            UPDATE timers SET status = 'cancelled', settled_at = now()
            WHERE return_id = (w->>'return')::uuid AND name = w->>'name' AND status = 'pending';
        WHEN 'timer' THEN
            -- Arming replaces the pending timer of that name.
            UPDATE timers SET status = 'cancelled', settled_at = now()
            WHERE return_id = (w->>'return')::uuid AND name = w->>'name' AND status = 'pending';
            INSERT INTO timers (return_id, name, event, state, armed_seq, due_at)
            VALUES ((w->>'return')::uuid, w->>'name', w->>'event', w->>'state', (w->>'seq')::integer,
                    coalesce(timestamptz '2000-01-01 00:00:00+00' + (w->>'base')::bigint * interval '1 microsecond',
                             now())
                    + make_interval(secs => (w->>'seconds')::double precision));
        WHEN 'key' THEN
            INSERT INTO idempotency_keys (scope, key, request_hash, return_id, response)
            VALUES (w->>'scope', w->>'key', w->>'hash', (w->>'return')::uuid, w->'response');
        END CASE;
    END LOOP;
    RETURN jsonb_array_length(writes);
END $$;
