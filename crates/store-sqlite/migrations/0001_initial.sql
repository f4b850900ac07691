-- Instants are INTEGER milliseconds since the Unix epoch, UTC: there is no naive time to get wrong.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    auth_method   TEXT NOT NULL,
    password_hash TEXT,
    enabled       INTEGER NOT NULL,
    contexts      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Only SHA-256 hashes of tokens are stored.
CREATE TABLE sessions (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT,
    username              TEXT,
    role                  TEXT,
    token_hash            BLOB NOT NULL UNIQUE,
    prev_token_hash       BLOB UNIQUE,
    prev_token_expires_at INTEGER,
    created_at            INTEGER NOT NULL,
    last_activity         INTEGER NOT NULL,
    idle_expires_at       INTEGER NOT NULL,
    absolute_expires_at   INTEGER NOT NULL,
    deadline              INTEGER NOT NULL,
    renewed_at            INTEGER NOT NULL,
    state                 TEXT NOT NULL,
    end_reason            TEXT,
    ended_at              INTEGER,
    lookup_until          INTEGER NOT NULL,
    client_ip             TEXT,
    user_agent            TEXT,
    device                TEXT,
    fingerprint           TEXT,
    context               TEXT,
    persistent            INTEGER NOT NULL,
    data                  TEXT NOT NULL,
    version               INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, state, deadline);
CREATE INDEX sessions_by_state_deadline ON sessions (state, deadline);
CREATE INDEX sessions_by_lookup_until ON sessions (lookup_until);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    event_type   TEXT NOT NULL,
    user_id      TEXT,
    username     TEXT,
    username_key TEXT,
    session_id   TEXT,
    ip           TEXT,
    user_agent   TEXT,
    details      TEXT NOT NULL
);
CREATE INDEX audit_by_at ON audit_events (at);
CREATE INDEX audit_by_user ON audit_events (username_key, at);
CREATE INDEX audit_by_session ON audit_events (session_id, at);
