-- The staff console: accounts with a role, sessions in the database, and an audit log of every action.
-- A partner's staff are bound to that partner and see only its returns.
CREATE TABLE staff (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text        NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    role            text        NOT NULL CHECK (role IN ('ops', 'finance', 'partner')),
    partner_id      bigint      REFERENCES partners (id),
    -- scrypt$N$r$p$salt$key, salt and key in base64: a slow hash, never a bare digest.
    password_hash   text        NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    -- Failed sign-ins in a row; at the limit the account is locked until locked_until.
    failed_attempts integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    timestamptz,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT staff_partner_with_role CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

-- A signed-in browser: the cookie holds a random token, the table its SHA-256, so a copy of the table opens nothing.
CREATE TABLE staff_sessions (
    token_sha256 text        PRIMARY KEY,
    staff_id     bigint      NOT NULL REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id) WHERE revoked_at IS NULL;

-- Every action a staff member takes, append-only; `target` names what it acted on (return:UUID, refund:UUID, ...).
CREATE TABLE staff_audit (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id bigint      NOT NULL REFERENCES staff (id),
    action   text        NOT NULL CHECK (action <> ''),
    target   text        NOT NULL DEFAULT '',
    detail   jsonb       NOT NULL DEFAULT '{}',
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_audit_staff_idx ON staff_audit (staff_id, at);

CREATE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'staff_audit is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit
    FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only();

-- The console's search: by order reference, customer email and SKU (a return id is the primary key); with no text,
-- the newest changes first through returns_updated_idx, or of one state through returns_state_updated_idx.
CREATE INDEX returns_order_ref_idx ON returns (order_ref);
CREATE INDEX returns_customer_email_idx ON returns (lower(customer_email));
CREATE INDEX return_items_sku_idx ON return_items (sku);
