-- The audit hash chain (SECURITY-TESTS row 48). Events written before it have no seq and stay
-- outside the chain until retention deletes them.
ALTER TABLE audit_events
    ADD COLUMN seq BIGINT UNIQUE,
    ADD COLUMN prev_hash BYTEA,
    ADD COLUMN hash BYTEA;

-- One row: the newest link, and the last link that retention deleted. Appends lock it, so the
-- nodes sharing this database build one chain.
CREATE TABLE audit_chain (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    head_seq  BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    base_seq  BIGINT NOT NULL,
    base_hash BYTEA NOT NULL
);
INSERT INTO audit_chain VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0, decode(repeat('00', 32), 'hex'));

-- sessiond never changes an audit record; retention only deletes the oldest.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
