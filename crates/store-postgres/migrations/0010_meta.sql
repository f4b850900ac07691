-- Facts about the store itself, by name: `secret_check`, the check value of the server secret
-- the store was first opened with (an HMAC of a fixed label; never the secret).
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
