//! Forward auth (`GET /auth/verify`, docs/api.md "Forward auth"): a proxy asks about the browser's
//! request it holds. The backend API's validation shares the rule for a token presented by
//! someone other than its holder.

use crate::session::{ClientInfo, EndCode};

use super::faces::Forward;
use super::{SessionError, SessionResult, SessionService, SessionStatus};

impl Forward<'_> {
    /// Forward auth (`GET /auth/verify`): the browser's request, forwarded by a proxy. Its
    /// client is the browser's, so drift is scored as for a check. Activity unless `passive`
    /// (writes coalesced); the token is never renewed, since a proxy cannot be relied on to
    /// pass a new cookie back. An anonymous session is refused (`anonymous_session`) unless
    /// `SESSIOND_VERIFY_ANONYMOUS` lets it through: the application behind the proxy would
    /// otherwise serve a visitor who never logged in.
    pub async fn verify_forwarded(
        &self,
        presented: impl Into<super::Presented<'_>>,
        client: &ClientInfo,
        passive: bool,
    ) -> SessionResult<SessionStatus> {
        let anonymous = self.settings.verify_anonymous;
        self.seen_by_another(presented.into(), Some(client), !passive, anonymous)
            .await
    }
}

impl SessionService {
    /// A token presented by someone other than its holder (an application's server, a proxy):
    /// drift is scored only against `browser`, the holder's own client when it is known, and
    /// `activity` is recorded without renewing the token. An anonymous session is refused
    /// unless `anonymous` allows it.
    pub(super) async fn seen_by_another(
        &self,
        presented: super::Presented<'_>,
        browser: Option<&ClientInfo>,
        activity: bool,
        anonymous: bool,
    ) -> SessionResult<SessionStatus> {
        let now = self.now();
        let resolved = self.browser().resolve_presented(presented, now).await?;
        if !anonymous && resolved.session.user_id.is_none() {
            return Err(SessionError::NotAuthenticated(EndCode::Anonymous.into()));
        }
        if let Some(client) = browser {
            self.screen(&resolved.session, client, now).await?;
        }
        if !activity {
            return Ok(self.browser().status(resolved.session, now));
        }
        Ok(self.touch(resolved.session, now).await?.status)
    }
}
