//! The revocations feed (docs/api.md, "Revocations"): the sessions that ended other than by a
//! timeout, in the order their ends were committed, for resource servers that verify access
//! tokens themselves and drop a revoked session's tokens before they expire.

use crate::ids::SessionId;
use crate::session::{EndReason, SessionState};
use crate::store::FeedCursor;
use crate::time::Timestamp;

use super::SessionResult;
use super::backend::BackendApi;

/// A session that ended other than by a timeout, for resource servers that drop its access
/// tokens early (`GET /api/v1/revocations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The session.
    pub session_id: SessionId,
    /// Its user, if any.
    pub user_id: Option<crate::ids::UserId>,
    /// When it ended.
    pub ended_at: Timestamp,
    /// What its tokens are now refused with: the 401 `code` (`logged_out`, `revoked`,
    /// `evicted`).
    pub code: crate::session::EndCode,
    /// Why, in more detail (`user_logout`, `password_changed`, ...): each reason has one code.
    pub reason: Option<EndReason>,
}

impl<G> BackendApi<'_, G> {
    /// Sessions that ended other than by a timeout, after `cursor`, at most `limit`, in the
    /// order their ends were committed; and the cursor to ask from next time. An end is served
    /// as soon as it is committed: one still in flight when a page is read commits with a later
    /// place than that page's last, so no cursor ever moves past it.
    pub async fn revocations(
        &self,
        cursor: FeedCursor,
        limit: u32,
    ) -> SessionResult<(Vec<Revocation>, FeedCursor)> {
        let page = self.stores.listing.ended_sessions(cursor, limit).await?;
        let revoked = page
            .items
            .into_iter()
            .map(|e| e.session)
            .filter(|s| !matches!(s.state, SessionState::Expired | SessionState::Active))
            .filter_map(|s| {
                let ended_at = s.ended_at?;
                Some(Revocation {
                    session_id: s.id,
                    user_id: s.user_id,
                    code: s.end_code_at(ended_at)?,
                    ended_at,
                    reason: s.end_reason,
                })
            })
            .collect();
        Ok((revoked, page.next))
    }
}
