//! Platform context (seed 004): a user may work in one of several contexts (platforms,
//! tenants); the session carries the active one, and switching is checked, limited and audited.

use crate::audit::{AuditEvent, AuditKind};
use crate::session::{ClientInfo, Session};
use crate::time::Timestamp;

use super::faces::Browser;
use super::security::CONTEXT_SWITCH_FLOOD;
use super::update::{Outcome, Reread, Step};
use super::{Presented, SessionError, SessionResult, SessionService, SessionStatus};
use crate::session::EndCode;

impl SessionService {
    /// Moves `session` out of a context that is not among `contexts` (the user's own): to the
    /// first of them, or to none. Audited `CONTEXT_SWITCHED` with `reason: context_removed`.
    /// Returns the session as it now is, and whether it moved.
    pub(super) async fn settle_context(
        &self,
        session: Session,
        contexts: &[String],
        now: Timestamp,
    ) -> SessionResult<(Session, bool)> {
        let allowed = |s: &Session| s.context.as_ref().is_none_or(|c| contexts.contains(c));
        if allowed(&session) {
            return Ok((session, false));
        }
        let to = contexts.first().cloned();
        let outcome = self
            .update_session(session, Reread::Any, |s| {
                if allowed(s) || !s.is_active_at(now) {
                    return Ok(Step::Keep(None));
                }
                let mut next = s.clone();
                next.context.clone_from(&to);
                Ok(Step::Write(Box::new(next), s.context.clone()))
            })
            .await?;
        match outcome {
            Outcome::Written(next, from) => {
                let event = AuditEvent::new(AuditKind::ContextSwitched, now)
                    .session(&next)
                    .detail("from", from)
                    .detail("to", to)
                    .detail("reason", "context_removed");
                self.audit.record(event).await?;
                Ok((*next, true))
            }
            Outcome::Kept(s, _) => Ok((*s, false)),
            Outcome::Gone => Err(SessionError::NotAuthenticated(EndCode::NoSession.into())),
        }
    }
}

impl Browser<'_> {
    /// Makes `context` the session's active one. It must be one of the user's allowed contexts
    /// (`sessiond users set-contexts`), and a session may switch at most
    /// `SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR` times an hour.
    pub async fn switch_context(
        &self,
        token: impl Into<Presented<'_>>,
        context: &str,
        client: &ClientInfo,
    ) -> SessionResult<SessionStatus> {
        let now = self.now();
        let session = self.resolve_presented(token.into(), now).await?.session;
        let user = match session.user_id {
            Some(id) => self.stores.users.user_by_id(&id).await?,
            None => None,
        };
        let allowed = user.is_some_and(|u| u.contexts.iter().any(|c| c == context));
        if !allowed {
            return Err(SessionError::NotAllowed("context_not_allowed"));
        }
        if session.context.as_deref() == Some(context) {
            return Ok(self.status(session, now));
        }
        if let Err(retry_after_secs) = self.context_switches.hit(&session.id.to_string(), now) {
            self.audit
                .record(
                    AuditEvent::new(AuditKind::ContextSwitchLimited, now)
                        .session(&session)
                        .client(client),
                )
                .await?;
            self.suspect(
                &session,
                client,
                "context_switch_flood",
                CONTEXT_SWITCH_FLOOD,
                now,
            )
            .await?;
            return Err(SessionError::RateLimited { retry_after_secs });
        }
        let outcome = self
            .update_session(session, Reread::Active(now), |session| {
                let mut next = session.clone();
                next.context = Some(context.to_owned());
                Ok(Step::Write(Box::new(next), session.context.clone()))
            })
            .await?;
        let (next, from) = match outcome {
            Outcome::Written(next, from) => (*next, from),
            Outcome::Kept(..) | Outcome::Gone => {
                return Err(SessionError::NotAuthenticated(EndCode::NoSession.into()));
            }
        };
        let event = AuditEvent::new(AuditKind::ContextSwitched, now)
            .session(&next)
            .client(client)
            .detail("from", from)
            .detail("to", context);
        self.audit.record(event).await?;
        // The user was read before the write: `users set-contexts` may have removed this
        // context since, and swept the sessions before this one was written.
        let contexts = match next.user_id {
            Some(id) => self.stores.users.user_by_id(&id).await?,
            None => None,
        }
        .map(|u| u.contexts)
        .unwrap_or_default();
        let (next, moved) = self.settle_context(next, &contexts, now).await?;
        if moved {
            return Err(SessionError::NotAllowed("context_not_allowed"));
        }
        Ok(self.status(next, now))
    }
}
