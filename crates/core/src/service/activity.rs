//! Activities a session records (seed 002's activity tracking; docs/api.md,
//! `POST /api/session/activity` and the backend API's activity route): a type and details, kept
//! in the audit trail against the session, and counted as activity (the idle deadline moves, as
//! a keep-alive's does; the token is never renewed). The backend API records them for a session
//! by its id; the browser for its own session, within a rate and a size, since anything on the
//! page may call it.

use serde_json::Value;

use crate::audit::{AuditEvent, AuditKind};
use crate::session::{ClientInfo, Session};
use crate::time::Timestamp;
use crate::token::Token;

use super::faces::Browser;
use super::{Activity, MAX_DATA_BYTES, SessionError, SessionResult, SessionService};

/// Activities a browser may record per session per minute.
pub(super) const ACTIVITIES_PER_MINUTE: u32 = 60;

impl SessionService {
    /// Touches `session` and records activity `kind` (already held to its rule) with `details`;
    /// `who` adds who recorded it to the record.
    pub(super) async fn record_activity_of(
        &self,
        session: Session,
        kind: &str,
        details: Option<Value>,
        who: impl FnOnce(AuditEvent) -> AuditEvent,
        now: Timestamp,
    ) -> SessionResult<Activity> {
        let activity = self.touch(session, now).await?;
        let mut event = AuditEvent::new(AuditKind::SessionActivity, now)
            .session(&activity.status.session)
            .detail("activity", kind);
        if let Some(details) = details {
            event = event.detail("details", details);
        }
        self.audit.record(who(event)).await?;
        Ok(activity)
    }
}

impl Browser<'_> {
    /// Records an activity of the session `token` names, at most [`ACTIVITIES_PER_MINUTE`] a
    /// minute per session, with details of at most [`MAX_DATA_BYTES`] serialised, as a
    /// session's data.
    pub async fn record_activity(
        &self,
        token: Option<&Token>,
        kind: &str,
        details: Option<Value>,
        client: &ClientInfo,
    ) -> SessionResult<Activity> {
        crate::input::ACTIVITY_TYPE
            .check(kind)
            .map_err(SessionError::Invalid)?;
        let size = details
            .as_ref()
            .map_or(0, |d| serde_json::to_vec(d).map_or(usize::MAX, |b| b.len()));
        if size > MAX_DATA_BYTES {
            return Err(SessionError::DataTooLarge(MAX_DATA_BYTES));
        }
        let now = self.now();
        let resolved = self.resolve(token, now).await?;
        self.screen(&resolved.session, client, now).await?;
        self.activities
            .hit(&resolved.session.id.to_string(), now)
            .map_err(|retry_after_secs| SessionError::RateLimited { retry_after_secs })?;
        let by = |event: AuditEvent| event.client(client).detail("by", "browser");
        self.record_activity_of(resolved.session, kind, details, by, now)
            .await
    }
}
