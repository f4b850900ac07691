//! Anonymous sessions (`SESSION_FEATURE_ANONYMOUS_SESSIONS`): a visitor gets a session before
//! logging in, whose public id is seed 002's logical session id for activity tracking. Logging
//! in upgrades it: the visitor's data moves to a new session with a new id and a new token
//! (see `login`), so the anonymous token never becomes an authenticated one.

use serde_json::json;

use crate::audit::{AuditEvent, AuditKind};
use crate::session::{ClientInfo, Session};
use crate::token::Token;

use super::SessionResult;
use super::faces::Browser;

impl Browser<'_> {
    /// The browser's live session if it has one; otherwise a new anonymous session and its
    /// token. New ones count against the client address's login budget.
    pub async fn start_anonymous(
        &self,
        existing: Option<&Token>,
        client: &ClientInfo,
    ) -> SessionResult<(Session, Option<Token>)> {
        let now = self.now();
        if let Some(token) = existing
            && let Ok(found) = self.resolve(Some(token), now).await
        {
            return Ok((found.session, None));
        }
        self.count_login_attempt(client, now).await?;
        let token = Token::generate()?;
        let session = self.new_session(None, &token, false, client, now)?;
        self.stores.sessions.create_session(&session).await?;
        let event = AuditEvent::new(AuditKind::SessionCreated, now)
            .session(&session)
            .client(client)
            .detail("anonymous", json!(true));
        self.audit.record(event).await?;
        Ok((session, Some(token)))
    }
}
