//! The backend API (docs/api.md, "Backend API"): what an application's server may do with an
//! API key. A session made here is the same session as a browser's: the cap, the timeouts,
//! revocation and the audit trail apply, and its token works as the cookie.

use serde_json::{Map, Value};

use crate::api_key::{ApiKey, ApiKeySecret, Scope};
use crate::audit::{AuditEvent, AuditKind};
use crate::cache::Notice;
use crate::ids::{SessionId, UserId};
use crate::session::{ClientInfo, EndCode, EndReason, Session, SessionState};
use crate::store::StoreError;
use crate::token::{Token, TokenHash};
use crate::user::{
    AuthMethod, User, normalize_username, validate_context, validate_display_name,
    validate_username,
};

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
    /// Refuses what no other path would store: every field is held to the rule it has where a
    /// browser or the CLI sets it. The address comes back in its canonical form.
    fn checked(mut self) -> SessionResult<Self> {
        let invalid = |m: &str| SessionError::Invalid(m.to_owned());
        validate_username(&normalize_username(&self.username)).map_err(invalid)?;
        if let Some(context) = &self.context {
            validate_context(context).map_err(invalid)?;
        }
        if let Some(name) = &self.display_name {
            validate_display_name(name).map_err(invalid)?;
        }
        if let Some(ip) = &self.client.ip {
            let ip: std::net::IpAddr = ip
                .parse()
                .map_err(|_| invalid("ip must be an IPv4 or IPv6 address"))?;
            self.client.ip = Some(ip.to_canonical().to_string());
        }
        if let Some(ua) = &self.client.user_agent
            && (ua.len() > crate::session::MAX_USER_AGENT || ua.chars().any(char::is_control))
        {
            return Err(invalid(
                "user_agent is at most 512 bytes, none of them control characters",
            ));
        }
        if let Some(data) = &self.data
            && serde_json::to_vec(data).map_or(usize::MAX, |b| b.len()) > super::MAX_DATA_BYTES
        {
            return Err(SessionError::DataTooLarge(super::MAX_DATA_BYTES));
        }
        Ok(self)
    }
}

fn valid_key_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl SessionService {
    /// Creates an API key with `scopes`; the secret is returned once and never stored.
    pub async fn create_api_key(
        &self,
        name: &str,
        mut scopes: Vec<Scope>,
    ) -> SessionResult<ApiKeySecret> {
        if !valid_key_name(name) {
            return Err(SessionError::Invalid(
                "an API key's name has 1 to 64 letters, digits, '-', '_' or '.'".into(),
            ));
        }
        if scopes.is_empty() {
            return Err(SessionError::Invalid(
                "give the key at least one scope".into(),
            ));
        }
        scopes.sort();
        scopes.dedup();
        let now = self.now();
        let secret = ApiKeySecret::generate()?;
        let key = ApiKey {
            name: name.to_owned(),
            hash: secret.hash(),
            scopes,
            created_at: now,
            revoked_at: None,
        };
        self.stores
            .api_keys
            .create_api_key(&key)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    SessionError::Invalid(format!("an API key named {name:?} already exists"))
                }
                e => e.into(),
            })?;
        let scopes: Vec<_> = key.scopes.iter().map(|s| s.as_str()).collect();
        let event = AuditEvent::new(AuditKind::ApiKeyCreated, now)
            .detail("api_key", name)
            .detail("scopes", scopes);
        self.audit.record(event).await?;
        Ok(secret)
    }

    /// Every API key, by name (hashes only).
    pub async fn api_keys(&self) -> SessionResult<Vec<ApiKey>> {
        Ok(self.stores.api_keys.api_keys().await?)
    }

    /// Revokes the key `name` at once, on every node: each call looks its key up, and nodes
    /// that cache keys are told on the bus before this returns. `false` when there is no such
    /// active key.
    pub async fn revoke_api_key(&self, name: &str) -> SessionResult<bool> {
        let now = self.now();
        let revoked = self.stores.api_keys.revoke_api_key(name, now).await?;
        if revoked && let Some(bus) = self.stores.bus() {
            // The revocation stands either way; a node that misses the notice drops its copy
            // within SESSIOND_CACHE_TTL_SECONDS.
            if let Err(e) = bus.publish(&Notice::ApiKeys).await {
                tracing::error!(error = %e, "could not tell the other nodes of a revoked API key");
            }
        }
        if revoked {
            let event = AuditEvent::new(AuditKind::ApiKeyRevoked, now).detail("api_key", name);
            self.audit.record(event).await?;
        }
        Ok(revoked)
    }

    /// The key `presented` is, if it is a valid one. A malformed key is looked up too (as a
    /// hash no key has), so a wrong key costs what a right one does. Wrong keys count against
    /// the address like unknown session tokens: past `SESSIOND_UNKNOWN_TOKEN_LIMIT` a minute it
    /// is answered 429.
    pub async fn authenticate_api_key(
        &self,
        presented: Option<&str>,
        client: &ClientInfo,
    ) -> SessionResult<ApiKey> {
        let hash = presented
            .and_then(ApiKeySecret::hash_of)
            .unwrap_or_else(|| TokenHash::from_bytes([0; 32]));
        let found = self.stores.api_keys.api_key_by_hash(&hash).await?;
        if let Some(key) = found.filter(|k| k.authenticates(&hash)) {
            return Ok(key);
        }
        let ip = client.ip.as_deref().unwrap_or("unknown");
        if let Err(retry_after_secs) = self.guessing_blocked(ip) {
            return Err(SessionError::RateLimited { retry_after_secs });
        }
        self.note_unknown_token(ip, client).await;
        Err(SessionError::InvalidApiKey)
    }

    /// Refuses `key` unless one of its scopes grants `scope`; audits the call otherwise
    /// (`API_REQUEST`, with the key's name and `operation`): a call that changes something on
    /// its own before it is answered, a read (`sessions:read`) as a count (`api_reads`).
    pub async fn authorize_api_call(
        &self,
        key: &ApiKey,
        scope: Scope,
        operation: &str,
        client: &ClientInfo,
    ) -> SessionResult<()> {
        if !key.allows(scope) {
            return Err(SessionError::InsufficientScope(scope));
        }
        if scope == Scope::SessionsRead {
            return self.audit_api_read(&key.name, operation, client).await;
        }
        let event = AuditEvent::new(AuditKind::ApiRequest, self.now())
            .client(client)
            .detail("api_key", key.name.clone())
            .detail("operation", operation)
            .detail("count", 1);
        self.audit.record(event).await?;
        Ok(())
    }

    /// A session for a user the application authenticated: the browser's login without the
    /// password, under the same cap and timeouts.
    pub async fn login_for_app(&self, key: &ApiKey, req: AppLogin) -> SessionResult<Issued> {
        let req = req.checked()?;
        let username = normalize_username(&req.username);
        let user = match self.stores.users.user_by_name(&username).await? {
            Some(user) => user,
            None if req.create_user => self.create_passwordless_user(&username, &req).await?,
            None => return Err(SessionError::NotFound),
        };
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

    async fn create_passwordless_user(
        &self,
        username: &str,
        req: &AppLogin,
    ) -> SessionResult<User> {
        validate_username(username).map_err(|m| SessionError::Invalid(m.into()))?;
        let role = match &req.role {
            Some(role) if self.settings.roles.contains(role) => role.clone(),
            Some(role) => {
                return Err(SessionError::Invalid(format!("unknown role {role:?}")));
            }
            None => self.settings.roles.first().cloned().unwrap_or_default(),
        };
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

    /// Validates a token for an application's server. Passive unless `activity`, which extends
    /// the idle deadline (coalesced writes) and never renews the token: the browser holds it.
    /// The caller is the application's server, so its address is not the session's client and
    /// drift is not scored.
    pub async fn validate(&self, token: &Token, activity: bool) -> SessionResult<SessionStatus> {
        self.seen_by_another(Some(token).into(), None, activity, true)
            .await
    }

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

    /// A token presented by someone other than its holder (an application's server, a proxy):
    /// drift is scored only against `browser`, the holder's own client when it is known, and
    /// `activity` is recorded without renewing the token. An anonymous session is refused
    /// unless `anonymous` allows it.
    async fn seen_by_another(
        &self,
        presented: super::Presented<'_>,
        browser: Option<&ClientInfo>,
        activity: bool,
        anonymous: bool,
    ) -> SessionResult<SessionStatus> {
        let now = self.now();
        let resolved = self.resolve_presented(presented, now).await?;
        if !anonymous && resolved.session.user_id.is_none() {
            return Err(SessionError::NotAuthenticated(EndCode::Anonymous));
        }
        if let Some(client) = browser {
            self.screen(&resolved.session, client, now).await?;
        }
        if !activity {
            return Ok(self.status(resolved.session, now));
        }
        Ok(self.touch(resolved.session, now).await?.status)
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

    /// Revokes the session `id`, audited with the key's name.
    pub async fn revoke_session_by_id(&self, id: &SessionId) -> SessionResult<()> {
        let session = self.session_by_id(id).await?;
        self.end(
            session,
            SessionState::Revoked,
            EndReason::ApiRevoked,
            AuditKind::SessionRevoked,
        )
        .await
    }

    /// The active sessions of the user `username`, oldest first.
    pub async fn sessions_of(&self, username: &str) -> SessionResult<Vec<Session>> {
        let user = self.user(username).await?;
        Ok(self
            .stores
            .sessions
            .user_sessions(&user.id, self.now())
            .await?)
    }

    /// Revokes every session of the user `username`; returns how many ended.
    pub async fn revoke_sessions_of(&self, username: &str) -> SessionResult<u64> {
        let user = self.user(username).await?;
        self.revoke_user_sessions(&user.id, EndReason::ApiRevoked)
            .await
    }
}
