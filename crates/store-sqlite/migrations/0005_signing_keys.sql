-- The keys that sign access tokens: each seed sealed under the server secret (XChaCha20-Poly1305,
-- the kid as associated data), never in the clear. created_at is milliseconds since the epoch.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
