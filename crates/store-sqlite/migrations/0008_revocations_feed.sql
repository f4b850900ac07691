-- The revocations feed in commit order (GET /api/v1/revocations; docs/api.md). An end's place,
-- `end_seq`, is given by a trigger in the transaction that writes the end, from a one-row
-- counter: SQLite runs one write transaction at a time, so a place taken later belongs to an end
-- committed later, and a reader's cursor never moves past an end still in flight. Ordering by
-- `ended_at` could: the instant is taken before the write, which may commit much later.
ALTER TABLE sessions ADD COLUMN end_seq INTEGER;
CREATE TABLE feed (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO feed (id, seq) VALUES (1, 0);

-- Ends stored before this migration keep their old order.
UPDATE sessions SET end_seq = r.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY ended_at, id) AS n FROM sessions WHERE state <> 'active') AS r
WHERE sessions.id = r.id;
UPDATE feed SET seq = (SELECT COALESCE(MAX(end_seq), 0) FROM sessions) WHERE id = 1;

DROP INDEX IF EXISTS sessions_by_ended_at;
CREATE INDEX sessions_by_end_seq ON sessions (end_seq) WHERE end_seq IS NOT NULL;

CREATE TRIGGER sessions_end_seq_on_update AFTER UPDATE OF state ON sessions
    WHEN NEW.state <> 'active' AND NEW.end_seq IS NULL
BEGIN
    UPDATE feed SET seq = seq + 1 WHERE id = 1;
    UPDATE sessions SET end_seq = (SELECT seq FROM feed WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER sessions_end_seq_on_insert AFTER INSERT ON sessions
    WHEN NEW.state <> 'active'
BEGIN
    UPDATE feed SET seq = seq + 1 WHERE id = 1;
    UPDATE sessions SET end_seq = (SELECT seq FROM feed WHERE id = 1) WHERE id = NEW.id;
END;
