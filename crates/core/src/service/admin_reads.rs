//! What the admin API reads (docs/api.md, "Admin API"): any grant of the gate may.

use crate::audit::{AuditEvent, AuditKind, AuditQuery};
use crate::counter::CounterKey;
use crate::ids::SessionId;
use crate::session::Session;
use crate::store::{ListKey, Scanned, SessionFilter};
use crate::user::User;

use super::admin_api::AdminApi;
use super::{SessionError, SessionResult};

/// The most sessions one page of the admin list holds.
pub const MAX_PAGE: u32 = 500;

/// One session in full, for the admin API's detail view.
#[derive(Debug, Clone)]
pub struct SessionDetail {
    /// The record.
    pub session: Session,
    /// Its suspicion score now (0 when nothing was found, or scoring is off).
    pub suspicion_score: u64,
    /// What raised it: the session's drift and suspicion records, newest first.
    pub findings: Vec<AuditEvent>,
}

impl<G> AdminApi<'_, G> {
    /// A page of the sessions `filter` matches, newest first, from after `before`. The
    /// filter's `now` is set here.
    pub async fn sessions(
        &self,
        mut filter: SessionFilter,
        before: Option<ListKey>,
        limit: u32,
    ) -> SessionResult<Scanned> {
        filter.now = self.now();
        let limit = limit.clamp(1, MAX_PAGE);
        Ok(self
            .stores
            .listing
            .sessions_before(&filter, before, limit)
            .await?)
    }

    /// The session `id` in full.
    pub async fn session(&self, id: &SessionId) -> SessionResult<SessionDetail> {
        let session = self
            .stores
            .sessions
            .session_by_id(id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let now = self.now();
        let score = self
            .stores
            .counters
            .counter(&CounterKey::SuspicionScore(*id), now)
            .await?
            .map_or(0, |c| c.value);
        let query = AuditQuery {
            session_id: Some(*id),
            event_types: [AuditKind::SessionDrift, AuditKind::SuspiciousActivity]
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            limit: 50,
            ..AuditQuery::default()
        };
        let findings = self.stores.audit.audit_events(&query).await?;
        Ok(SessionDetail {
            session,
            suspicion_score: score,
            findings,
        })
    }

    /// The user named `username`, for a filter by user.
    pub async fn user(&self, username: &str) -> SessionResult<User> {
        self.admin().user(username).await
    }

    /// Every user, by name.
    pub async fn users(&self) -> SessionResult<Vec<User>> {
        self.admin().list_users().await
    }
}

impl<G> AdminApi<'_, G> {
    /// Audit records matching `query`, newest stored first (at most [`MAX_PAGE`]).
    pub async fn audit(&self, mut query: AuditQuery) -> SessionResult<Vec<AuditEvent>> {
        query.limit = query.limit.clamp(1, MAX_PAGE);
        Ok(self.stores.audit.audit_events(&query).await?)
    }

    /// Walks the audit chain as `sessiond audit verify` does without anchors: the records the
    /// retention keeps must all be there, linked and unchanged.
    pub async fn verify_audit(
        &self,
    ) -> SessionResult<Result<crate::audit_chain::Verified, crate::audit_chain::ChainBreak>> {
        let days = self.settings.cleanup.audit_retention_days;
        let oldest_kept = crate::time::plus_secs(self.now(), -days.saturating_mul(86_400));
        self.admin()
            .verify_audit(Vec::new(), Some(oldest_kept))
            .await
    }
}

/// A session's timeline (seed 002's debug view): its record, and one page of what happened to
/// it (its audit records, the activities it recorded, the errors it met) in time order.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// The session as stored.
    pub session: Session,
    /// Oldest first: the newest `limit` records before the page's cursor.
    pub events: Vec<AuditEvent>,
    /// The cursor of the page of older records, if there may be one.
    pub older: Option<u64>,
}

impl super::SessionService {
    /// The timeline of the session `id`, from the records stored before `before_seq`.
    pub(super) async fn timeline_of(
        &self,
        id: &SessionId,
        before_seq: Option<u64>,
        limit: u32,
    ) -> SessionResult<Timeline> {
        let session = self
            .stores
            .sessions
            .session_by_id(id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let query = AuditQuery {
            session_id: Some(*id),
            before_seq,
            limit,
            ..AuditQuery::default()
        };
        let mut events = self.stores.audit.audit_events(&query).await?;
        let older = (events.len() == limit as usize)
            .then(|| events.last().and_then(|e| e.seq))
            .flatten();
        events.reverse();
        Ok(Timeline {
            session,
            events,
            older,
        })
    }
}

impl<G> AdminApi<'_, G> {
    /// The timeline of any session.
    pub async fn timeline(
        &self,
        id: &SessionId,
        before_seq: Option<u64>,
        limit: u32,
    ) -> SessionResult<Timeline> {
        self.timeline_of(id, before_seq, limit).await
    }
}
