-- Counts without listing (the admin API): the sessions in each state, role and context, and
-- the users with an active session, kept by a trigger in the transaction of every write, so
-- reading them never counts the sessions. '' stands for no role or no context (a key column).
CREATE TABLE session_tally (
    state   TEXT NOT NULL,
    role    TEXT NOT NULL,
    context TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (state, role, context)
);
CREATE TABLE user_tally (
    user_id TEXT PRIMARY KEY,
    n       BIGINT NOT NULL
);
CREATE TABLE tally_users (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);

INSERT INTO session_tally (state, role, context, n)
    SELECT state, COALESCE(role, ''), COALESCE(context, ''), COUNT(*) FROM sessions
    GROUP BY 1, 2, 3;
INSERT INTO user_tally (user_id, n)
    SELECT user_id, COUNT(*) FROM sessions WHERE state = 'active' AND user_id IS NOT NULL
    GROUP BY user_id;
INSERT INTO tally_users (id, n) SELECT 1, COUNT(*) FROM user_tally;

-- Pinned to this schema: the tables it counts into are the store's own.
CREATE FUNCTION sessions_tally() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    users BIGINT;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'UPDATE' AND OLD.state IS NOT DISTINCT FROM NEW.state
            AND OLD.role IS NOT DISTINCT FROM NEW.role
            AND OLD.context IS NOT DISTINCT FROM NEW.context THEN
            RETURN NULL;
        END IF;
        UPDATE session_tally SET n = n - 1
            WHERE state = OLD.state AND role = COALESCE(OLD.role, '') AND context = COALESCE(OLD.context, '');
        DELETE FROM session_tally
            WHERE state = OLD.state AND role = COALESCE(OLD.role, '') AND context = COALESCE(OLD.context, '') AND n <= 0;
        IF OLD.state = 'active' AND OLD.user_id IS NOT NULL
            AND (TG_OP = 'DELETE' OR NEW.state <> 'active') THEN
            UPDATE user_tally SET n = n - 1 WHERE user_id = OLD.user_id;
            DELETE FROM user_tally WHERE user_id = OLD.user_id AND n <= 0;
            IF FOUND THEN
                UPDATE tally_users SET n = n - 1 WHERE id = 1;
            END IF;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO session_tally (state, role, context, n)
            VALUES (NEW.state, COALESCE(NEW.role, ''), COALESCE(NEW.context, ''), 1)
            ON CONFLICT (state, role, context) DO UPDATE SET n = session_tally.n + 1;
        IF TG_OP = 'INSERT' AND NEW.state = 'active' AND NEW.user_id IS NOT NULL THEN
            INSERT INTO user_tally (user_id, n) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET n = user_tally.n + 1
                RETURNING n INTO users;
            IF users = 1 THEN
                UPDATE tally_users SET n = n + 1 WHERE id = 1;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_tally AFTER INSERT OR UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_tally();
