//! [`SessionService`]: every session operation of sessiond, free of HTTP and of any storage
//! engine. The HTTP crate and the CLI are thin shells around it.

mod anonymous;
mod api_reads;
mod auth;
mod backend;
mod cleanup;
mod client;
mod context;
mod credentials;
mod data;
mod error;
mod ops;
mod reauth;
mod security;
mod signing;
mod tokens;
mod update;
mod users;

use std::collections::HashMap;
use std::sync::Arc;

use crate::audit::Auditor;
use crate::counter::Limit;
use crate::error::CoreError;
use crate::hashing::HashPool;
use crate::ids::UserId;
use crate::lockout::Lockouts;
use crate::policy::Timeouts;
use crate::ratelimit::RateLimiter;
use crate::session::{EndCode, Session};
use crate::shared_limit::SharedLimit;
use crate::store::Stores;
use crate::time::{Clock, Timestamp};
use crate::token::{SecretKey, Token};
use crate::user::Passwords;

pub use backend::AppLogin;
pub use cleanup::{CleanupOptions, CleanupPhase, CleanupProgress, CleanupReport, CleanupSchedule};
pub use data::{MAX_DATA_BYTES, data_version, merge_patch};
pub use error::SessionError;
pub use ops::{Activity, SessionStatus};
pub use security::{CsrfVerdict, Suspicion, SuspiciousResponse};
pub use tokens::{Revocation, TokenPair};
pub use users::NewUser;

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

/// The result of a service operation.
pub type SessionResult<T> = Result<T, SessionError>;

/// A session together with the fresh token the client must now hold (after login or rotation).
#[derive(Debug)]
pub struct Issued {
    /// The session as stored.
    pub session: Session,
    /// Its token: given to the client once, stored only as a hash.
    pub token: Token,
    /// A new device cookie for this browser (`crate::device`), when device cookies are on.
    pub device: Option<String>,
}

/// The session a presented token resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The session as stored.
    pub session: Session,
    /// The token was the previous one, honoured during the expiration grace.
    pub via_previous_token: bool,
    /// It came as an access token (`Authorization: Bearer`), not a cookie: nothing rotates.
    pub by_bearer: bool,
}

/// What a request presented to prove its session: the cookie's token, or an access token
/// (`Authorization: Bearer`, docs/api.md "Tokens").
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    /// The session cookie's token, if a well-formed one was sent.
    Cookie(Option<&'a Token>),
    /// An access token (a JWT), unchecked.
    Bearer(&'a str),
}

impl<'a> From<Option<&'a Token>> for Presented<'a> {
    fn from(token: Option<&'a Token>) -> Self {
        Self::Cookie(token)
    }
}

/// The session rules: every operation of the HTTP API and the CLI.
pub struct SessionService {
    stores: Stores,
    clock: Arc<dyn Clock>,
    settings: Settings,
    key: SecretKey,
    /// Where passwords are hashed and checked: a few threads, a bounded queue.
    hashing: HashPool,
    audit: Auditor,
    keepalive_limit: RateLimiter,
    client_events: RateLimiter,
    login_limit: SharedLimit,
    lockouts: Lockouts,
    unknown_tokens: SharedLimit,
    context_switches: RateLimiter,
    /// Audit records of refused anonymous requests, per kind and address (`record_refusal`).
    refusals: RateLimiter,
    /// The backend API's reads, counted until `flush_api_reads` stores them.
    api_reads: api_reads::ReadTallies,
    scores: security::Scores,
    /// Where LDAP users' passwords are checked, when configured.
    directory: Option<Arc<dyn crate::directory::Directory>>,
    /// The access token keys this node read last.
    keyring: signing::KeyRing,
    /// One login at a time per user on this node, so the session cap holds under parallel logins.
    login_locks: std::sync::Mutex<HashMap<UserId, Arc<tokio::sync::Mutex<()>>>>,
}

impl SessionService {
    /// A service on `stores`, reading time from `clock`.
    pub fn new(
        stores: Stores,
        clock: Arc<dyn Clock>,
        settings: Settings,
        key: SecretKey,
        audit: Auditor,
    ) -> Result<Self, CoreError> {
        Ok(Self {
            keepalive_limit: RateLimiter::new(settings.keepalive_per_minute, 60),
            client_events: RateLimiter::new(client::CLIENT_EVENTS_PER_MINUTE, 60),
            login_limit: SharedLimit::new(Limit::Logins, settings.logins_per_ip_per_minute, 60),
            lockouts: Lockouts::new(settings.lockout_threshold, settings.lockout_secs),
            unknown_tokens: SharedLimit::new(
                Limit::UnknownTokens,
                settings.unknown_tokens_per_ip_per_minute,
                60,
            ),
            context_switches: RateLimiter::new(settings.context_switches_per_hour, 3600),
            refusals: RateLimiter::new(security::REFUSALS_AUDITED_PER_MINUTE, 60),
            api_reads: Default::default(),
            login_locks: Default::default(),
            keyring: Default::default(),
            scores: Default::default(),
            directory: None,
            hashing: HashPool::new(
                Passwords::new()?,
                settings.hash_workers,
                settings.hash_queue,
            )?,
            stores,
            clock,
            settings,
            key,
            audit,
        })
    }

    /// Checks the passwords of LDAP users, and of unknown users, against `directory`; they
    /// are created locally (auth method `ldap`) on their first login.
    pub fn with_directory(mut self, directory: Arc<dyn crate::directory::Directory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// What it enforces.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store's roles, for the operations the service does not wrap (listing users and
    /// audit records, health).
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// The current time, truncated to the millisecond that stores keep, so a session reads
    /// back exactly as it was written whatever the backend.
    pub fn now(&self) -> Timestamp {
        crate::time::from_millis(crate::time::to_millis(self.clock.now()))
    }

    /// The timeout policy.
    pub fn timeouts(&self) -> &Timeouts {
        &self.settings.timeouts
    }

    /// The CSRF token that goes with the session's current token.
    pub fn csrf_token(&self, session: &Session) -> String {
        self.key.csrf_token(&session.id, &session.token_hash)
    }

    /// Finds the session a token grants access to, or says why it grants none. Never writes.
    pub async fn resolve(&self, token: Option<&Token>, now: Timestamp) -> SessionResult<Resolved> {
        let Some(token) = token else {
            return Err(SessionError::NotAuthenticated(EndCode::NoSession));
        };
        let Some((session, via_previous_token)) = self.lookup(token, now).await? else {
            return Err(SessionError::NotAuthenticated(EndCode::NoSession));
        };
        if let Some(code) = session.end_code_at(now) {
            return Err(SessionError::NotAuthenticated(code));
        }
        Ok(Resolved {
            session,
            via_previous_token,
            by_bearer: false,
        })
    }

    /// [`Self::resolve`] for a cookie, [`Self::resolve_bearer`] for an access token.
    pub async fn resolve_presented(
        &self,
        presented: Presented<'_>,
        now: Timestamp,
    ) -> SessionResult<Resolved> {
        match presented {
            Presented::Cookie(token) => self.resolve(token, now).await,
            Presented::Bearer(jwt) => self.resolve_bearer(jwt, now).await,
        }
    }

    /// The record a token finds, active or ended, and whether it is the previous token. A
    /// rotated-out token past its grace is simply unknown. Never writes.
    pub(crate) async fn lookup(
        &self,
        token: &Token,
        now: Timestamp,
    ) -> SessionResult<Option<(Session, bool)>> {
        let hash = token.hash();
        let Some(session) = self.stores.sessions.session_by_token(&hash, now).await? else {
            return Ok(None);
        };
        let via_previous = session.token_hash != hash;
        let grace_over = session
            .prev_token_expires_at
            .is_none_or(|until| now >= until);
        if via_previous && grace_over {
            return Ok(None);
        }
        Ok(Some((session, via_previous)))
    }

    /// Writes `session` and bumps its in-memory version to match the store.
    async fn save(&self, session: &mut Session) -> SessionResult<()> {
        session.lookup_until = self.settings.timeouts.lookup_until(session);
        self.stores.sessions.update_session(session).await?;
        session.version += 1;
        Ok(())
    }
}
