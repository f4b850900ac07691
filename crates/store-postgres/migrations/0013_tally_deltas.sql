-- The tallies of 0012 kept one row per key, updated in place: two writes moving sessions
-- between the same two keys in opposite directions locked those rows in opposite orders and
-- deadlocked (a context switch racing the context's removal answered 503), and every login
-- queued on the same rows. Each change now appends its delta instead, which locks no row that
-- another write holds; a read sums the deltas, and folds them first into one row per key (see
-- `Listing::tallies` in crates/store-postgres/src/store/sweep.rs), which each node does at least once a minute.
-- `user_tally` stays one row per user: only that user's own writes meet on it, one row each.
DROP TABLE session_tally;
CREATE TABLE session_tally (
    state   TEXT NOT NULL,
    role    TEXT NOT NULL,
    context TEXT NOT NULL,
    n       BIGINT NOT NULL
);
INSERT INTO session_tally (state, role, context, n)
    SELECT state, COALESCE(role, ''), COALESCE(context, ''), COUNT(*) FROM sessions
    GROUP BY 1, 2, 3;

DROP TABLE tally_users;
CREATE TABLE tally_users (n BIGINT NOT NULL);
INSERT INTO tally_users (n) SELECT COUNT(*) FROM user_tally;

CREATE OR REPLACE FUNCTION sessions_tally() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    users BIGINT;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'UPDATE' AND OLD.state IS NOT DISTINCT FROM NEW.state
            AND OLD.role IS NOT DISTINCT FROM NEW.role
            AND OLD.context IS NOT DISTINCT FROM NEW.context THEN
            RETURN NULL;
        END IF;
        INSERT INTO session_tally (state, role, context, n)
            VALUES (OLD.state, COALESCE(OLD.role, ''), COALESCE(OLD.context, ''), -1);
        IF OLD.state = 'active' AND OLD.user_id IS NOT NULL
            AND (TG_OP = 'DELETE' OR NEW.state <> 'active') THEN
            UPDATE user_tally SET n = n - 1 WHERE user_id = OLD.user_id;
            DELETE FROM user_tally WHERE user_id = OLD.user_id AND n <= 0;
            IF FOUND THEN
                INSERT INTO tally_users (n) VALUES (-1);
            END IF;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO session_tally (state, role, context, n)
            VALUES (NEW.state, COALESCE(NEW.role, ''), COALESCE(NEW.context, ''), 1);
        IF TG_OP = 'INSERT' AND NEW.state = 'active' AND NEW.user_id IS NOT NULL THEN
            INSERT INTO user_tally (user_id, n) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET n = user_tally.n + 1
                RETURNING n INTO users;
            IF users = 1 THEN
                INSERT INTO tally_users (n) VALUES (1);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END $$;
