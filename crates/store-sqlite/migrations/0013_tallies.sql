-- Counts without listing (the admin API): the sessions in each state, role and context, and
-- the users with an active session, kept by triggers in the transaction of every write, so
-- reading them never counts the sessions. '' stands for no role or no context (a key column).
CREATE TABLE session_tally (
    state   TEXT NOT NULL,
    role    TEXT NOT NULL,
    context TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (state, role, context)
);
CREATE TABLE user_tally (
    user_id TEXT PRIMARY KEY,
    n       INTEGER NOT NULL
);
CREATE TABLE tally_users (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);

INSERT INTO session_tally (state, role, context, n)
    SELECT state, COALESCE(role, ''), COALESCE(context, ''), COUNT(*) FROM sessions
    GROUP BY 1, 2, 3;
INSERT INTO user_tally (user_id, n)
    SELECT user_id, COUNT(*) FROM sessions WHERE state = 'active' AND user_id IS NOT NULL
    GROUP BY user_id;
INSERT INTO tally_users (id, n) SELECT 1, COUNT(*) FROM user_tally;

CREATE TRIGGER user_tally_added AFTER INSERT ON user_tally
BEGIN
    UPDATE tally_users SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER user_tally_removed AFTER DELETE ON user_tally
BEGIN
    UPDATE tally_users SET n = n - 1 WHERE id = 1;
END;

CREATE TRIGGER tally_on_insert AFTER INSERT ON sessions
BEGIN
    INSERT INTO session_tally (state, role, context, n)
        VALUES (NEW.state, COALESCE(NEW.role, ''), COALESCE(NEW.context, ''), 1)
        ON CONFLICT (state, role, context) DO UPDATE SET n = n + 1;
    INSERT INTO user_tally (user_id, n)
        SELECT NEW.user_id, 1 WHERE NEW.state = 'active' AND NEW.user_id IS NOT NULL
        ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tally_on_update AFTER UPDATE OF state, role, context ON sessions
    WHEN OLD.state IS NOT NEW.state OR OLD.role IS NOT NEW.role OR OLD.context IS NOT NEW.context
BEGIN
    UPDATE session_tally SET n = n - 1
        WHERE state = OLD.state AND role = COALESCE(OLD.role, '') AND context = COALESCE(OLD.context, '');
    DELETE FROM session_tally
        WHERE state = OLD.state AND role = COALESCE(OLD.role, '') AND context = COALESCE(OLD.context, '') AND n <= 0;
    INSERT INTO session_tally (state, role, context, n)
        VALUES (NEW.state, COALESCE(NEW.role, ''), COALESCE(NEW.context, ''), 1)
        ON CONFLICT (state, role, context) DO UPDATE SET n = n + 1;
    UPDATE user_tally SET n = n - 1
        WHERE OLD.state = 'active' AND NEW.state <> 'active' AND user_id = OLD.user_id;
    DELETE FROM user_tally WHERE user_id = OLD.user_id AND n <= 0;
END;

CREATE TRIGGER tally_on_delete AFTER DELETE ON sessions
BEGIN
    UPDATE session_tally SET n = n - 1
        WHERE state = OLD.state AND role = COALESCE(OLD.role, '') AND context = COALESCE(OLD.context, '');
    DELETE FROM session_tally
        WHERE state = OLD.state AND role = COALESCE(OLD.role, '') AND context = COALESCE(OLD.context, '') AND n <= 0;
    UPDATE user_tally SET n = n - 1 WHERE OLD.state = 'active' AND user_id = OLD.user_id;
    DELETE FROM user_tally WHERE user_id = OLD.user_id AND n <= 0;
END;
