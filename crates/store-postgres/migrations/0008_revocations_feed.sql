-- The revocations feed in commit order (GET /api/v1/revocations; docs/api.md). An end's place,
-- `end_seq`, is given by a trigger from a one-row counter. The trigger runs once the session's
-- row is locked, and the counter's row stays locked until the end commits, so a place taken
-- later belongs to an end committed later: a reader's cursor never moves past an end still in
-- flight, on any node. Ordering by `ended_at` could (seen with a 4.2 s row lock): the instant
-- is taken before the write. The counter's lock is the last one an end takes, so ends never
-- deadlock on it.
ALTER TABLE sessions ADD COLUMN end_seq BIGINT;
CREATE TABLE feed (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO feed (id, seq) VALUES (1, 0);

-- Ends stored before this migration keep their old order.
UPDATE sessions SET end_seq = r.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY ended_at, id COLLATE "C") AS n FROM sessions WHERE state <> 'active') AS r
WHERE sessions.id = r.id;
UPDATE feed SET seq = (SELECT COALESCE(MAX(end_seq), 0) FROM sessions) WHERE id = 1;

DROP INDEX IF EXISTS sessions_by_ended_at;
CREATE INDEX sessions_by_end_seq ON sessions (end_seq) WHERE end_seq IS NOT NULL;

CREATE FUNCTION sessions_end_seq() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE feed SET seq = seq + 1 WHERE id = 1 RETURNING seq INTO NEW.end_seq;
    RETURN NEW;
END
$$;
CREATE TRIGGER sessions_end_seq BEFORE INSERT OR UPDATE ON sessions
    FOR EACH ROW WHEN (NEW.state <> 'active' AND NEW.end_seq IS NULL)
    EXECUTE FUNCTION sessions_end_seq();
