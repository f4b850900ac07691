//! The shape that sessiond's SQL stores (SQLite, PostgreSQL) share: one column list per table,
//! in the order every store binds values, and the builders of the statements that use it. Both
//! stores' migrations create these columns.

use std::time::Duration;

mod list;

pub use list::{Arg, TALLY_ROWS, TALLY_USERS, session_list, tally};

/// Connection settings of a SQL store (`SESSIOND_STORE_POOL_SIZE`, `SESSIOND_STORE_TIMEOUT_SECONDS`).
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Connections kept open (for SQLite: read connections; it has one writer).
    pub max_connections: u32,
    /// How long a request may wait for a connection (or SQLite's writer) before the store
    /// counts as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

pub const SESSION_COLUMNS: &str = "id, user_id, username, role, token_hash, prev_token_hash, prev_token_expires_at, \
    created_at, last_activity, idle_expires_at, absolute_expires_at, deadline, renewed_at, state, end_reason, \
    ended_at, lookup_until, client_ip, user_agent, device, fingerprint, context, persistent, data, version, \
    display_name, auth_method, ended_by, end_note";
pub const USER_COLUMNS: &str = "id, username, display_name, role, auth_method, password_hash, enabled, contexts, \
    created_at, updated_at, username_key";
pub const API_KEY_COLUMNS: &str = "name, hash, scopes, created_at, revoked_at, roles, users";
/// The columns of `signing_keys`, in the order both stores read and write them.
pub const SIGNING_KEY_COLUMNS: &str = "kid, sealed, created_at";
/// The last three place the event in the audit hash chain (`sessiond_core::audit_chain`).
pub const AUDIT_COLUMNS: &str = "at, event_type, user_id, username, session_id, ip, user_agent, details, \
    username_key, seq, prev_hash, hash";

/// Adds parameter 2 to counter parameter 1, or starts it again at parameter 2 with expiry
/// parameter 4 when it is missing or expired at parameter 3: one atomic statement in either
/// dialect (an upsert).
pub fn counter_upsert(p: Params) -> String {
    let m = p.mark();
    format!(
        "INSERT INTO counters (key, value, expires_at) VALUES ({m}1, {m}2, {m}4) \
         ON CONFLICT (key) DO UPDATE SET \
         value = CASE WHEN counters.expires_at <= {m}3 THEN excluded.value ELSE counters.value + excluded.value END, \
         expires_at = CASE WHEN counters.expires_at <= {m}3 THEN excluded.expires_at ELSE counters.expires_at END \
         RETURNING value, expires_at"
    )
}

/// How a dialect writes parameter `n`: SQLite `?n`, PostgreSQL `$n`.
#[derive(Debug, Clone, Copy)]
pub enum Params {
    Question,
    Dollar,
}

impl Params {
    pub fn mark(self) -> char {
        match self {
            Self::Question => '?',
            Self::Dollar => '$',
        }
    }

    /// `?1, ?2, ... ?n` (or `$1, ...`).
    pub fn list(self, n: usize) -> String {
        (1..=n)
            .map(|i| format!("{}{i}", self.mark()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `a = ?2, b = ?3, ...` for every column but `skip`, numbered by position so one value list
    /// serves the INSERT and the UPDATE.
    pub fn set_clause(self, columns: &str, skip: &[&str]) -> String {
        columns
            .split(", ")
            .enumerate()
            .filter(|(_, c)| !skip.contains(c))
            .map(|(i, c)| format!("{c} = {}{}", self.mark(), i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_number_by_position() {
        assert_eq!(Params::Question.list(3), "?1, ?2, ?3");
        assert_eq!(
            Params::Dollar.set_clause("id, a, b", &["id"]),
            "a = $2, b = $3"
        );
        assert_eq!(SESSION_COLUMNS.split(", ").count(), 29);
        assert_eq!(USER_COLUMNS.split(", ").count(), 11);
        assert_eq!(AUDIT_COLUMNS.split(", ").count(), 12);
    }
}
