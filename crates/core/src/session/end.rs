//! How a session ended, and what a holder of its token is told: the codes and reasons of
//! docs/api.md, "End codes".

use serde::{Deserialize, Serialize};

/// Why a presented token does not grant access: the `code` of a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndCode {
    /// No usable session.
    NoSession,
    /// The idle timeout ended it.
    ExpiredIdle,
    /// The absolute timeout ended it.
    ExpiredAbsolute,
    /// It was revoked.
    Revoked,
    /// It was logged out.
    LoggedOut,
    /// The session cap pushed it out.
    Evicted,
    /// A bearer or refresh token that is not one of ours, or not valid now.
    InvalidToken,
    /// A refresh token that was already rotated out: its whole family is revoked.
    RefreshTokenReused,
    /// A visitor's anonymous session where a signed-in user is needed (forward auth).
    Anonymous,
}

impl EndCode {
    /// The API's `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoSession => "no_session",
            Self::ExpiredIdle => "expired_idle",
            Self::ExpiredAbsolute => "expired_absolute",
            Self::Revoked => "revoked",
            Self::LoggedOut => "logged_out",
            Self::Evicted => "evicted",
            Self::InvalidToken => "invalid_token",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::Anonymous => "anonymous_session",
        }
    }

    /// The seed-compatible human `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::ExpiredIdle | Self::ExpiredAbsolute => "Session expired",
            Self::InvalidToken | Self::RefreshTokenReused => "Invalid token",
            _ => "No active session",
        }
    }
}

/// Why a presented token is refused: the 401's `code`, and the reason its session ended when
/// its record is still found, so that an application can tell "your password was changed"
/// from any other revocation (docs/api.md, "End codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The 401's `code`.
    pub code: EndCode,
    /// Why the session ended; None when no record is found, or for a token of the wrong kind.
    pub reason: Option<EndReason>,
}

impl Refusal {
    /// A refusal whose cause the core decided itself (a reused refresh token, say).
    pub fn because(code: EndCode, reason: EndReason) -> Self {
        Self {
            code,
            reason: Some(reason),
        }
    }
}

impl From<EndCode> for Refusal {
    fn from(code: EndCode) -> Self {
        Self { code, reason: None }
    }
}

/// Why a session ended. Stored as its snake_case name (`as_str`), the form the free strings
/// that came before it used, so records written earlier read back the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The idle timeout (marked by cleanup).
    Idle,
    /// The absolute timeout (marked by cleanup).
    Absolute,
    /// `POST /api/session/logout`.
    UserLogout,
    /// "Log out everywhere".
    LogoutAll,
    /// Revoked by the user from another of their sessions.
    UserRevoked,
    /// The account was disabled.
    UserDisabled,
    /// The password was changed.
    PasswordChanged,
    /// The role was changed.
    RoleChanged,
    /// Pushed out by `SESSION_MAX_CONCURRENT_PER_USER`.
    MaxConcurrentSessions,
    /// The suspicion score reached the threshold with the `revoke` response.
    SuspiciousActivity,
    /// A visitor's anonymous session, replaced by the user's at login.
    UpgradedByLogin,
    /// The user's own session, replaced when they entered their password again.
    Reauthenticated,
    /// Another user's session in the same browser, replaced by a login.
    ReplacedByLogin,
    /// Opened by a login that raced a change of its user (disable, password, role).
    UserChangedDuringLogin,
    /// Revoked by an application through the backend API.
    ApiRevoked,
    /// A rotated-out refresh token came back: the token family is presumed stolen.
    TokenReuse,
    /// The account was renamed: the name its sessions carry (headers, token claims) is gone.
    UserRenamed,
    /// The account was deleted.
    UserDeleted,
    /// Revoked through the admin API (its `ended_by` and `end_note` say by whom and why).
    AdminRevoked,
}

impl EndReason {
    const ALL: [Self; 19] = [
        Self::Idle,
        Self::Absolute,
        Self::UserLogout,
        Self::LogoutAll,
        Self::UserRevoked,
        Self::UserDisabled,
        Self::PasswordChanged,
        Self::RoleChanged,
        Self::MaxConcurrentSessions,
        Self::SuspiciousActivity,
        Self::UpgradedByLogin,
        Self::Reauthenticated,
        Self::ReplacedByLogin,
        Self::UserChangedDuringLogin,
        Self::ApiRevoked,
        Self::TokenReuse,
        Self::UserRenamed,
        Self::UserDeleted,
        Self::AdminRevoked,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Absolute => "absolute",
            Self::UserLogout => "user_logout",
            Self::LogoutAll => "logout_all",
            Self::UserRevoked => "user_revoked",
            Self::UserDisabled => "user_disabled",
            Self::PasswordChanged => "password_changed",
            Self::RoleChanged => "role_changed",
            Self::MaxConcurrentSessions => "max_concurrent_sessions",
            Self::SuspiciousActivity => "suspicious_activity",
            Self::UpgradedByLogin => "upgraded_by_login",
            Self::Reauthenticated => "reauthenticated",
            Self::ReplacedByLogin => "replaced_by_login",
            Self::UserChangedDuringLogin => "user_changed_during_login",
            Self::ApiRevoked => "api_revoked",
            Self::TokenReuse => "token_reuse",
            Self::UserRenamed => "user_renamed",
            Self::UserDeleted => "user_deleted",
            Self::AdminRevoked => "admin_revoked",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::EndReason;

    #[test]
    fn end_reasons_keep_their_stored_names() {
        for r in EndReason::ALL {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", r.as_str()),
                "the JSON stores (Redis) agree"
            );
        }
        assert_eq!(EndReason::parse("something else"), None);
    }

    /// A 401's `end_reason` and the revocations feed's `reason` are these names: the API's
    /// reference lists every one, and the clients read them from there.
    #[test]
    fn docs_api_names_every_end_reason() {
        let doc = include_str!("../../../../docs/api.md");
        let feed_and_end_codes = doc
            .split("### `GET /api/v1/revocations`")
            .nth(1)
            .and_then(|rest| rest.split("## Every error code").next())
            .unwrap_or_default();
        for r in EndReason::ALL {
            let name = format!("`{}`", r.as_str());
            assert!(
                feed_and_end_codes.contains(&name),
                "docs/api.md does not name {name}"
            );
        }
    }
}
