//! The admin API's gate (docs/api.md, "Admin API"): an API key with `admin:read` or `admin`,
//! or a superadmin's own session. It hands out [`AdminApi`], which carries who is acting, so
//! every change is audited with its actor (`ADMIN_ACTION`) and every session it ends says who
//! ended it and why.

use std::marker::PhantomData;
use std::ops::Deref;

use crate::api_key::Scope;
use crate::audit::{AuditEvent, AuditKind};
use crate::session::{ClientInfo, EndReason, SessionState};
use crate::token::Token;
use crate::user::SUPERADMIN;

use super::{SessionError, SessionResult, SessionService};

/// What the admin API's gate grants: [`Inspect`] (`admin:read`) or [`Steer`] (`admin`).
pub trait AdminGrant {
    /// The scope a key must have.
    const SCOPE: Scope;
    /// Whether it changes something: a superadmin's session must then be freshly
    /// authenticated (`SESSIOND_REAUTH_WINDOW_SECONDS`).
    const CHANGES: bool;
}

/// Reads: sessions, users, counts, the audit trail, the configuration.
pub enum Inspect {}
/// Changes: revocations, users' state, role and contexts.
pub enum Steer {}

impl AdminGrant for Inspect {
    const SCOPE: Scope = Scope::AdminRead;
    const CHANGES: bool = false;
}

impl AdminGrant for Steer {
    const SCOPE: Scope = Scope::Admin;
    const CHANGES: bool = true;
}

/// How an admin call proves who makes it.
#[derive(Clone, Copy)]
pub enum AdminCredential<'a> {
    /// `Authorization: Bearer sk_...`.
    ApiKey(&'a str),
    /// The session cookie's token, if one was sent.
    Session(Option<&'a Token>),
}

/// The admin API's face, for one caller.
pub struct AdminApi<'a, G> {
    service: &'a SessionService,
    actor: String,
    client: ClientInfo,
    grant: PhantomData<G>,
}

impl<G> Deref for AdminApi<'_, G> {
    type Target = SessionService;
    fn deref(&self) -> &SessionService {
        self.service
    }
}

impl SessionService {
    /// The admin API's gate. A key must grant `G`'s scope (its reads counted, its changes
    /// recorded, as on the backend API). A session must be a signed-in superadmin's (401
    /// without one, 403 `insufficient_role` for anyone else) and, for a change, freshly
    /// authenticated (403 `reauth_required`).
    pub async fn admin_api<G: AdminGrant>(
        &self,
        credential: AdminCredential<'_>,
        operation: &str,
        client: &ClientInfo,
    ) -> SessionResult<AdminApi<'_, G>> {
        let actor = match credential {
            AdminCredential::ApiKey(presented) => {
                let key = self.authenticate_api_key(Some(presented), client).await?;
                self.authorize_api_call(&key, G::SCOPE, operation, client)
                    .await?;
                format!("key:{}", key.name)
            }
            AdminCredential::Session(token) => {
                let now = self.now();
                let session = self.browser().resolve(token, now).await?.session;
                let name = session
                    .username
                    .as_deref()
                    .filter(|_| session.role.as_deref() == Some(SUPERADMIN))
                    .ok_or(SessionError::NotAllowed("insufficient_role"))?;
                if G::CHANGES {
                    self.require_fresh(&session, now)?;
                }
                format!("admin:{name}")
            }
        };
        Ok(AdminApi {
            service: self,
            actor,
            client: client.clone(),
            grant: PhantomData,
        })
    }
}

impl<G> AdminApi<'_, G> {
    /// Who is acting: `admin:NAME` or `key:NAME`.
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

/// What a bulk revocation did with each id or user it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Sessions this call ended.
    pub revoked: Vec<String>,
    /// Sessions that had ended already.
    pub already_ended: Vec<String>,
    /// Ids or users that were not found.
    pub not_found: Vec<String>,
}

/// At most this many ids and users in one bulk revocation.
pub const MAX_BULK: usize = 500;

impl AdminApi<'_, Steer> {
    /// Records the change this caller made.
    async fn record_action(
        &self,
        operation: &str,
        target: &str,
        reason: Option<&str>,
    ) -> SessionResult<()> {
        let mut event = AuditEvent::new(AuditKind::AdminAction, self.now())
            .client(&self.client)
            .detail("actor", self.actor.clone())
            .detail("operation", operation)
            .detail("target", target);
        if let Some(reason) = reason {
            event = event.detail("reason", reason);
        }
        Ok(self.audit.record(event).await?)
    }

    /// Revokes the session `id`, noting who and why; `false` when it had ended already.
    pub async fn revoke_session(
        &self,
        id: &crate::ids::SessionId,
        reason: Option<&str>,
    ) -> SessionResult<bool> {
        let session = self
            .stores
            .sessions
            .session_by_id(id)
            .await?
            .ok_or(SessionError::NotFound)?;
        self.record_action("revoke_session", &id.to_string(), reason)
            .await?;
        self.end_noted(session, EndReason::AdminRevoked, &self.actor, reason)
            .await
    }

    /// Revokes every live session of `username`; returns how many ended.
    pub async fn revoke_user(&self, username: &str, reason: Option<&str>) -> SessionResult<u64> {
        let user = self.admin().user(username).await?;
        self.record_action("revoke_user_sessions", &user.username, reason)
            .await?;
        let now = self.now();
        let mut ended = 0;
        for s in self.stores.sessions.user_sessions(&user.id, now).await? {
            if self
                .end_noted(s, EndReason::AdminRevoked, &self.actor, reason)
                .await?
            {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Revokes the sessions `ids` and every live session of `users` (at most [`MAX_BULK`] of
    /// each), going on past what is not found.
    pub async fn revoke_many(
        &self,
        ids: &[crate::ids::SessionId],
        users: &[String],
        reason: Option<&str>,
    ) -> SessionResult<BulkOutcome> {
        if ids.len().max(users.len()) > MAX_BULK {
            return Err(SessionError::Invalid(format!(
                "at most {MAX_BULK} ids and {MAX_BULK} users in one call"
            )));
        }
        let mut out = BulkOutcome::default();
        for id in ids {
            match self.revoke_session(id, reason).await {
                Ok(true) => out.revoked.push(id.to_string()),
                Ok(false) => out.already_ended.push(id.to_string()),
                Err(SessionError::NotFound) => out.not_found.push(id.to_string()),
                Err(e) => return Err(e),
            }
        }
        for name in users {
            let user = match self.admin().user(name).await {
                Ok(user) => user,
                Err(SessionError::NotFound) => {
                    out.not_found.push(name.clone());
                    continue;
                }
                Err(e) => return Err(e),
            };
            let now = self.now();
            for s in self.stores.sessions.user_sessions(&user.id, now).await? {
                let id = s.id;
                self.record_action("revoke_session", &id.to_string(), reason)
                    .await?;
                if self
                    .end_noted(s, EndReason::AdminRevoked, &self.actor, reason)
                    .await?
                {
                    out.revoked.push(id.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Disables a user (their sessions end); returns how many ended.
    pub async fn disable_user(&self, username: &str) -> SessionResult<u64> {
        self.record_action("disable_user", username, None).await?;
        self.admin().disable_user(username).await
    }

    /// Enables a disabled user.
    pub async fn enable_user(&self, username: &str) -> SessionResult<crate::user::User> {
        self.record_action("enable_user", username, None).await?;
        self.admin().enable_user(username).await
    }

    /// Gives a user another role (their sessions end); returns how many ended.
    pub async fn set_role(&self, username: &str, role: &str) -> SessionResult<u64> {
        self.record_action("set_role", username, Some(role)).await?;
        self.admin().set_role(username, role).await
    }

    /// Replaces a user's contexts; returns the user and how many sessions moved.
    pub async fn set_contexts(
        &self,
        username: &str,
        contexts: Vec<String>,
    ) -> SessionResult<(crate::user::User, u64)> {
        self.record_action("set_contexts", username, None).await?;
        self.admin().set_contexts(username, contexts).await
    }
}

impl SessionService {
    /// Ends `session` as revoked by `actor` with the note `note`; `false` when it had ended
    /// already (its end, and who made it, stay as they were).
    pub(super) async fn end_noted(
        &self,
        session: crate::session::Session,
        reason: EndReason,
        actor: &str,
        note: Option<&str>,
    ) -> SessionResult<bool> {
        self.end_with(
            session,
            SessionState::Revoked,
            reason,
            AuditKind::SessionRevoked,
            super::ending::Ender {
                caller: None,
                actor: Some(actor),
                note,
            },
        )
        .await
    }
}
