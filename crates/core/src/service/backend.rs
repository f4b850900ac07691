//! The backend API (docs/api.md, "Backend API"): what an application's server may do with an
//! API key. A session made here is the same session as a browser's: the cap, the timeouts,
//! revocation and the audit trail apply, and its token works as the cookie.

use std::marker::PhantomData;
use std::ops::Deref;

use serde_json::{Map, Value};

use crate::api_key::{ApiKey, Scope};
use crate::audit::{AuditEvent, AuditKind};
use crate::ids::{SessionId, UserId};
use crate::input;
use crate::session::{ClientInfo, EndReason, Session};
use crate::store::StoreError;
use crate::token::Token;
use crate::user::{AuthMethod, User, normalize_username, validate_username};

use super::ops::SessionStatus;
use super::{Issued, SessionError, SessionResult, SessionService};

/// A session an application asks for, for a user it authenticated itself.
#[derive(Debug, Clone, Default)]
pub struct AppLogin {
    /// Who: an existing user, or a new one with `create_user`.
    pub username: String,
    /// Create the user (a local user without a password) when there is none.
    pub create_user: bool,
    /// The new user's role (default: the first of `SESSION_ROLES`).
    pub role: Option<String>,
    /// The new user's display name.
    pub display_name: Option<String>,
    /// The session's platform context: one of the user's.
    pub context: Option<String>,
    /// A persistent cookie.
    pub remember_me: bool,
    /// The session's first data.
    pub data: Option<Map<String, Value>>,
    /// The browser the session is for, as the application saw it.
    pub client: ClientInfo,
}

impl AppLogin {
    /// Refuses what no other path would store: every field is held to its rule of
    /// [`crate::input`], and a role must be one of `roles` whether or not a user is created.
    /// The address comes back in its canonical form.
    fn checked(mut self, roles: &[String]) -> SessionResult<Self> {
        validate_username(&self.username).map_err(SessionError::Invalid)?;
        if let Some(role) = &self.role
            && !roles.contains(role)
        {
            return Err(SessionError::Invalid(format!(
                "unknown role {role:?}: choose one of {}",
                roles.join(", ")
            )));
        }
        if let Some(context) = &self.context {
            input::CONTEXT
                .check(context)
                .map_err(SessionError::Invalid)?;
        }
        if let Some(name) = &self.display_name {
            input::DISPLAY_NAME
                .check(name)
                .map_err(SessionError::Invalid)?;
        }
        if let Some(ip) = &self.client.ip {
            self.client.ip = Some(input::ip(ip).map_err(SessionError::Invalid)?.to_string());
        }
        if let Some(ua) = &self.client.user_agent {
            input::USER_AGENT.check(ua).map_err(SessionError::Invalid)?;
        }
        if let Some(data) = &self.data
            && serde_json::to_vec(data).map_or(usize::MAX, |b| b.len()) > super::MAX_DATA_BYTES
        {
            return Err(SessionError::DataTooLarge(super::MAX_DATA_BYTES));
        }
        Ok(self)
    }
}

/// A scope the backend API's gate grants: [`Read`] (`sessions:read`) or [`Write`]
/// (`sessions:write`, which reads too).
pub trait Grant {
    /// The scope the key must have.
    const SCOPE: Scope;
}

/// `sessions:read`: validate, look up, list, the revocations feed.
pub enum Read {}
/// `sessions:write`: also create, revoke, change data, record activity.
pub enum Write {}

impl Grant for Read {
    const SCOPE: Scope = Scope::SessionsRead;
}

impl Grant for Write {
    const SCOPE: Scope = Scope::SessionsWrite;
}

/// The backend API's face: handed out by [`SessionService::backend_api`] only once the key was
/// found, holds `G`'s scope and the call was audited, and carrying only the operations `G`
/// allows. It owns the key, so each operation acts and audits as that key.
pub struct BackendApi<'a, G> {
    service: &'a SessionService,
    key: ApiKey,
    grant: PhantomData<G>,
}

impl<G> Deref for BackendApi<'_, G> {
    type Target = SessionService;
    fn deref(&self) -> &SessionService {
        self.service
    }
}

impl SessionService {
    /// The backend API's gate: the key `presented` (`Authorization: Bearer sk_...`) must be a
    /// valid one that grants `G`'s scope; the call is audited as `operation` (a read counted,
    /// a write on its own); only then are `G`'s operations handed out.
    pub async fn backend_api<G: Grant>(
        &self,
        presented: Option<&str>,
        operation: &str,
        client: &ClientInfo,
    ) -> SessionResult<BackendApi<'_, G>> {
        let key = self.authenticate_api_key(presented, client).await?;
        self.authorize_api_call(&key, G::SCOPE, operation, client)
            .await?;
        Ok(BackendApi {
            service: self,
            key,
            grant: PhantomData,
        })
    }
}

impl<G> BackendApi<'_, G> {
    /// The key the call came with.
    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// Validates a token for an application's server, passively. The caller is the
    /// application's server, so its address is not the session's client and drift is not
    /// scored.
    pub async fn validate(&self, token: &Token) -> SessionResult<SessionStatus> {
        self.seen_by_another(Some(token).into(), None, false, true)
            .await
    }

    /// An active session by id, for the backend API; anything else is `NotFound`.
    pub async fn session_by_id(&self, id: &SessionId) -> SessionResult<Session> {
        let now = self.now();
        self.stores
            .sessions
            .session_by_id(id)
            .await?
            .filter(|s| s.is_active_at(now))
            .ok_or(SessionError::NotFound)
    }

    /// The active sessions of the user `username`, oldest first.
    pub async fn sessions_of(&self, username: &str) -> SessionResult<Vec<Session>> {
        let user = self.admin().user(username).await?;
        Ok(self
            .stores
            .sessions
            .user_sessions(&user.id, self.now())
            .await?)
    }

    /// The timeline of the session `id` (`Timeline`), from the records before `before_seq`.
    pub async fn timeline(
        &self,
        id: &SessionId,
        before_seq: Option<u64>,
        limit: u32,
    ) -> SessionResult<super::Timeline> {
        self.timeline_of(id, before_seq, limit).await
    }
}

impl BackendApi<'_, Write> {
    /// A session for a user the application authenticated: the browser's login without the
    /// password, under the same cap and timeouts. `key` must be allowed to assert the user
    /// (its roles and users; `admin` for anyone else and for every superadmin).
    pub async fn login_for_app(&self, req: AppLogin) -> SessionResult<Issued> {
        let key = &self.key;
        let req = req.checked(&self.settings.roles)?;
        let username = normalize_username(&req.username);
        let user = match self.stores.users.user_by_name(&username).await? {
            Some(user) => user,
            None if req.create_user => self.create_passwordless_user(key, &username, &req).await?,
            None => return Err(SessionError::NotFound),
        };
        self.may_assert(key, &user.username, &user.role, &req.client)
            .await?;
        if !user.enabled {
            return Err(SessionError::NotAllowed("user_disabled"));
        }
        if let Some(context) = &req.context
            && !user.contexts.contains(context)
        {
            return Err(SessionError::NotAllowed("context_not_allowed"));
        }
        let now = self.now();
        let lock = self.login_lock(user.id);
        let _one_at_a_time = lock.lock().await;
        self.make_room(&user, now).await?;
        let token = Token::generate()?;
        let mut session =
            self.new_session(Some(&user), &token, req.remember_me, &req.client, now)?;
        session.context.clone_from(&req.context);
        // The application vouched for the user, whatever the account's own method is.
        session.auth_method = Some("app".to_owned());
        if req.client.user_agent.is_none() {
            // No client to compare with: the first browser request must not count as drift.
            session.fingerprint = None;
        }
        if let Some(data) = req.data {
            session.data = data;
        }
        self.stores.sessions.create_session(&session).await?;
        self.trim_after_create(&user, &session, now).await?;
        // Like a login, it must not outlive a revocation it raced (disable, role change).
        self.confirm_user_unchanged(&user, &session, &req.client)
            .await?;
        let event = AuditEvent::new(AuditKind::SessionCreated, now)
            .session(&session)
            .client(&req.client)
            .detail("api_key", key.name.clone());
        self.audit.record(event).await?;
        Ok(Issued {
            session,
            token,
            device: None,
        })
    }

    /// A local user without a password, for `create_user`: with a role `key` may assert, and
    /// never a name the directory has, when LDAP is on (the key would otherwise make a
    /// directory user's name its own, with a role of its choosing).
    async fn create_passwordless_user(
        &self,
        key: &ApiKey,
        username: &str,
        req: &AppLogin,
    ) -> SessionResult<User> {
        // `checked` has held the name as sent to the username rule (its NFKC form, `username`,
        // may hold what a compatibility letter expands to) and the role to `SESSION_ROLES`.
        let role = match &req.role {
            Some(role) => role.clone(),
            None => self.settings.roles.first().cloned().unwrap_or_default(),
        };
        self.may_assert(key, username, &role, &req.client).await?;
        if let Some(directory) = &self.directory {
            let owned = directory
                .has_user(username)
                .await
                .map_err(SessionError::DirectoryUnavailable)?;
            // A directory that will not say counts as one that has it.
            if owned != Some(false) {
                return Err(SessionError::NotAllowed("user_in_directory"));
            }
        }
        let now = self.now();
        let user = User {
            id: UserId::generate(now)?,
            username: username.to_owned(),
            display_name: req
                .display_name
                .clone()
                .unwrap_or_else(|| username.to_owned()),
            role,
            auth_method: AuthMethod::Local,
            password_hash: None,
            enabled: true,
            contexts: req.context.iter().cloned().collect(),
            created_at: now,
            updated_at: now,
        };
        match self.stores.users.create_user(&user).await {
            Ok(()) => {
                let event = AuditEvent::new(AuditKind::UserCreated, now)
                    .username(&user.username)
                    .detail("role", user.role.clone());
                self.audit.record(event.detail("by", "api")).await?;
                Ok(user)
            }
            // Another call created it first: use that one.
            Err(StoreError::Conflict(_)) => self
                .stores
                .users
                .user_by_name(username)
                .await?
                .ok_or(SessionError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes the session `id`, audited with the key's name.
    pub async fn revoke_session_by_id(&self, id: &SessionId) -> SessionResult<()> {
        let session = self.session_by_id(id).await?;
        let actor = format!("key:{}", self.key.name);
        self.end_noted(session, EndReason::ApiRevoked, &actor, None)
            .await
            .map(|_| ())
    }

    /// Revokes every session of the user `username`; returns how many ended.
    pub async fn revoke_sessions_of(&self, username: &str) -> SessionResult<u64> {
        let user = self.admin().user(username).await?;
        self.revoke_user_sessions(&user.id, EndReason::ApiRevoked)
            .await
    }

    /// [`BackendApi::validate`], counted as activity: the idle deadline moves (coalesced
    /// writes), and the token is never renewed, since the browser holds it.
    pub async fn validate_with_activity(&self, token: &Token) -> SessionResult<SessionStatus> {
        self.seen_by_another(Some(token).into(), None, true, true)
            .await
    }
}
