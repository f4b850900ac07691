-- The audit hash chain (SECURITY-TESTS row 48). Events written before it have no seq and stay
-- outside the chain until retention deletes them.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
CREATE UNIQUE INDEX audit_by_seq ON audit_events (seq);

-- One row: the newest link, and the last link that retention deleted.
CREATE TABLE audit_chain (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    head_seq  INTEGER NOT NULL,
    head_hash BLOB NOT NULL,
    base_seq  INTEGER NOT NULL,
    base_hash BLOB NOT NULL
);
INSERT INTO audit_chain VALUES (1, 0, zeroblob(32), 0, zeroblob(32));

-- sessiond never changes an audit record; retention only deletes the oldest.
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
