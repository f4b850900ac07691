//! User management: what `sessiond users ...` does, with the audit trail it leaves.

use crate::audit::{AuditEvent, AuditKind};
use crate::ids::UserId;
use crate::input;
use crate::random;
use crate::session::EndReason;
use crate::user::{AuthMethod, SUPERADMIN, User, validate_username};

use super::faces::Admin;
use super::{SessionError, SessionResult, SessionService};

/// What is needed to create a local user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Unique without regard to case.
    pub username: String,
    /// Shown instead of the username, if given.
    pub display_name: Option<String>,
    /// One of `SESSION_ROLES`.
    pub role: String,
    /// Hashed at once; never stored.
    pub password: String,
    /// The platform contexts the user may switch to.
    pub contexts: Vec<String>,
}

impl SessionService {
    /// Ends the user's sessions, then records why. The sessions end even if the record cannot
    /// be stored; that failure is reported after the sweep.
    async fn revoke_then_record(
        &self,
        user: &User,
        reason: EndReason,
        event: AuditEvent,
    ) -> SessionResult<u64> {
        let swept = self.revoke_user_sessions(&user.id, reason).await;
        self.audit.record(event.username(&user.username)).await?;
        swept
    }

    /// Argon2 on the hashing pool: off the async workers, one per core at most.
    pub(super) async fn hash_password(&self, password: String) -> SessionResult<String> {
        Ok(self.hashing.reserve()?.hash(password).await?)
    }
}

fn base64_password() -> SessionResult<String> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::bytes::<18>()?))
}

impl Admin<'_> {
    /// Creates a local user, audited `USER_CREATED`.
    pub async fn create_user(&self, new: NewUser) -> SessionResult<User> {
        validate_username(&new.username).map_err(SessionError::Invalid)?;
        input::NEW_PASSWORD
            .check(&new.password)
            .map_err(SessionError::Invalid)?;
        if let Some(name) = &new.display_name {
            input::DISPLAY_NAME
                .check(name)
                .map_err(SessionError::Invalid)?;
        }
        for context in &new.contexts {
            input::CONTEXT
                .check(context)
                .map_err(SessionError::Invalid)?;
        }
        if !self.settings.roles.iter().any(|r| r == &new.role) {
            let roles = self.settings.roles.join(", ");
            return Err(SessionError::Invalid(format!(
                "unknown role {:?}: choose one of {roles}",
                new.role
            )));
        }
        let now = self.now();
        let username = crate::user::normalize_username(&new.username);
        let user = User {
            id: UserId::generate(now)?,
            display_name: new.display_name.unwrap_or_else(|| username.clone()),
            username,
            role: new.role,
            auth_method: AuthMethod::Local,
            password_hash: Some(self.hash_password(new.password).await?),
            enabled: true,
            contexts: new.contexts,
            created_at: now,
            updated_at: now,
        };
        self.stores
            .users
            .create_user(&user)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => SessionError::Conflict(format!(
                    "a user named {:?} already exists",
                    user.username
                )),
                e => e.into(),
            })?;
        let event = AuditEvent::new(AuditKind::UserCreated, now).username(&user.username);
        self.audit
            .record(event.detail("role", user.role.clone()))
            .await?;
        Ok(user)
    }

    /// The user named `username` (any letter case).
    pub async fn user(&self, username: &str) -> SessionResult<User> {
        self.stores
            .users
            .user_by_name(username)
            .await?
            .ok_or(SessionError::NotFound)
    }

    /// Disables a user and ends all their sessions at once.
    pub async fn disable_user(&self, username: &str) -> SessionResult<u64> {
        let mut user = self.user(username).await?;
        user.enabled = false;
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::UserDisabled, user.updated_at);
        self.revoke_then_record(&user, EndReason::UserDisabled, event)
            .await
    }

    /// Enables a disabled user again: they may log in. No session comes back.
    pub async fn enable_user(&self, username: &str) -> SessionResult<User> {
        let mut user = self.user(username).await?;
        if user.enabled {
            return Ok(user);
        }
        user.enabled = true;
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::UserEnabled, user.updated_at);
        self.audit.record(event.username(&user.username)).await?;
        Ok(user)
    }

    /// Renames a user: the new name is held to the username rule and must be free. Their
    /// sessions end, because the name they carry (forward auth's headers, access tokens'
    /// `name`) is no longer the user's. Returns how many ended.
    pub async fn rename_user(&self, from: &str, to: &str) -> SessionResult<u64> {
        validate_username(to).map_err(SessionError::Invalid)?;
        let to = crate::user::normalize_username(to);
        let mut user = self.user(from).await?;
        let old = std::mem::replace(&mut user.username, to.clone());
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::UserRenamed, user.updated_at)
            .detail("from", old)
            .detail("to", to);
        self.revoke_then_record(&user, EndReason::UserRenamed, event)
            .await
    }

    /// Deletes a user. The record goes first, then their sessions end: a login that read the
    /// user before the delete finds it gone when it checks again after creating its session
    /// (`confirm_user_unchanged`), and one that created its session sooner is in the sweep.
    /// The audit records that name them stay: the trail is a hash chain, and who did what is
    /// what an audit is for; retention (`SESSION_AUDIT_RETENTION_DAYS`) removes them in time.
    /// The last superadmin cannot be deleted. Returns how many sessions ended.
    pub async fn delete_user(&self, username: &str) -> SessionResult<u64> {
        let user = self.user(username).await?;
        if user.role == SUPERADMIN {
            let users = self.stores.users.list_users().await?;
            if users.iter().filter(|u| u.role == SUPERADMIN).count() == 1 {
                return Err(SessionError::Invalid(format!(
                    "{} is the last superadmin: make another one first",
                    user.username
                )));
            }
        }
        if !self.stores.users.delete_user(&user.id).await? {
            return Err(SessionError::NotFound);
        }
        let event = AuditEvent::new(AuditKind::UserDeleted, self.now());
        self.revoke_then_record(&user, EndReason::UserDeleted, event)
            .await
    }

    /// Sets a new password and ends the user's sessions, which were opened with the old one.
    pub async fn set_password(&self, username: &str, password: &str) -> SessionResult<u64> {
        input::NEW_PASSWORD
            .check(password)
            .map_err(SessionError::Invalid)?;
        // Hashed before the user is read: the read-modify-write of the record stays short, so
        // a concurrent disable or role change is not overwritten by a stale copy.
        let hash = self.hash_password(password.to_owned()).await?;
        let mut user = self.user(username).await?;
        user.password_hash = Some(hash);
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::PasswordChanged, user.updated_at);
        self.revoke_then_record(&user, EndReason::PasswordChanged, event)
            .await
    }

    /// Gives a user another role and ends their sessions, which carry the old one: the next
    /// login issues a new session id, token and CSRF token with the new role (docs/security.md
    /// row 16).
    pub async fn set_role(&self, username: &str, role: &str) -> SessionResult<u64> {
        if !self.settings.roles.iter().any(|r| r == role) {
            let roles = self.settings.roles.join(", ");
            return Err(SessionError::Invalid(format!(
                "unknown role {role:?}: choose one of {roles}"
            )));
        }
        let mut user = self.user(username).await?;
        let from = std::mem::replace(&mut user.role, role.to_owned());
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::UserRoleChanged, user.updated_at)
            .detail("from", from)
            .detail("to", role);
        self.revoke_then_record(&user, EndReason::RoleChanged, event)
            .await
    }

    /// Replaces the contexts a user may switch between; the first is where new sessions start.
    /// Live sessions in a context the user no longer has are moved to the first one left (or
    /// to none), each audited `CONTEXT_SWITCHED` with `reason: context_removed`: forward auth
    /// and refreshed access tokens would otherwise keep naming the removed context. Returns the
    /// user and how many sessions moved.
    pub async fn set_contexts(
        &self,
        username: &str,
        contexts: Vec<String>,
    ) -> SessionResult<(User, u64)> {
        for context in &contexts {
            input::CONTEXT
                .check(context)
                .map_err(SessionError::Invalid)?;
        }
        let mut user = self.user(username).await?;
        user.contexts = contexts;
        user.updated_at = self.now();
        self.stores.users.update_user(&user).await?;
        let event = AuditEvent::new(AuditKind::UserContextsChanged, user.updated_at)
            .username(&user.username)
            .detail("contexts", user.contexts.clone());
        self.audit.record(event).await?;
        // After the update: a switch that read the old contexts and writes after this sweep
        // reads the user again after its write (`switch_context`), so it cannot stay behind.
        let now = self.now();
        let mut moved = 0;
        for session in self.stores.sessions.user_sessions(&user.id, now).await? {
            if self.settle_context(session, &user.contexts, now).await?.1 {
                moved += 1;
            }
        }
        Ok((user, moved))
    }

    /// On first start with no users: creates `admin` (superadmin) with a random password and
    /// returns that password so the caller can show it once.
    pub async fn ensure_initial_admin(&self) -> SessionResult<Option<String>> {
        if self.stores.users.count_users().await? > 0 {
            return Ok(None);
        }
        let password = base64_password()?;
        let admin = NewUser {
            username: "admin".into(),
            display_name: Some("Administrator".into()),
            role: SUPERADMIN.into(),
            password: password.clone(),
            contexts: Vec::new(),
        };
        match self.create_user(admin).await {
            Ok(_) => Ok(Some(password)),
            // Another node created it between our count and our insert.
            Err(SessionError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
