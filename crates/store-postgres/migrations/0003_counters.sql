-- Counters the nodes share: the login lockout and the login and guessing limits (decision 0015).
-- Instants are milliseconds since the Unix epoch; a counter at or past expires_at is gone.
CREATE TABLE counters (
    key        TEXT PRIMARY KEY,
    value      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX counters_by_expiry ON counters (expires_at);
