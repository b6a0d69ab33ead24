-- API keys for the HTTP service. A key is shown once when created; only its SHA-256 is kept. Partner keys
-- see the returns assigned to their partner; finance keys see refunds and manual reviews.
CREATE TABLE api_keys (
    key_hash   text        PRIMARY KEY,
    role       text        NOT NULL CHECK (role IN ('partner', 'finance')),
    partner_id bigint      REFERENCES partners (id),
    name       text        NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);
CREATE INDEX api_keys_partner_idx ON api_keys (partner_id) WHERE revoked_at IS NULL;

-- Superseded by api_keys (never used: partners had no way to get a key before this migration).
ALTER TABLE partners DROP COLUMN api_key_hash;

-- Where the customer ships from; partners are chosen by region.
ALTER TABLE returns ADD COLUMN region text CHECK (region <> '');

-- A partner's queue, keyset-paged by (updated_at, id).
CREATE INDEX returns_partner_queue_idx ON returns (partner_id, updated_at, id) WHERE partner_id IS NOT NULL;
