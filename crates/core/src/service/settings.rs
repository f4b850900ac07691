//! [`Settings`]: the limits and switches the service enforces, with seed 001's defaults.

use crate::policy::Timeouts;

use super::{Suspicion, SuspiciousResponse};

/// Limits and switches the service enforces.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The timeout policy.
    pub timeouts: Timeouts,
    /// Keep-alives per user per minute (seed 000: 10).
    pub keepalive_per_minute: u32,
    /// `SESSION_MAX_CONCURRENT_PER_USER`.
    pub max_concurrent_per_user: u32,
    /// What a login beyond `max_concurrent_per_user` does.
    pub concurrent_policy: ConcurrentPolicy,
    /// Failed logins before an account is locked, and the first lock's length (doubling after).
    pub lockout_threshold: u32,
    /// `SESSIOND_LOGIN_LOCKOUT_SECONDS`: the first lock's length.
    pub lockout_secs: i64,
    /// Login attempts per client address per minute.
    pub logins_per_ip_per_minute: u32,
    /// Suspicious-activity detection; `None` when `SESSION_ENABLE_SUSPICIOUS_DETECTION` is off.
    pub suspicion: Option<Suspicion>,
    /// Context switches per session per hour (`SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR`).
    pub context_switches_per_hour: u32,
    /// A session still in use this long after its login scores `LONG_SESSION` points
    /// (`SESSIOND_LONG_SESSION_SECONDS`).
    pub long_session_secs: i64,
    /// How long after the password was entered a session may take sensitive actions (revoking
    /// another session) without entering it again (`SESSIOND_REAUTH_WINDOW_SECONDS`).
    pub reauth_window_secs: i64,
    /// Unknown session tokens per client address per minute before it is refused for a while.
    pub unknown_tokens_per_ip_per_minute: u32,
    /// Record a user-agent fingerprint per session (`SESSION_ENABLE_FINGERPRINTING`).
    pub fingerprinting: bool,
    /// How long a device cookie lets its browser past the account's lockout
    /// (`SESSIOND_DEVICE_COOKIE_DAYS`); 0: no device cookies.
    pub device_cookie_secs: i64,
    /// Threads that run Argon2 (`SESSIOND_HASH_WORKERS`), and requests that may wait for one
    /// (`SESSIOND_HASH_QUEUE`) before more are answered 503.
    pub hash_workers: usize,
    /// `SESSIOND_HASH_QUEUE`: logins that may wait for a hashing thread.
    pub hash_queue: usize,
    /// `SESSION_ROLES`.
    pub roles: Vec<String>,
    /// The cleanup schedule.
    pub cleanup: CleanupSettings,
    /// Access and refresh tokens (`SESSIOND_TOKEN_*`).
    pub tokens: TokenSettings,
    /// `SESSIOND_VERIFY_ANONYMOUS`: forward auth lets anonymous sessions through (off: only a
    /// signed-in user passes, so a visitor's session never opens an application).
    pub verify_anonymous: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            keepalive_per_minute: 10,
            max_concurrent_per_user: 5,
            concurrent_policy: ConcurrentPolicy::EvictOldest,
            lockout_threshold: 5,
            lockout_secs: 60,
            logins_per_ip_per_minute: 60,
            unknown_tokens_per_ip_per_minute: 100,
            reauth_window_secs: 900,
            long_session_secs: 86_400,
            context_switches_per_hour: 50,
            suspicion: Some(Suspicion {
                threshold: 10,
                response: SuspiciousResponse::Reauth,
            }),
            fingerprinting: true,
            device_cookie_secs: 180 * 86_400,
            hash_workers: crate::hashing::HashPool::default_workers(),
            hash_queue: 64,
            roles: crate::user::DEFAULT_ROLES
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            cleanup: CleanupSettings::default(),
            tokens: TokenSettings::default(),
            verify_anonymous: false,
        }
    }
}

/// Access and refresh tokens (docs/api.md, "Tokens"; seed 003's lifetimes).
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// The access tokens' `iss` (`SESSIOND_TOKEN_ISSUER`, else the public URL).
    pub issuer: String,
    /// Their `aud` (`SESSIOND_TOKEN_AUDIENCE`).
    pub audience: String,
    /// `SESSIOND_ACCESS_TOKEN_SECONDS`: never past the session's deadline.
    pub access_lifetime_secs: i64,
    /// `SESSIOND_REFRESH_TOKEN_SECONDS`: how long a refresh token is good after it was issued.
    pub refresh_lifetime_secs: i64,
    /// `SESSIOND_REFRESH_REUSE_GRACE_SECONDS`: how long a rotated-out refresh token still gets
    /// the lineage's current pair (at most 30; 0: never).
    pub reuse_grace_secs: i64,
    /// `SESSIOND_TOKEN_LEEWAY_SECONDS`: clock skew allowed on `exp` and `nbf`.
    pub leeway_secs: i64,
    /// `SESSIOND_REFRESH_ROTATION`: each refresh gives a new refresh token and a reused one is
    /// theft (the default). Off, as seed 003's clients expect, a refresh token is used again
    /// until it expires: still stored hashed, bound to its session and revocable with it, but
    /// a stolen one is no longer told apart from its owner's.
    pub rotate_refresh: bool,
    /// `SESSIOND_SIGNING_KEY_ROTATION_SECONDS`: a key older than this is replaced by the
    /// cleanup job (0: only `sessiond keys rotate`).
    pub key_rotation_secs: i64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "sessiond".into(),
            audience: "sessiond".into(),
            access_lifetime_secs: 900,
            refresh_lifetime_secs: 86_400,
            reuse_grace_secs: 10,
            leeway_secs: 5,
            rotate_refresh: true,
            key_rotation_secs: 30 * 86_400,
        }
    }
}

/// `SESSIOND_CONCURRENT_POLICY`: what happens to a login beyond the per-user cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcurrentPolicy {
    /// End the least recently active session (the default).
    EvictOldest,
    /// Refuse the new login.
    DenyNew,
}

/// Seed 001's cleanup settings.
#[derive(Debug, Clone, Copy)]
pub struct CleanupSettings {
    /// `SESSION_CLEANUP_INTERVAL_SECONDS`.
    pub interval_secs: i64,
    /// `SESSION_BATCH_CLEANUP_INTERVAL_SECONDS`.
    pub batch_interval_secs: i64,
    /// `SESSION_DEEP_CLEANUP_INTERVAL_SECONDS`.
    pub deep_interval_secs: i64,
    /// `SESSION_CLEANUP_BATCH_SIZE`.
    pub batch_size: u32,
    /// `SESSION_MAX_CLEANUP_BATCHES`.
    pub max_batches: u32,
    /// `SESSION_MAX_EXPIRED_THRESHOLD`.
    pub max_expired_threshold: u64,
    /// `SESSION_CLEANUP_TRIGGER_THRESHOLD`.
    pub trigger_threshold: u64,
    /// `SESSION_EXPIRED_RETENTION_DAYS`.
    pub expired_retention_days: i64,
    /// `SESSION_AUDIT_RETENTION_DAYS`.
    pub audit_retention_days: i64,
}

impl Default for CleanupSettings {
    fn default() -> Self {
        Self {
            interval_secs: 1800,
            batch_interval_secs: 21_600,
            deep_interval_secs: 86_400,
            batch_size: 100,
            max_batches: 10,
            max_expired_threshold: 1000,
            trigger_threshold: 500,
            expired_retention_days: 7,
            audit_retention_days: 30,
        }
    }
}
