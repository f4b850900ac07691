//! Checking a login's credentials: locally against the Argon2 hash, or by the directory (LDAP),
//! always within the account's lockout, and keeping a directory user's local record in step.

use crate::audit::{AuditEvent, AuditKind};
use crate::directory::DirectoryUser;
use crate::ids::UserId;
use crate::lockout::{Admission, Scope};
use crate::session::{ClientInfo, EndReason};
use crate::time::Timestamp;
use crate::user::{AuthMethod, User};

use super::{SessionError, SessionResult, SessionService};

impl SessionService {
    /// Checks the credentials, within the account's lockout: the attempt is counted before the
    /// password is checked (`Lockouts::admit`), and a locked account's password is never checked,
    /// locally or by the directory. Every refusal is the same `InvalidCredentials`, after the same
    /// hash work, so neither a lock nor an unknown name shows.
    pub(super) async fn authenticate(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
        device: Option<&str>,
    ) -> SessionResult<User> {
        self.authenticate_in(username, password, client, device, None)
            .await
    }

    /// [`Self::authenticate`] for a login that asks for `context`: one the user does not have
    /// fails like a wrong password, after the same work, counted by the lockout and audited
    /// with reason `context_not_allowed`. Deciding it apart (a 403 for the right password, as
    /// before) told a guesser when the password was right, uncounted.
    pub(super) async fn authenticate_in(
        &self,
        username: &str,
        password: &str,
        client: &ClientInfo,
        device: Option<&str>,
        context: Option<&str>,
    ) -> SessionResult<User> {
        let store = &*self.stores.counters;
        // A place to hash first: a full queue refuses the attempt before the lockout counts it.
        let hashing = self.hashing.reserve()?;
        let now = self.now();
        let device = device
            .filter(|_| self.settings.device_cookie_secs > 0)
            .and_then(|d| {
                self.key
                    .verify_device(d, username, now, self.settings.device_cookie_secs)
            });
        let admission = self
            .lockouts
            .admit(store, username, device.as_ref(), now)
            .await?;
        let mut user = self.stores.users.user_by_name(username).await?;
        let mut unreachable_directory = false;
        let ok = match (&admission, &self.directory) {
            (Admission::Locked, _) => {
                hashing.verify(password.to_owned(), None).await;
                false
            }
            (_, Some(directory))
                if user
                    .as_ref()
                    .is_none_or(|u| u.auth_method == AuthMethod::Ldap) =>
            {
                match directory.authenticate(username, password).await {
                    Ok(Some(entry)) => {
                        let now = self.now();
                        user = Some(self.provision(username, user, entry, now).await?);
                        true
                    }
                    Ok(None) => false,
                    // A local name with a wrong password gets the generic answer whether the
                    // directory is up or not, so a directory name must get it too: a 503 here
                    // would tell which names are the directory's. The operator hears it.
                    Err(e) => {
                        tracing::error!(error = %e, "the LDAP directory did not answer: its users cannot log in");
                        unreachable_directory = true;
                        hashing.verify(password.to_owned(), None).await;
                        false
                    }
                }
            }
            _ => {
                let hash = user
                    .as_ref()
                    .filter(|u| u.enabled)
                    .and_then(|u| u.password_hash.clone());
                hashing.verify(password.to_owned(), hash).await
            }
        };
        let now = self.now();
        let in_context = |u: &User| context.is_none_or(|c| u.contexts.iter().any(|x| x == c));
        if let Some(user) = user.as_ref().filter(|u| u.enabled && ok && in_context(u)) {
            if let Admission::Admitted { scope, .. } = &admission {
                self.lockouts.succeeded(store, username, scope).await?;
            }
            return Ok(user.clone());
        }
        let reason = match &user {
            _ if admission == Admission::Locked => "account_locked",
            _ if unreachable_directory => "directory_unavailable",
            None => "unknown_user",
            Some(u) if !u.enabled => "user_disabled",
            Some(u) if ok && !in_context(u) => "context_not_allowed",
            Some(_) => "wrong_password",
        };
        let name = user.as_ref().map_or(username, |u| u.username.as_str());
        let event = AuditEvent::new(AuditKind::LoginFailed, now)
            .client(client)
            .username(name);
        self.audit.record(event.detail("reason", reason)).await?;
        if let Admission::Admitted { slot, scope } = &admission
            && let Some(secs) = self
                .lockouts
                .failed(store, username, *slot, scope, now)
                .await?
        {
            let locked = match scope {
                Scope::Account => "account",
                Scope::Device(_) => "device",
            };
            let event = AuditEvent::new(AuditKind::AccountLocked, now)
                .client(client)
                .username(name)
                .detail("lock_seconds", secs);
            self.audit.record(event.detail("scope", locked)).await?;
        }
        Err(SessionError::InvalidCredentials)
    }

    /// The local record of a user the directory accepted: created on the first login, its role
    /// and display name kept in step with the directory's groups afterwards.
    async fn provision(
        &self,
        username: &str,
        existing: Option<User>,
        entry: DirectoryUser,
        now: Timestamp,
    ) -> SessionResult<User> {
        let display_name = entry
            .display_name
            .unwrap_or_else(|| username.trim().to_owned());
        if let Some(mut user) = existing {
            if user.role != entry.role || user.display_name != display_name {
                let from = std::mem::replace(&mut user.role, entry.role);
                user.display_name = display_name;
                user.updated_at = now;
                self.stores.users.update_user(&user).await?;
                // The directory changed the user's role (a demotion, or a promotion): the
                // sessions carrying the old one end, as `users set-role` ends them. This login
                // opens a new session with the new role.
                if from != user.role {
                    let swept = self
                        .revoke_user_sessions(&user.id, EndReason::RoleChanged)
                        .await;
                    let event = AuditEvent::new(AuditKind::UserRoleChanged, now)
                        .username(&user.username)
                        .detail("from", from)
                        .detail("to", user.role.clone())
                        .detail("by", "directory");
                    self.audit.record(event).await?;
                    swept?;
                }
            }
            return Ok(user);
        }
        crate::user::validate_username(username).map_err(SessionError::Invalid)?;
        let user = User {
            id: UserId::generate(now)?,
            username: username.trim().to_owned(),
            display_name,
            role: entry.role,
            auth_method: AuthMethod::Ldap,
            password_hash: None,
            enabled: true,
            contexts: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        self.stores.users.create_user(&user).await?;
        let event = AuditEvent::new(AuditKind::UserCreated, now)
            .username(&user.username)
            .detail("role", user.role.clone())
            .detail("auth_method", "ldap");
        self.audit.record(event).await?;
        Ok(user)
    }
}
