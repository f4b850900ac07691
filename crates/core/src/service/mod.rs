//! [`SessionService`]: every session operation of sessiond, free of HTTP and of any storage
//! engine. The HTTP crate and the CLI are thin shells around it.

mod activity;
mod admin;
mod admin_api;
mod admin_counts;
mod admin_reads;
mod anonymous;
mod api_keys;
mod api_reads;
mod auth;
mod backend;
mod cleanup;
mod client;
mod context;
mod credentials;
mod data;
mod ending;
mod error;
mod faces;
mod failures;
mod forward;
mod health;
mod ops;
mod reauth;
mod revocations;
mod security;
mod settings;
mod signing;
mod tokens;
mod update;
mod users;

use std::sync::Arc;

use crate::audit::Auditor;
use crate::counter::Limit;
use crate::error::CoreError;
use crate::hashing::HashPool;
use crate::hashing::Passwords;
use crate::ids::UserId;
use crate::lockout::Lockouts;
use crate::policy::Timeouts;
use crate::ratelimit::RateLimiter;
use crate::session::{EndCode, Session};
use crate::shared_limit::SharedLimit;
use crate::store::Stores;
use crate::time::{Clock, Timestamp};
use crate::token::{SecretKey, Token};

pub use crate::store::FeedCursor;
pub use admin_api::{AdminApi, AdminCredential, AdminGrant, BulkOutcome, Inspect, MAX_BULK, Steer};
pub use admin_counts::{Counts, HourCounts};
pub use admin_reads::{MAX_PAGE, SessionDetail, Timeline};
pub use api_keys::NewApiKey;
pub use backend::{AppLogin, BackendApi, Grant, Read, Write};
pub use cleanup::{CleanupOptions, CleanupPhase, CleanupProgress, CleanupReport, CleanupSchedule};
pub use data::{MAX_DATA_BYTES, data_version, merge_patch};
pub use error::SessionError;
pub use faces::{Admin, Browser, Forward, Tokens};
pub use failures::Failure;
pub use ops::{Activity, SessionStatus};
pub use revocations::Revocation;
pub use security::{CsrfVerdict, Suspicion, SuspiciousResponse};
pub use settings::{CleanupSettings, ConcurrentPolicy, Settings, TokenSettings};
pub use signing::PUBLISH_AHEAD_SECS;
pub use tokens::{TokenLogin, TokenPair};
pub use users::NewUser;

/// Users whose login locks a node keeps. A lock evicted while a login holds it only lets a
/// parallel login of that user past this node's serialisation; the count after the create
/// (`trim_after_create`) keeps the cap anyway, as it does across nodes.
const LOGIN_LOCKS: usize = 10_000;

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
    /// Activities a browser records (`Browser::record_activity`), per session.
    activities: RateLimiter,
    /// Errors recorded against a session (`Browser::note_failure`), per session.
    failures: RateLimiter,
    login_limit: SharedLimit,
    lockouts: Lockouts,
    unknown_tokens: SharedLimit,
    context_switches: RateLimiter,
    /// Audit records of refused anonymous requests, per kind and address (`record_refusal`).
    refusals: RateLimiter,
    /// The same per IPv6 /48: a site holds 65,536 /64s, and each would have a budget of its own.
    refusals_by_site: RateLimiter,
    /// The backend API's reads, counted until `flush_api_reads` stores them.
    api_reads: api_reads::ReadTallies,
    /// The active sessions over the last day, as this node sampled them (`admin_counts`).
    active_history: admin_counts::History,
    scores: security::Scores,
    /// Where LDAP users' passwords are checked, when configured.
    directory: Option<Arc<dyn crate::directory::Directory>>,
    /// The access token keys this node read last.
    keyring: signing::KeyRing,
    /// One login at a time per user on this node, so the session cap holds under parallel logins.
    login_locks: crate::bounded::BoundedMap<UserId, Arc<tokio::sync::Mutex<()>>>,
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
            activities: RateLimiter::new(activity::ACTIVITIES_PER_MINUTE, 60),
            failures: RateLimiter::new(failures::FAILURES_PER_MINUTE, 60),
            login_limit: SharedLimit::new(Limit::Logins, settings.logins_per_ip_per_minute, 60),
            lockouts: Lockouts::new(settings.lockout_threshold, settings.lockout_secs),
            unknown_tokens: SharedLimit::new(
                Limit::UnknownTokens,
                settings.unknown_tokens_per_ip_per_minute,
                60,
            ),
            context_switches: RateLimiter::new(settings.context_switches_per_hour, 3600),
            refusals: RateLimiter::new(security::REFUSALS_AUDITED_PER_MINUTE, 60),
            refusals_by_site: RateLimiter::new(security::REFUSALS_AUDITED_PER_SITE_PER_MINUTE, 60),
            api_reads: Default::default(),
            active_history: Default::default(),
            login_locks: crate::bounded::BoundedMap::new(LOGIN_LOCKS),
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

    /// The current time, truncated to the millisecond that stores keep, so a session reads
    /// back exactly as it was written whatever the backend.
    pub fn now(&self) -> Timestamp {
        crate::time::from_millis(crate::time::to_millis(self.clock.now()))
    }

    /// The timeout policy.
    pub fn timeouts(&self) -> &Timeouts {
        &self.settings.timeouts
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

impl Browser<'_> {
    /// The CSRF token that goes with the session's current token.
    pub fn csrf_token(&self, session: &Session) -> String {
        self.key.csrf_token(&session.id, &session.token_hash)
    }

    /// Finds the session a token grants access to, or says why it grants none. Writes only to
    /// record an expiry it is the first to see.
    pub async fn resolve(&self, token: Option<&Token>, now: Timestamp) -> SessionResult<Resolved> {
        let Some(token) = token else {
            return Err(SessionError::NotAuthenticated(EndCode::NoSession.into()));
        };
        let Some((session, via_previous_token)) = self.lookup(token, now).await? else {
            return Err(SessionError::NotAuthenticated(EndCode::NoSession.into()));
        };
        if let Some(refusal) = self.refusal(&session, now).await {
            return Err(SessionError::NotAuthenticated(refusal));
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
            Presented::Bearer(jwt) => self.tokens().resolve_bearer(jwt, now).await,
        }
    }
}
