//! Operations on an existing session: the passive check, activity (keep-alive, with renewal),
//! logout, logout everywhere, listing and revoking.

use crate::audit::{AuditEvent, AuditKind};
use crate::ids::SessionId;
use crate::session::EndReason;
use crate::session::{ClientInfo, EndCode, Session, SessionState};
use crate::time::{Timestamp, plus_secs, secs_between};
use crate::token::Token;

use super::faces::Browser;
use super::update::{Outcome, Reread, Step};
use super::{Presented, SessionError, SessionResult, SessionService};

/// A session as a client is told about it.
#[derive(Debug, Clone)]
pub struct SessionStatus {
    /// The session.
    pub session: Session,
    /// Seconds until its nearer deadline.
    pub remaining_secs: i64,
    /// It is in its warning period.
    pub warning: bool,
}

/// The result of activity on a session.
#[derive(Debug)]
pub struct Activity {
    /// The session after the activity.
    pub status: SessionStatus,
    /// Set when the token was rotated: the client must switch to it.
    pub new_token: Option<Token>,
    /// Whether the idle deadline moved. It is written at most once per coalescing interval
    /// (the idle timeout / 100, at least 1 s): activity sooner after the last write is
    /// recorded by that write's deadline.
    pub extended: bool,
}

impl SessionService {
    /// Records activity: extends the idle deadline (writing at most once per coalescing
    /// interval) and rotates the token once it is older than `SESSION_LIFETIME_SECONDS`.
    pub(crate) async fn apply_activity(
        &self,
        session: Session,
        via_previous: bool,
        now: Timestamp,
    ) -> SessionResult<Activity> {
        // A request carrying the previous token comes from before the rotation: it must not
        // rotate again, or two tabs would keep displacing each other's token.
        self.activity(session, !via_previous, now).await
    }

    /// Activity seen by someone other than the token's holder (the backend API, forward auth):
    /// extends the idle deadline, never renews the token, which only its holder could take up.
    pub(crate) async fn touch(&self, session: Session, now: Timestamp) -> SessionResult<Activity> {
        self.activity(session, false, now).await
    }

    async fn activity(
        &self,
        session: Session,
        may_rotate: bool,
        now: Timestamp,
    ) -> SessionResult<Activity> {
        let t = self.settings.timeouts;
        let before = session.idle_expires_at;
        let outcome = self
            .update_session(session, Reread::Active(now), |session| {
                let rotate = may_rotate && t.needs_rotation(session, now);
                let write_due =
                    secs_between(session.last_activity, now) >= t.activity_write_interval_secs();
                if !rotate && !write_due {
                    return Ok(Step::Keep(None));
                }
                let mut next = session.clone();
                next.last_activity = now;
                next.idle_expires_at = t
                    .idle_deadline(now, next.absolute_expires_at)
                    .max(next.idle_expires_at);
                let new_token = if rotate {
                    let token = Token::generate_with_affinity(session.id.affinity())?;
                    next.prev_token_hash = Some(next.token_hash);
                    next.prev_token_expires_at = Some(plus_secs(now, t.expiration_grace_secs));
                    next.token_hash = token.hash();
                    next.renewed_at = now;
                    Some(token)
                } else {
                    None
                };
                Ok(Step::Write(Box::new(next), new_token))
            })
            .await?;
        let (session, new_token) = match outcome {
            Outcome::Written(next, new_token) => {
                if new_token.is_some() {
                    let event = AuditEvent::new(AuditKind::SessionRotated, now).session(&next);
                    self.audit.record(event).await?;
                }
                (*next, new_token)
            }
            Outcome::Kept(session, _) => (*session, None),
            Outcome::Gone => return Err(SessionError::NotAuthenticated(EndCode::NoSession.into())),
        };
        Ok(Activity {
            extended: session.idle_expires_at > before,
            status: self.browser().status(session, now),
            new_token,
        })
    }
}

impl Browser<'_> {
    /// How `session` stands at `now`.
    pub fn status(&self, session: Session, now: Timestamp) -> SessionStatus {
        let remaining_secs = self.settings.timeouts.remaining_secs(&session, now);
        SessionStatus {
            warning: self.settings.timeouts.warning(remaining_secs),
            remaining_secs,
            session,
        }
    }

    /// The passive check: reads, never writes, never extends.
    pub async fn check(
        &self,
        token: impl Into<Presented<'_>>,
        client: &ClientInfo,
    ) -> SessionResult<SessionStatus> {
        let now = self.now();
        let resolved = self.resolve_presented(token.into(), now).await?;
        self.screen(&resolved.session, client, now).await?;
        Ok(self.status(resolved.session, now))
    }

    /// A keep-alive: rate-limited activity that extends the idle deadline and renews the token
    /// when it is older than the session lifetime.
    pub async fn keepalive(
        &self,
        token: impl Into<Presented<'_>>,
        client: &ClientInfo,
    ) -> SessionResult<Activity> {
        let now = self.now();
        let resolved = self.resolve_presented(token.into(), now).await?;
        self.screen(&resolved.session, client, now).await?;
        let key = resolved
            .session
            .user_id
            .map_or_else(|| resolved.session.id.to_string(), |u| u.to_string());
        if let Err(retry_after_secs) = self.keepalive_limit.hit(&key, now) {
            let event =
                AuditEvent::new(AuditKind::KeepaliveRateLimited, now).session(&resolved.session);
            self.audit
                .record(event.detail("retry_after_seconds", retry_after_secs))
                .await?;
            return Err(SessionError::RateLimited { retry_after_secs });
        }
        // A bearer never rotates a cookie token: its session has none, only a refresh token.
        let activity = self
            .apply_activity(
                resolved.session,
                resolved.via_previous_token || resolved.by_bearer,
                now,
            )
            .await?;
        let s = &activity.status.session;
        let event = AuditEvent::new(AuditKind::SessionExtended, now).session(s);
        self.audit
            .record(
                event
                    .detail("method", "keepalive")
                    .detail("idle_expires_at", s.idle_expires_at.to_string()),
            )
            .await?;
        Ok(activity)
    }

    /// Ends the presented session. `Ok(None)` when there was none to end.
    pub async fn logout(&self, token: Option<&Token>) -> SessionResult<Option<Session>> {
        let now = self.now();
        match self.resolve(token, now).await {
            Ok(r) => {
                self.end(
                    r.session.clone(),
                    SessionState::LoggedOut,
                    EndReason::UserLogout,
                    AuditKind::SessionLoggedOut,
                )
                .await?;
                Ok(Some(r.session))
            }
            Err(SessionError::NotAuthenticated(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ends every session of the presented session's user, optionally keeping the current one
    /// (which needs fresh authentication, as revoking another session does). Returns how many
    /// were ended.
    pub async fn logout_all(
        &self,
        token: impl Into<Presented<'_>>,
        keep_current: bool,
        client: &ClientInfo,
    ) -> SessionResult<u64> {
        let now = self.now();
        let current = self.resolve_presented(token.into(), now).await?.session;
        let sessions = match current.user_id {
            Some(user) => self.stores.sessions.user_sessions(&user, now).await?,
            None => vec![current.clone()],
        };
        // The rule of `revoke_own`: a session that stays signed in while it ends others needs
        // fresh authentication; ending every session, this one included, is a logout.
        if keep_current && sessions.iter().any(|s| s.id != current.id) {
            self.require_fresh(&current, now)?;
        }
        let others = sessions
            .into_iter()
            .filter(|s| !(keep_current && s.id == current.id));
        let ended = self
            .end_all(
                others,
                SessionState::LoggedOut,
                EndReason::LogoutAll,
                AuditKind::SessionLoggedOut,
            )
            .await?;
        let event = AuditEvent::new(AuditKind::SessionLoggedOutAll, now)
            .client(client)
            .session(&current);
        self.audit
            .record(
                event
                    .detail("ended", ended)
                    .detail("keep_current", keep_current),
            )
            .await?;
        Ok(ended)
    }

    /// The active sessions of the presented session's user, and which one is the caller's.
    pub async fn list_sessions(
        &self,
        token: impl Into<Presented<'_>>,
    ) -> SessionResult<(SessionId, Vec<Session>)> {
        let now = self.now();
        let current = self.resolve_presented(token.into(), now).await?.session;
        let sessions = match current.user_id {
            Some(user) => self.stores.sessions.user_sessions(&user, now).await?,
            None => vec![current.clone()],
        };
        Ok((current.id, sessions))
    }

    /// Revokes one of the caller's own sessions. Another user's session id, or one that is not
    /// active, is `NotFound` (the same answer, so ids of others cannot be probed). Revoking
    /// another session needs fresh authentication (`ReauthRequired`). Returns whether the
    /// revoked session was the caller's own.
    pub async fn revoke_own(
        &self,
        token: impl Into<Presented<'_>>,
        target: &SessionId,
    ) -> SessionResult<bool> {
        let now = self.now();
        let current = self.resolve_presented(token.into(), now).await?.session;
        let victim = self
            .stores
            .sessions
            .session_by_id(target)
            .await?
            .filter(|s| s.is_active_at(now))
            .filter(|s| s.id == current.id || (s.user_id.is_some() && s.user_id == current.user_id))
            .ok_or(SessionError::NotFound)?;
        let is_current = victim.id == current.id;
        // Ending one's own current session is a logout; ending another is sensitive.
        if !is_current {
            self.require_fresh(&current, now)?;
        }
        self.end(
            victim,
            SessionState::Revoked,
            EndReason::UserRevoked,
            AuditKind::SessionRevoked,
        )
        .await?;
        Ok(is_current)
    }
}
