-- "Did we resolve your problem?": one answer per finished return, from the customer behind its status token.
-- The share of "no" is the negative response rate (NRR). An answer may be changed for 14 days after it was first
-- given; a "no" opens a follow-up that staff close with a note (the console's queue).
CREATE TABLE return_feedback (
    return_id        uuid        PRIMARY KEY REFERENCES returns (id),
    resolved         boolean     NOT NULL,
    -- One of the feedback reason codes the portal offers (texts per locale), only with a "no".
    reason           text        CHECK (reason IS NULL OR reason ~ '^[a-z][a-z0-9_]{0,39}$'),
    comment          text        NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
    -- The locale the customer answered in (NRR is reported per locale).
    locale           text        NOT NULL CHECK (locale <> ''),
    first_answered_at timestamptz NOT NULL DEFAULT now(),
    answered_at      timestamptz NOT NULL DEFAULT now(),
    -- A "no" opens a follow-up ('open'); staff close it with a note. A "yes" has none.
    follow_up        text        CHECK (follow_up IN ('open', 'closed')),
    follow_up_note   text,
    follow_up_by     text,
    follow_up_at     timestamptz,
    CONSTRAINT return_feedback_reason_with_no CHECK (reason IS NULL OR NOT resolved),
    -- A "no" always has a follow-up; one changed to "yes" keeps its follow-up, which staff still close.
    CONSTRAINT return_feedback_follow_up_of_no CHECK (resolved OR follow_up IS NOT NULL),
    CONSTRAINT return_feedback_closed_with_note CHECK (follow_up IS DISTINCT FROM 'closed'
        OR (follow_up_note IS NOT NULL AND follow_up_note <> '' AND follow_up_by IS NOT NULL))
);
CREATE INDEX return_feedback_open_idx ON return_feedback (answered_at) WHERE follow_up = 'open';

-- The 14 days are the database's rule, not the caller's: an answer older than that cannot change, and the first
-- answer's time never moves.
CREATE FUNCTION return_feedback_changeable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_answered_at IS DISTINCT FROM OLD.first_answered_at THEN
        RAISE EXCEPTION 'return_feedback.first_answered_at never changes'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'return_feedback_changeable';
    END IF;
    IF (NEW.resolved, NEW.reason, NEW.comment) IS DISTINCT FROM (OLD.resolved, OLD.reason, OLD.comment)
        AND now() > OLD.first_answered_at + interval '14 days' THEN
        RAISE EXCEPTION 'the answer for return % can no longer be changed (given %)', OLD.return_id, OLD.first_answered_at
            USING ERRCODE = 'check_violation', CONSTRAINT = 'return_feedback_changeable';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER return_feedback_changeable BEFORE UPDATE ON return_feedback
    FOR EACH ROW EXECUTE FUNCTION return_feedback_changeable();
