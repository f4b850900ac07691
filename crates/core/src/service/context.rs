//! Platform context (seed 004): a user may work in one of several contexts (platforms,
//! tenants); the session carries the active one, and switching is checked, limited and audited.

use crate::audit::{AuditEvent, AuditKind};
use crate::session::ClientInfo;
use crate::token::Token;

use super::ops::CAS_TRIES;
use super::security::CONTEXT_SWITCH_FLOOD;
use super::{SessionError, SessionResult, SessionService, SessionStatus};

impl SessionService {
    /// Makes `context` the session's active one. It must be one of the user's allowed contexts
    /// (`sessiond users set-contexts`), and a session may switch at most
    /// `SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR` times an hour.
    pub async fn switch_context(
        &self,
        token: Option<&Token>,
        context: &str,
        client: &ClientInfo,
    ) -> SessionResult<SessionStatus> {
        let now = self.now();
        let mut session = self.resolve(token, now).await?.session;
        let user = match session.user_id {
            Some(id) => self.store.user_by_id(&id).await?,
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
        for _ in 0..CAS_TRIES {
            let from = session.context.clone();
            let mut next = session.clone();
            next.context = Some(context.to_owned());
            match self.save(&mut next).await {
                Ok(()) => {
                    let event = AuditEvent::new(AuditKind::ContextSwitched, now)
                        .session(&next)
                        .client(client)
                        .detail("from", from)
                        .detail("to", context);
                    self.audit.record(event).await?;
                    return Ok(self.status(next, now));
                }
                Err(SessionError::Conflict(_)) => {
                    session = self.reload_active(&session.id, now).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(SessionError::Conflict(format!(
            "session {} is too busy",
            session.id
        )))
    }
}
