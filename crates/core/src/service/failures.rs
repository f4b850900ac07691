//! The errors a session meets (seed 002's debug view; docs/api.md, "Every error code"): an
//! error answer to a request that carried a session names the session, so "contact support with
//! this id" finds it, and the error is kept against it for its timeline.

use crate::audit::{AuditEvent, AuditKind};
use crate::ids::SessionId;
use crate::session::ClientInfo;
use crate::token::Token;

use super::faces::Browser;

/// Errors recorded per session per minute at most: a client stuck in a loop of refusals fills
/// its timeline with a sample, not the audit trail with every one.
pub(super) const FAILURES_PER_MINUTE: u32 = 30;

/// An error answer, as the session's timeline keeps it.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The body's `code`.
    pub code: &'a str,
    /// The route's template (`/api/session/keepalive`), never the path with its values.
    pub route: &'a str,
}

impl Browser<'_> {
    /// The id of the session `token` names, live or ended, for an error answer to a request
    /// that carried it; `failure`, when given, is recorded against it (`REQUEST_FAILED`).
    /// Never fails: a store that cannot answer leaves the error as it was.
    pub async fn note_failure(
        &self,
        token: &Token,
        failure: Option<Failure<'_>>,
        client: &ClientInfo,
    ) -> Option<SessionId> {
        let now = self.now();
        let (session, _) = self.lookup(token, now).await.ok()??;
        if let Some(failure) = failure
            && self.failures.hit(&session.id.to_string(), now).is_ok()
        {
            let event = AuditEvent::new(AuditKind::RequestFailed, now)
                .session(&session)
                .client(client)
                .detail("status", failure.status)
                .detail("code", failure.code)
                .detail("route", failure.route);
            if let Err(e) = self.audit.record(event).await {
                tracing::warn!(error = %e, "an error met by a session could not be recorded");
            }
        }
        Some(session.id)
    }
}
