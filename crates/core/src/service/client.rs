//! Events the browser client reports about what the user saw and did (seed 000's
//! `SESSION_WARNING_SHOWN`, ...), recorded in the audit trail against the session.

use crate::audit::{AuditEvent, AuditKind};
use crate::session::{ClientInfo, EndCode};
use crate::token::Token;

use super::faces::Browser;
use super::{SessionError, SessionResult};

/// Client events per session per minute: a page has no reason to report more.
pub(super) const CLIENT_EVENTS_PER_MINUTE: u32 = 30;

impl Browser<'_> {
    /// Records `kind` against the session `token` names, even one that has just ended: the
    /// expiry notice is shown after the end. `time_remaining_seconds` is what the client showed.
    pub async fn record_client_event(
        &self,
        token: Option<&Token>,
        kind: AuditKind,
        time_remaining_seconds: Option<i64>,
        client: &ClientInfo,
    ) -> SessionResult<()> {
        let token = token.ok_or(SessionError::NotAuthenticated(EndCode::NoSession.into()))?;
        let now = self.now();
        let (session, _) = self
            .lookup(token, now)
            .await?
            .ok_or(SessionError::NotAuthenticated(EndCode::NoSession.into()))?;
        self.client_events
            .hit(&session.id.to_string(), now)
            .map_err(|retry_after_secs| SessionError::RateLimited { retry_after_secs })?;
        let mut event = AuditEvent::new(kind, now).session(&session).client(client);
        if let Some(remaining) = time_remaining_seconds {
            event = event.detail("time_remaining_seconds", remaining);
        }
        self.audit.record(event).await?;
        Ok(())
    }
}
