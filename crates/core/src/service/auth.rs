//! Login: credentials in, a new session (and token) out. Replaces any session the browser
//! already had, so a planted token never becomes an authenticated one.

use serde_json::json;

use crate::audit::{AuditEvent, AuditKind};
use crate::ids::{SessionId, UserId};
use crate::session::{ClientInfo, EndReason, Session, SessionState};
use crate::time::{Timestamp, plus_secs};
use crate::token::Token;
use crate::user::User;

use std::sync::Arc;

use super::faces::Browser;
use super::{ConcurrentPolicy, Issued, SessionError, SessionResult, SessionService};

/// What a new session takes over from the browser's previous one.
struct Carried {
    from: SessionId,
    anonymous: bool,
    data: serde_json::Map<String, serde_json::Value>,
    context: Option<String>,
}

impl SessionService {
    /// Stores `session`, a new one of `user`, under the session cap: one login of the user at
    /// a time on this node, and the cap checked again after the create for other nodes.
    pub(super) async fn admit(
        &self,
        user: &User,
        session: &Session,
        client: &ClientInfo,
        now: Timestamp,
    ) -> SessionResult<()> {
        let lock = self.login_lock(user.id);
        let _one_at_a_time = lock.lock().await;
        if let Err(e) = self.make_room(user, now).await {
            return Err(self.refused(e, user, client, now).await);
        }
        self.stores.sessions.create_session(session).await?;
        if let Err(e) = self.trim_after_create(user, session, now).await {
            return Err(self.refused(e, user, client, now).await);
        }
        self.confirm_user_unchanged(user, session, client).await
    }

    /// The `SESSION_CREATED` record of a new session, with its deadlines.
    pub(super) async fn audit_created(
        &self,
        session: &Session,
        now: Timestamp,
    ) -> SessionResult<()> {
        let event = AuditEvent::new(AuditKind::SessionCreated, now).session(session);
        self.audit
            .record(event.detail(
                "expires",
                json!({
                    "idle": session.idle_expires_at.to_string(),
                    "absolute": session.absolute_expires_at.to_string(),
                }),
            ))
            .await?;
        Ok(())
    }

    /// The per-address login limit, audited when it refuses.
    pub(super) async fn limit_login(&self, client: &ClientInfo) -> SessionResult<()> {
        let now = self.now();
        let refused = self.count_login_attempt(client, now).await;
        if let Err(SessionError::RateLimited { retry_after_secs }) = &refused
            && self
                .refusal_budget(AuditKind::LoginRateLimited, client, now)
                .is_ok()
        {
            let event = AuditEvent::new(AuditKind::LoginRateLimited, now).client(client);
            self.audit
                .record(event.detail("retry_after_seconds", *retry_after_secs))
                .await?;
        }
        refused
    }

    /// The browser's previous session ends here: never reused, so a planted or stolen pre-login
    /// token is worth nothing after the login. A visitor's anonymous session hands its data over
    /// to the new one (an upgrade, with a new id and token), and so does the user's own session
    /// when they sign in again (re-authentication).
    async fn end_previous(
        &self,
        existing: Option<&Token>,
        user: &User,
        now: Timestamp,
    ) -> SessionResult<Option<Carried>> {
        let Some(token) = existing else {
            return Ok(None);
        };
        let Ok(found) = self.browser().resolve(Some(token), now).await else {
            return Ok(None);
        };
        let prev = &found.session;
        let reason = match prev.user_id {
            None => EndReason::UpgradedByLogin,
            Some(id) if id == user.id => EndReason::Reauthenticated,
            Some(_) => EndReason::ReplacedByLogin,
        };
        let carried = (reason != EndReason::ReplacedByLogin).then(|| Carried {
            from: prev.id,
            anonymous: prev.user_id.is_none(),
            data: prev.data.clone(),
            context: prev.context.clone(),
        });
        self.end(
            found.session,
            SessionState::LoggedOut,
            reason,
            AuditKind::SessionLoggedOut,
        )
        .await?;
        Ok(carried)
    }

    /// Counts a login (or a new anonymous session) from the client's address against
    /// `SESSIOND_LOGIN_RATE_LIMIT`, on the counter every node shares.
    pub(super) async fn count_login_attempt(
        &self,
        client: &ClientInfo,
        now: Timestamp,
    ) -> SessionResult<()> {
        let ip = &crate::drift::address_key(client.ip.as_deref().unwrap_or("unknown"));
        let limit = self.login_limit.limit();
        self.login_limit
            .refused_here(ip, now)
            .map_err(|retry_after_secs| SessionError::RateLimited { retry_after_secs })?;
        let hit = self
            .login_limit
            .hit(&*self.stores.counters, ip, now, limit + 1)
            .await?;
        if hit.count > limit {
            return Err(SessionError::RateLimited {
                retry_after_secs: hit.window_left_secs,
            });
        }
        Ok(())
    }

    /// Evicts the user's least recently active sessions until a new one fits under
    /// `SESSION_MAX_CONCURRENT_PER_USER`.
    pub(super) async fn make_room(&self, user: &User, now: Timestamp) -> SessionResult<()> {
        let max = self.settings.max_concurrent_per_user.max(1) as usize;
        let active = self.stores.sessions.user_sessions(&user.id, now).await?;
        if active.len() < max {
            return Ok(());
        }
        if self.settings.concurrent_policy == ConcurrentPolicy::DenyNew {
            return Err(SessionError::TooManySessions);
        }
        let excess = active.len() + 1 - max;
        self.evict_least_active(active, excess).await
    }

    /// Evicts the `n` least recently active of `sessions`. Ending one that another node evicted
    /// first does nothing.
    async fn evict_least_active(&self, mut sessions: Vec<Session>, n: usize) -> SessionResult<()> {
        sessions.sort_by_key(|s| (s.last_activity, s.created_at, s.id));
        for victim in sessions.into_iter().take(n) {
            self.end(
                victim,
                SessionState::Evicted,
                EndReason::MaxConcurrentSessions,
                AuditKind::SessionEvicted,
            )
            .await?;
        }
        Ok(())
    }

    /// Audits a login refused for the session cap, and hands the error back.
    async fn refused(
        &self,
        e: SessionError,
        user: &User,
        client: &ClientInfo,
        now: Timestamp,
    ) -> SessionError {
        if matches!(e, SessionError::TooManySessions) {
            let event = AuditEvent::new(AuditKind::LoginFailed, now)
                .client(client)
                .username(&user.username);
            if let Err(store) = self
                .audit
                .record(event.detail("reason", "too_many_sessions"))
                .await
            {
                return store.into();
            }
        }
        e
    }

    /// The cap again, after the create: the login lock is per node, so another node may have
    /// added a session since `make_room` counted. Every create is followed by this count, and of
    /// two racing logins the later to commit sees both, so the cap holds across nodes. With
    /// `deny_new`, a login that finds the user over the cap withdraws its own session; with
    /// `evict_oldest`, it evicts the least recently active others.
    pub(super) async fn trim_after_create(
        &self,
        user: &User,
        created: &Session,
        now: Timestamp,
    ) -> SessionResult<()> {
        let max = self.settings.max_concurrent_per_user.max(1) as usize;
        let mut active = self.stores.sessions.user_sessions(&user.id, now).await?;
        if active.len() <= max {
            return Ok(());
        }
        let excess = active.len() - max;
        if self.settings.concurrent_policy == ConcurrentPolicy::DenyNew {
            if let Some(mine) = active.into_iter().find(|s| s.id == created.id) {
                self.end(
                    mine,
                    SessionState::Evicted,
                    EndReason::MaxConcurrentSessions,
                    AuditKind::SessionEvicted,
                )
                .await?;
            }
            return Err(SessionError::TooManySessions);
        }
        active.retain(|s| s.id != created.id);
        self.evict_least_active(active, excess).await
    }

    /// Disabling, renaming or deleting a user, or changing their password or role, updates the
    /// user and then ends the user's sessions. A login that checked the password before that
    /// update may create its session after the sweep ended the others. It reads the user again after its create:
    /// the sweep came after the update, so a create the sweep missed comes after the update too,
    /// and this read sees it. The new session then ends before anyone holds its token.
    pub(super) async fn confirm_user_unchanged(
        &self,
        user: &User,
        session: &Session,
        client: &ClientInfo,
    ) -> SessionResult<()> {
        let fresh = self.stores.users.user_by_id(&user.id).await?;
        // The context it starts in must still be the user's (`users set-contexts` sweeps the
        // sessions it finds, and may not have found this one yet).
        let unchanged = fresh.as_ref().is_some_and(|f| {
            f.enabled
                && f.username == user.username
                && f.password_hash == user.password_hash
                && f.role == user.role
                && f.auth_method == user.auth_method
                && session
                    .context
                    .as_ref()
                    .is_none_or(|c| f.contexts.contains(c))
        });
        if unchanged {
            return Ok(());
        }
        self.end(
            session.clone(),
            SessionState::Revoked,
            EndReason::UserChangedDuringLogin,
            AuditKind::SessionRevoked,
        )
        .await?;
        let event = AuditEvent::new(AuditKind::LoginFailed, session.created_at)
            .client(client)
            .username(&user.username);
        self.audit
            .record(event.detail("reason", "user_changed_during_login"))
            .await?;
        Err(SessionError::InvalidCredentials)
    }

    /// The per-user login lock of this node (a bounded map: the coldest locks are forgotten).
    pub(super) fn login_lock(&self, user: UserId) -> Arc<tokio::sync::Mutex<()>> {
        self.login_locks
            .with(&user, Default::default, |lock| lock.clone())
    }

    pub(super) fn new_session(
        &self,
        user: Option<&User>,
        token: &Token,
        persistent: bool,
        client: &ClientInfo,
        now: Timestamp,
    ) -> SessionResult<Session> {
        let t = &self.settings.timeouts;
        let absolute = plus_secs(now, t.absolute_secs);
        let mut session = Session {
            id: SessionId::generate_with_affinity(now, token.hash().affinity())?,
            user_id: user.map(|u| u.id),
            username: user.map(|u| u.username.clone()),
            role: user.map(|u| u.role.clone()),
            token_hash: token.hash(),
            prev_token_hash: None,
            prev_token_expires_at: None,
            created_at: now,
            last_activity: now,
            idle_expires_at: t.idle_deadline(now, absolute),
            absolute_expires_at: absolute,
            renewed_at: now,
            state: SessionState::Active,
            end_reason: None,
            ended_at: None,
            lookup_until: now,
            device: Some(client.device_label()),
            fingerprint: self.settings.fingerprinting.then(|| {
                crate::drift::fingerprint(client.user_agent.as_deref().unwrap_or_default())
            }),
            client: client.clone(),
            context: user.and_then(|u| u.contexts.first().cloned()),
            persistent,
            data: Default::default(),
            version: 1,
            display_name: user.map(|u| u.display_name.clone()),
            auth_method: user.map(|u| u.auth_method.as_str().to_owned()),
            ended_by: None,
            end_note: None,
        };
        session.lookup_until = t.lookup_until(&session);
        Ok(session)
    }
}

impl Browser<'_> {
    /// `device` is the browser's device cookie, if it sent one (`crate::device`).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        remember_me: bool,
        client: &ClientInfo,
        existing: Option<&Token>,
        device: Option<&str>,
    ) -> SessionResult<Issued> {
        self.limit_login(client).await?;
        let username = &crate::user::normalize_username(username);
        let user = self
            .authenticate(username, password, client, device)
            .await?;
        let now = self.now();
        let carried = self.end_previous(existing, &user, now).await?;
        let token = Token::generate()?;
        let mut session = self.new_session(Some(&user), &token, remember_me, client, now)?;
        if let Some(c) = &carried {
            session.data.clone_from(&c.data);
            if c.context
                .as_ref()
                .is_some_and(|ctx| user.contexts.contains(ctx))
            {
                session.context.clone_from(&c.context);
            }
        }
        self.admit(&user, &session, client, now).await?;
        if let Some(c) = carried.as_ref().filter(|c| c.anonymous) {
            let event = AuditEvent::new(AuditKind::SessionUpgraded, now)
                .session(&session)
                .client(client)
                .detail("from_session_id", c.from.to_string());
            self.audit.record(event).await?;
        }
        let mut event = AuditEvent::new(AuditKind::LoginSuccess, now)
            .session(&session)
            .client(client)
            .detail("remember_me", remember_me);
        if let Some(c) = carried.as_ref().filter(|c| !c.anonymous) {
            event = event.detail("reauthenticated_from", c.from.to_string());
        }
        self.audit.record(event).await?;
        self.audit_created(&session, now).await?;
        let device = (self.settings.device_cookie_secs > 0)
            .then(|| self.key.device_token(username, now))
            .transpose()?;
        Ok(Issued {
            session,
            token,
            device,
        })
    }
}
