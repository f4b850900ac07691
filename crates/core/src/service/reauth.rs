//! Fresh authentication (docs/security.md rows 16, 34, 35, 37). A session counts as freshly
//! authenticated for `SESSIOND_REAUTH_WINDOW_SECONDS` after the password was last entered; a
//! sensitive action on an older session is refused with `ReauthRequired`. Entering the password
//! again is a login that replaces the session (new id, token and CSRF token), keeping its data.

use crate::audit::{AuditEvent, AuditKind};
use crate::input;
use crate::session::EndReason;
use crate::session::{ClientInfo, Session, SessionState};
use crate::time::{Timestamp, secs_between};
use crate::token::Token;
use crate::user::AuthMethod;

use super::faces::Browser;
use super::{Issued, SessionError, SessionResult, SessionService};

impl SessionService {
    /// Refuses a sensitive action on a session whose password was entered too long ago. Every
    /// session starts at a login, so its creation is when the password was last entered.
    pub(super) fn require_fresh(&self, s: &Session, now: Timestamp) -> SessionResult<()> {
        if secs_between(s.created_at, now) > self.settings.reauth_window_secs {
            return Err(SessionError::ReauthRequired);
        }
        Ok(())
    }
}

impl Browser<'_> {
    /// The signed-in user enters their password again: the session is replaced by a new one
    /// (its data and context carried over) that is freshly authenticated. A wrong password
    /// leaves the session as it was and counts towards the account's lockout.
    pub async fn reauthenticate(
        &self,
        token: Option<&Token>,
        password: &str,
        client: &ClientInfo,
        device: Option<&str>,
    ) -> SessionResult<Issued> {
        let current = self.resolve(token, self.now()).await?.session;
        let username = current
            .username
            .as_deref()
            .filter(|_| current.user_id.is_some())
            .ok_or(SessionError::NotAllowed("anonymous_session"))?;
        self.login(
            username,
            password,
            current.persistent,
            client,
            token,
            device,
        )
        .await
    }

    /// Changes the signed-in user's own password. The current password is the proof (a
    /// re-authentication), the session is replaced by a new one, and with `end_others` every
    /// other session of the user ends: they were opened with the old password.
    pub async fn change_password(
        &self,
        token: Option<&Token>,
        current_password: &str,
        new_password: &str,
        end_others: bool,
        client: &ClientInfo,
        device: Option<&str>,
    ) -> SessionResult<Issued> {
        input::NEW_PASSWORD
            .check(new_password)
            .map_err(SessionError::Invalid)?;
        let current = self.resolve(token, self.now()).await?.session;
        let user = match current.user_id {
            Some(id) => self.stores.users.user_by_id(&id).await?,
            None => None,
        }
        .ok_or(SessionError::NotAllowed("anonymous_session"))?;
        if user.auth_method != AuthMethod::Local {
            return Err(SessionError::NotAllowed("password_managed_by_directory"));
        }
        let issued = self
            .login(
                &user.username,
                current_password,
                current.persistent,
                client,
                token,
                device,
            )
            .await?;
        let hash = self.hash_password(new_password.to_owned()).await?;
        // Read again: an admin may have changed the record while the password was checked.
        let mut user = self
            .stores
            .users
            .user_by_id(&user.id)
            .await?
            .ok_or(SessionError::NotFound)?;
        user.password_hash = Some(hash);
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::PasswordChanged, user.updated_at)
            .session(&issued.session)
            .client(client)
            .detail("by", "user")
            .detail("ended_other_sessions", end_others);
        // The other sessions end even if the record of the change cannot be stored: the
        // failure is reported after, never instead of, the sweep.
        let mut swept = Ok(0);
        if end_others {
            let now = self.now();
            let others = self.stores.sessions.user_sessions(&user.id, now).await?;
            let others = others.into_iter().filter(|s| s.id != issued.session.id);
            swept = self
                .end_all(
                    others,
                    SessionState::Revoked,
                    EndReason::PasswordChanged,
                    AuditKind::SessionRevoked,
                )
                .await;
        }
        let recorded = self.audit.record(event).await;
        swept?;
        recorded?;
        Ok(issued)
    }
}
