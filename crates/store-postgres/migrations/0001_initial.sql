-- Instants are BIGINT milliseconds since the Unix epoch, UTC, as in every sessiond store.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    auth_method   TEXT NOT NULL,
    password_hash TEXT,
    enabled       BOOLEAN NOT NULL,
    contexts      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Only SHA-256 hashes of tokens are stored.
CREATE TABLE sessions (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT,
    username              TEXT,
    role                  TEXT,
    token_hash            BYTEA NOT NULL UNIQUE,
    prev_token_hash       BYTEA UNIQUE,
    prev_token_expires_at BIGINT,
    created_at            BIGINT NOT NULL,
    last_activity         BIGINT NOT NULL,
    idle_expires_at       BIGINT NOT NULL,
    absolute_expires_at   BIGINT NOT NULL,
    deadline              BIGINT NOT NULL,
    renewed_at            BIGINT NOT NULL,
    state                 TEXT NOT NULL,
    end_reason            TEXT,
    ended_at              BIGINT,
    lookup_until          BIGINT NOT NULL,
    client_ip             TEXT,
    user_agent            TEXT,
    device                TEXT,
    fingerprint           TEXT,
    context               TEXT,
    persistent            BOOLEAN NOT NULL,
    data                  TEXT NOT NULL,
    version               BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, state, deadline);
CREATE INDEX sessions_by_state_deadline ON sessions (state, deadline);
CREATE INDEX sessions_by_lookup_until ON sessions (lookup_until);

CREATE TABLE audit_events (
    id           BIGSERIAL PRIMARY KEY,
    at           BIGINT NOT NULL,
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
