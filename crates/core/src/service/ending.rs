//! Ending sessions: one, noting who ended it and why; every session of a user; a list of them.
//! Each end is one versioned write (a concurrent end leaves it as the first one wrote it),
//! audited with its reason.

use crate::audit::{AuditEvent, AuditKind};
use crate::session::EndReason;
use crate::session::{ClientInfo, Session, SessionState};

use super::update::{Outcome, Reread, Step};
use super::{SessionResult, SessionService};

impl SessionService {
    /// Ends `session` with `state`, retrying on concurrent updates. Ending an already ended
    /// session is a no-op.
    pub(super) async fn end(
        &self,
        session: Session,
        state: SessionState,
        reason: EndReason,
        kind: AuditKind,
    ) -> SessionResult<()> {
        self.end_by(session, state, reason, kind, None).await
    }

    /// [`Self::end`], audited with `caller`'s address and user agent when the request that
    /// ends it is not the session's own client (a token client's refresh or logout comes from
    /// wherever the client is now, not from where it logged in).
    pub(super) async fn end_by(
        &self,
        session: Session,
        state: SessionState,
        reason: EndReason,
        kind: AuditKind,
        caller: Option<&ClientInfo>,
    ) -> SessionResult<()> {
        let ender = Ender {
            caller,
            ..Ender::default()
        };
        self.end_with(session, state, reason, kind, ender)
            .await
            .map(|_| ())
    }

    /// Ends `session`, noting who ended it and why (`ender`); `false` when it had ended
    /// already, which leaves it as it was.
    pub(super) async fn end_with(
        &self,
        session: Session,
        state: SessionState,
        reason: EndReason,
        kind: AuditKind,
        ender: Ender<'_>,
    ) -> SessionResult<bool> {
        let now = self.now();
        let outcome = self
            .update_session(session, Reread::Any, |session| {
                if session.state != SessionState::Active {
                    return Ok(Step::Keep(()));
                }
                let mut next = session.clone();
                next.state = state;
                next.end_reason = Some(reason.to_owned());
                next.ended_at = Some(now.min(next.deadline()));
                next.ended_by = ender.actor.map(str::to_owned);
                next.end_note = ender.note.map(str::to_owned);
                Ok(Step::Write(Box::new(next), ()))
            })
            .await?;
        let Outcome::Written(next, ()) = outcome else {
            return Ok(false);
        };
        let mut event = AuditEvent::new(kind, now);
        if let Some(caller) = ender.caller {
            event = event.client(caller);
        }
        let mut event = event
            .session(&next)
            .duration(&next, now)
            .detail("reason", reason.as_str());
        if let Some(actor) = ender.actor {
            event = event.detail("ended_by", actor);
        }
        if let Some(note) = ender.note {
            event = event.detail("note", note);
        }
        self.audit.record(event).await?;
        Ok(true)
    }

    /// Ends every active session of a user (disable, password change). Returns how many.
    pub(crate) async fn revoke_user_sessions(
        &self,
        user: &crate::ids::UserId,
        reason: EndReason,
    ) -> SessionResult<u64> {
        let now = self.now();
        let sessions = self.stores.sessions.user_sessions(user, now).await?;
        let n = self
            .end_all(
                sessions,
                SessionState::Revoked,
                reason,
                AuditKind::SessionRevoked,
            )
            .await?;
        if n > 0 {
            let reason = reason.as_str();
            tracing::info!(user = %user, ended = n, reason, "revoked user sessions");
        }
        Ok(n)
    }

    /// Ends each of `sessions`, going on past a failure (a write or its audit record) so that
    /// one failure never leaves the rest alive; the first failure is returned once all were
    /// tried. Returns how many ended.
    pub(super) async fn end_all(
        &self,
        sessions: impl IntoIterator<Item = Session>,
        state: SessionState,
        reason: EndReason,
        kind: AuditKind,
    ) -> SessionResult<u64> {
        let (mut ended, mut failure) = (0, None);
        for s in sessions {
            match self.end(s, state, reason, kind).await {
                Ok(()) => ended += 1,
                Err(e) => drop(failure.get_or_insert(e)),
            }
        }
        failure.map_or(Ok(ended), Err)
    }
}

/// Who ends a session, beside its own user: the request's client when it is not the
/// session's, the actor who ended it, and the reason they gave.
#[derive(Default, Clone, Copy)]
pub(super) struct Ender<'a> {
    pub caller: Option<&'a ClientInfo>,
    pub actor: Option<&'a str>,
    pub note: Option<&'a str>,
}
