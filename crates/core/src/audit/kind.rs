//! The audit event types and their stored names.

/// Event types. The names follow seed 000's vocabulary (`SESSION_EXTENDED`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A password (or directory) login succeeded.
    LoginSuccess,
    /// A login was refused (wrong password, unknown or disabled user, lock).
    LoginFailed,
    /// A session began (login, anonymous start, re-authentication).
    SessionCreated,
    /// Activity moved the idle deadline (keep-alive).
    SessionExtended,
    /// The session's token was renewed.
    SessionRotated,
    /// The idle timeout ended a session.
    SessionExpiredIdle,
    /// The absolute timeout ended a session.
    SessionExpiredAbsolute,
    /// The user logged out.
    SessionLoggedOut,
    /// The user ended all their sessions.
    SessionLoggedOutAll,
    /// A session was revoked (by its user, an administrator or a credential change).
    SessionRevoked,
    /// The concurrent-session cap pushed a session out.
    SessionEvicted,
    /// Too many keep-alives from one session.
    KeepaliveRateLimited,
    /// A cleanup run's totals.
    SessionsCleanedUp,
    /// An account was created (CLI, first start, or a first directory login).
    UserCreated,
    /// An account was disabled; its sessions end.
    UserDisabled,
    /// A disabled account was enabled again.
    UserEnabled,
    /// An account was renamed (`from`, `to`); its sessions end.
    UserRenamed,
    /// An account was deleted; its sessions end, its audit records stay.
    UserDeleted,
    /// A password was changed (by its user or an administrator).
    PasswordChanged,
    /// Reported by the browser client (`POST /api/session/events`).
    SessionWarningShown,
    /// The user chose to stay signed in at the warning.
    SessionExtendedByUser,
    /// The browser showed the "session expired" overlay.
    SessionExpiredShown,
    /// A cookie request refused by the CSRF defence (in the OWASP logging vocabulary,
    /// `malicious_csrf`).
    MaliciousCsrf,
    /// Too many failed logins for one account: it is locked for a while.
    AccountLocked,
    /// Too many logins from one address (in the OWASP logging vocabulary,
    /// `excess_rate_limit_exceeded`).
    LoginRateLimited,
    /// Too many unknown session tokens from one address.
    SessionGuessing,
    /// The session's platform context changed.
    ContextSwitched,
    /// A context switch beyond the hourly limit was refused.
    ContextSwitchLimited,
    /// The contexts a user may switch to were changed.
    UserContextsChanged,
    /// A request's client differs from the session's (user agent, network).
    SessionDrift,
    /// A session's suspicion score reached the threshold.
    SuspiciousActivity,
    /// A visitor's anonymous session became a user's on login (new id and token).
    SessionUpgraded,
    /// A user's role was changed; their sessions end.
    UserRoleChanged,
    /// A key of the backend API was created.
    ApiKeyCreated,
    /// A key of the backend API was revoked.
    ApiKeyRevoked,
    /// The roles and users a write key may assert were changed (`sessiond api-keys set-roles`).
    ApiKeyRolesChanged,
    /// A key asked for a session or user it may not assert (a role or user it does not carry).
    ApiAssertionRefused,
    /// A call of the backend API, with the key's name and the operation.
    ApiRequest,
    /// An activity an application recorded for a session (its type and details).
    SessionActivity,
    /// A new access token signing key now signs (`sessiond keys rotate`, or the first one).
    SigningKeyRotated,
    /// A refresh token was rotated (`POST /api/token/refresh`).
    TokenRefreshed,
    /// A rotated-out refresh token came back: its family (the session) is revoked.
    TokenReuseDetected,
    /// A signing key no token can still need was deleted.
    SigningKeyRetired,
    /// A signing key was dropped at once (`sessiond keys revoke`): its tokens stop verifying.
    SigningKeyRevoked,
    /// A change made through the admin API, with its actor, operation, target and reason.
    AdminAction,
    /// An error answer (4xx or 5xx) to a request that carried the session: its status, code
    /// and route (the session's timeline).
    RequestFailed,
}

impl AuditKind {
    /// Every event type, in the order the enum declares them (`sessiond audit list --event`
    /// takes their names).
    pub const ALL: [Self; 46] = [
        Self::LoginSuccess,
        Self::LoginFailed,
        Self::SessionCreated,
        Self::SessionExtended,
        Self::SessionRotated,
        Self::SessionExpiredIdle,
        Self::SessionExpiredAbsolute,
        Self::SessionLoggedOut,
        Self::SessionLoggedOutAll,
        Self::SessionRevoked,
        Self::SessionEvicted,
        Self::KeepaliveRateLimited,
        Self::SessionsCleanedUp,
        Self::UserCreated,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::UserRenamed,
        Self::UserDeleted,
        Self::PasswordChanged,
        Self::SessionWarningShown,
        Self::SessionExtendedByUser,
        Self::SessionExpiredShown,
        Self::MaliciousCsrf,
        Self::AccountLocked,
        Self::LoginRateLimited,
        Self::SessionGuessing,
        Self::ContextSwitched,
        Self::ContextSwitchLimited,
        Self::UserContextsChanged,
        Self::SessionDrift,
        Self::SuspiciousActivity,
        Self::SessionUpgraded,
        Self::UserRoleChanged,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::ApiKeyRolesChanged,
        Self::ApiAssertionRefused,
        Self::ApiRequest,
        Self::SessionActivity,
        Self::SigningKeyRotated,
        Self::TokenRefreshed,
        Self::TokenReuseDetected,
        Self::SigningKeyRetired,
        Self::SigningKeyRevoked,
        Self::AdminAction,
        Self::RequestFailed,
    ];

    /// The stored name (`LOGIN_SUCCESS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSuccess => "LOGIN_SUCCESS",
            Self::LoginFailed => "LOGIN_FAILED",
            Self::SessionCreated => "SESSION_CREATED",
            Self::SessionExtended => "SESSION_EXTENDED",
            Self::SessionRotated => "SESSION_ROTATED",
            Self::SessionExpiredIdle => "SESSION_EXPIRED_IDLE",
            Self::SessionExpiredAbsolute => "SESSION_EXPIRED_ABSOLUTE",
            Self::SessionLoggedOut => "SESSION_LOGGED_OUT",
            Self::SessionLoggedOutAll => "SESSION_LOGGED_OUT_ALL",
            Self::SessionRevoked => "SESSION_REVOKED",
            Self::SessionEvicted => "SESSION_EVICTED",
            Self::KeepaliveRateLimited => "KEEPALIVE_RATE_LIMITED",
            Self::SessionsCleanedUp => "SESSIONS_CLEANED_UP",
            Self::UserCreated => "USER_CREATED",
            Self::UserDisabled => "USER_DISABLED",
            Self::UserEnabled => "USER_ENABLED",
            Self::UserRenamed => "USER_RENAMED",
            Self::UserDeleted => "USER_DELETED",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::SessionWarningShown => "SESSION_WARNING_SHOWN",
            Self::SessionExtendedByUser => "SESSION_EXTENDED_BY_USER",
            Self::SessionExpiredShown => "SESSION_EXPIRED_SHOWN",
            Self::MaliciousCsrf => "MALICIOUS_CSRF",
            Self::AccountLocked => "ACCOUNT_LOCKED",
            Self::LoginRateLimited => "EXCESS_RATE_LIMIT_EXCEEDED",
            Self::SessionGuessing => "SESSION_GUESSING_DETECTED",
            Self::ContextSwitched => "CONTEXT_SWITCHED",
            Self::ContextSwitchLimited => "CONTEXT_SWITCH_RATE_LIMITED",
            Self::UserContextsChanged => "USER_CONTEXTS_CHANGED",
            Self::SessionDrift => "SESSION_DRIFT",
            Self::SuspiciousActivity => "SUSPICIOUS_ACTIVITY",
            Self::SessionUpgraded => "SESSION_UPGRADED",
            Self::UserRoleChanged => "USER_ROLE_CHANGED",
            Self::ApiKeyCreated => "API_KEY_CREATED",
            Self::ApiKeyRevoked => "API_KEY_REVOKED",
            Self::ApiKeyRolesChanged => "API_KEY_ROLES_CHANGED",
            Self::ApiAssertionRefused => "API_ASSERTION_REFUSED",
            Self::ApiRequest => "API_REQUEST",
            Self::SessionActivity => "SESSION_ACTIVITY",
            Self::SigningKeyRotated => "SIGNING_KEY_ROTATED",
            Self::TokenRefreshed => "TOKEN_REFRESHED",
            Self::TokenReuseDetected => "TOKEN_REUSE_DETECTED",
            Self::SigningKeyRetired => "SIGNING_KEY_RETIRED",
            Self::SigningKeyRevoked => "SIGNING_KEY_REVOKED",
            Self::AdminAction => "ADMIN_ACTION",
            Self::RequestFailed => "REQUEST_FAILED",
        }
    }

    /// The stored types an audit search for `name` finds. Seed 000 logs one
    /// `SESSION_EXPIRED`; sessiond says which timeout ended the session, so the seed's name
    /// finds both. Other names are themselves, in upper case.
    pub fn matching(name: &str) -> Vec<String> {
        let name = name.trim().to_ascii_uppercase();
        if name == "SESSION_EXPIRED" {
            return [Self::SessionExpiredIdle, Self::SessionExpiredAbsolute]
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect();
        }
        vec![name]
    }

    /// The event types a browser client may report; every other name is refused.
    pub fn client_event(name: &str) -> Option<Self> {
        [
            Self::SessionWarningShown,
            Self::SessionExtendedByUser,
            Self::SessionExpiredShown,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::AuditKind;

    /// An exhaustive match: a new variant does not compile until it is given a place here, and
    /// the test then holds `ALL` to the same place.
    fn place(k: AuditKind) -> usize {
        match k {
            AuditKind::LoginSuccess => 0,
            AuditKind::LoginFailed => 1,
            AuditKind::SessionCreated => 2,
            AuditKind::SessionExtended => 3,
            AuditKind::SessionRotated => 4,
            AuditKind::SessionExpiredIdle => 5,
            AuditKind::SessionExpiredAbsolute => 6,
            AuditKind::SessionLoggedOut => 7,
            AuditKind::SessionLoggedOutAll => 8,
            AuditKind::SessionRevoked => 9,
            AuditKind::SessionEvicted => 10,
            AuditKind::KeepaliveRateLimited => 11,
            AuditKind::SessionsCleanedUp => 12,
            AuditKind::UserCreated => 13,
            AuditKind::UserDisabled => 14,
            AuditKind::UserEnabled => 15,
            AuditKind::UserRenamed => 16,
            AuditKind::UserDeleted => 17,
            AuditKind::PasswordChanged => 18,
            AuditKind::SessionWarningShown => 19,
            AuditKind::SessionExtendedByUser => 20,
            AuditKind::SessionExpiredShown => 21,
            AuditKind::MaliciousCsrf => 22,
            AuditKind::AccountLocked => 23,
            AuditKind::LoginRateLimited => 24,
            AuditKind::SessionGuessing => 25,
            AuditKind::ContextSwitched => 26,
            AuditKind::ContextSwitchLimited => 27,
            AuditKind::UserContextsChanged => 28,
            AuditKind::SessionDrift => 29,
            AuditKind::SuspiciousActivity => 30,
            AuditKind::SessionUpgraded => 31,
            AuditKind::UserRoleChanged => 32,
            AuditKind::ApiKeyCreated => 33,
            AuditKind::ApiKeyRevoked => 34,
            AuditKind::ApiKeyRolesChanged => 35,
            AuditKind::ApiAssertionRefused => 36,
            AuditKind::ApiRequest => 37,
            AuditKind::SessionActivity => 38,
            AuditKind::SigningKeyRotated => 39,
            AuditKind::TokenRefreshed => 40,
            AuditKind::TokenReuseDetected => 41,
            AuditKind::SigningKeyRetired => 42,
            AuditKind::SigningKeyRevoked => 43,
            AuditKind::AdminAction => 44,
            AuditKind::RequestFailed => 45,
        }
    }

    #[test]
    fn all_lists_every_kind_once_with_a_name_of_its_own() {
        for (i, k) in AuditKind::ALL.iter().enumerate() {
            assert_eq!(place(*k), i, "{k:?}");
        }
        let mut names: Vec<_> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditKind::ALL.len());
    }
}
