-- Invalidations of the per-node cache (SESSION_FEATURE_CACHING) through the file: each process
-- that opens it writes its notices here, and each server reads the new ones four times a second
-- (crates/store-sqlite/src/bus.rs), so a change the CLI makes reaches a running server within a
-- second. The readers delete all but the newest 10,000.
CREATE TABLE notices (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    notice TEXT NOT NULL
);
