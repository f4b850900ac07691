-- Keys of the backend API: only the SHA-256 of a key is kept (docs/api.md, "Backend API").
-- scopes are names separated by spaces; instants are milliseconds since the Unix epoch.
CREATE TABLE api_keys (
    name       TEXT PRIMARY KEY,
    hash       BLOB NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
