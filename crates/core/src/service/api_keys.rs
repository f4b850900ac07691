//! The backend API's keys (docs/api.md, "Backend API"): created, listed, revoked and given the
//! roles they may assert, and each call's key checked and audited. A `sessions:write` key
//! asserts identities (a session it asks for is the browser's login without a password), so it
//! carries the roles, and optionally the users, it may create sessions and users for; anything
//! else, and every superadmin, takes the `admin` scope.

use crate::api_key::{ApiKey, ApiKeySecret, Scope};
use crate::audit::{AuditEvent, AuditKind};
use crate::cache::Notice;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::token::TokenHash;
use crate::user::{SUPERADMIN, User, validate_username};

use super::faces::Admin;
use super::{SessionError, SessionResult, SessionService};

/// What `sessiond api-keys create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewApiKey {
    /// Unique: 1 to 64 letters, digits, `-`, `_` or `.`.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// For a `sessions:write` key: the roles it may create sessions and users for.
    pub roles: Vec<String>,
    /// For a `sessions:write` key: when not empty, the only users it may create sessions for.
    pub users: Vec<String>,
}

impl NewApiKey {
    /// A key `name` with `scopes`, asserting no identity.
    pub fn new(name: &str, scopes: &[Scope]) -> Self {
        Self {
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            ..Self::default()
        }
    }

    /// That may create sessions and users with `roles`.
    pub fn roles(mut self, roles: &[&str]) -> Self {
        self.roles = roles.iter().map(|r| (*r).to_owned()).collect();
        self
    }
}

fn valid_key_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl SessionService {
    /// The roles and users a key with `scopes` may carry, checked and normalised. Only a
    /// `sessions:write` key carries them: a read key asserts nobody and an `admin` key anyone.
    fn grants(
        &self,
        scopes: &[Scope],
        mut roles: Vec<String>,
        users: Vec<String>,
    ) -> SessionResult<(Vec<String>, Vec<String>)> {
        let invalid = |m: String| Err(SessionError::Invalid(m));
        let writes = scopes.iter().any(|s| s.grants(Scope::SessionsWrite));
        let admin = scopes.contains(&Scope::Admin);
        if (!roles.is_empty() || !users.is_empty()) && (admin || !writes) {
            return invalid(
                "--roles and --users are for sessions:write keys: a read key asserts nobody, \
                 an admin key anyone"
                    .into(),
            );
        }
        if !users.is_empty() && roles.is_empty() {
            return invalid("--users needs --roles: the roles those users may have".into());
        }
        for role in &roles {
            if role == SUPERADMIN {
                return invalid(format!(
                    "a write key never asserts {SUPERADMIN}: a superadmin's session takes an \
                     admin key"
                ));
            }
            if !self.settings.roles.contains(role) {
                let known = self.settings.roles.join(", ");
                return invalid(format!("unknown role {role:?}: choose among {known}"));
            }
        }
        roles.sort();
        roles.dedup();
        let mut keyed = Vec::with_capacity(users.len());
        for user in users {
            validate_username(&user)
                .map_err(|m| SessionError::Invalid(format!("--users {user:?}: {m}")))?;
            keyed.push(User::username_key(&user));
        }
        keyed.sort();
        keyed.dedup();
        Ok((roles, keyed))
    }

    /// Tells the nodes that cache keys to drop them. The change stands either way; a node that
    /// misses the notice drops its copy within SESSIOND_CACHE_TTL_SECONDS.
    async fn publish_api_keys_changed(&self) {
        if let Some(bus) = self.stores.bus()
            && let Err(e) = bus.publish(&Notice::ApiKeys).await
        {
            tracing::error!(error = %e, "could not tell the other nodes of a changed API key");
        }
    }

    /// Refuses a session or a user that `key` may not assert (docs/api.md, "Backend API"):
    /// `insufficient_scope`, audited `API_ASSERTION_REFUSED` with what was asked.
    pub(super) async fn may_assert(
        &self,
        key: &ApiKey,
        username: &str,
        role: &str,
        client: &ClientInfo,
    ) -> SessionResult<()> {
        if key.may_assert(username, role) {
            return Ok(());
        }
        let event = AuditEvent::new(AuditKind::ApiAssertionRefused, self.now())
            .client(client)
            .username(username)
            .detail("api_key", key.name.clone())
            .detail("role", role);
        self.audit.record(event).await?;
        Err(SessionError::InsufficientScope(Scope::Admin))
    }

    /// The key `presented` is, if it is a valid one. A malformed key is looked up too (as a
    /// hash no key has), so a wrong key costs what a right one does. Wrong keys count against
    /// the address like unknown session tokens: past `SESSIOND_UNKNOWN_TOKEN_LIMIT` a minute it
    /// is answered 429.
    pub(super) async fn authenticate_api_key(
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
        if let Err(retry_after_secs) = self.browser().guessing_blocked(ip) {
            return Err(SessionError::RateLimited { retry_after_secs });
        }
        self.browser().note_unknown_token(ip, client).await;
        Err(SessionError::InvalidApiKey)
    }

    /// Refuses `key` unless one of its scopes grants `scope`; audits the call otherwise
    /// (`API_REQUEST`, with the key's name and `operation`): a call that changes something on
    /// its own before it is answered, a read (`sessions:read`) as a count (`api_reads`).
    pub(super) async fn authorize_api_call(
        &self,
        key: &ApiKey,
        scope: Scope,
        operation: &str,
        client: &ClientInfo,
    ) -> SessionResult<()> {
        if !key.allows(scope) {
            return Err(SessionError::InsufficientScope(scope));
        }
        if matches!(scope, Scope::SessionsRead | Scope::AdminRead) {
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
}

impl Admin<'_> {
    /// Creates an API key; the secret is returned once and never stored. Audited
    /// `API_KEY_CREATED` with its scopes, roles and users.
    pub async fn create_api_key(&self, new: NewApiKey) -> SessionResult<ApiKeySecret> {
        let NewApiKey {
            name,
            mut scopes,
            roles,
            users,
        } = new;
        let name = name.as_str();
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
        let (roles, users) = self.grants(&scopes, roles, users)?;
        let now = self.now();
        let secret = ApiKeySecret::generate()?;
        let key = ApiKey {
            name: name.to_owned(),
            hash: secret.hash(),
            scopes,
            roles,
            users,
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
            .detail("scopes", scopes)
            .detail("roles", key.roles.clone())
            .detail("users", key.users.clone());
        self.audit.record(event).await?;
        Ok(secret)
    }

    /// Gives the write key `name` the roles and users it may assert, replacing what it had
    /// (`sessiond api-keys set-roles`): how a key made before keys carried roles gets them
    /// without a new secret. Acts on every node at once, as a revocation does. `false` when
    /// there is no such active key.
    pub async fn set_api_key_roles(
        &self,
        name: &str,
        roles: Vec<String>,
        users: Vec<String>,
    ) -> SessionResult<bool> {
        let keys = self.stores.api_keys.api_keys().await?;
        let Some(key) = keys
            .iter()
            .find(|k| k.name == name && k.revoked_at.is_none())
        else {
            return Ok(false);
        };
        let (roles, users) = self.grants(&key.scopes, roles, users)?;
        if roles.is_empty() {
            return Err(SessionError::Invalid(
                "give at least one role with --roles".into(),
            ));
        }
        let changed = self
            .stores
            .api_keys
            .set_api_key_grants(name, &roles, &users)
            .await?;
        if changed {
            self.publish_api_keys_changed().await;
            let event = AuditEvent::new(AuditKind::ApiKeyRolesChanged, self.now())
                .detail("api_key", name)
                .detail("roles", roles)
                .detail("users", users);
            self.audit.record(event).await?;
        }
        Ok(changed)
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
        if revoked {
            self.publish_api_keys_changed().await;
            let event = AuditEvent::new(AuditKind::ApiKeyRevoked, now).detail("api_key", name);
            self.audit.record(event).await?;
        }
        Ok(revoked)
    }
}
