//! The session record, its lifecycle states and the machine codes a client sees when it ended.

use serde::{Deserialize, Serialize};

use crate::ids::{SessionId, UserId};
use crate::time::Timestamp;
use crate::token::TokenHash;

mod end;

pub use end::{EndCode, EndReason, Refusal};

/// Where a session is in its life. Only `Active` grants access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// In use.
    Active,
    /// Ended by a timeout.
    Expired,
    /// Ended by its user.
    LoggedOut,
    /// Ended by a revocation.
    Revoked,
    /// Pushed out by the session cap.
    Evicted,
}

impl SessionState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::LoggedOut => "logged_out",
            Self::Revoked => "revoked",
            Self::Evicted => "evicted",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "expired" => Self::Expired,
            "logged_out" => Self::LoggedOut,
            "revoked" => Self::Revoked,
            "evicted" => Self::Evicted,
            _ => return None,
        })
    }
}

/// Client facts captured when a session is created or used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The address, as far as trusted proxies tell.
    pub ip: Option<String>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// A short readable label ("Firefox on Linux") for the session list.
    pub fn device_label(&self) -> String {
        match self.browser_and_os() {
            (browser, Some(os)) => format!("{browser} on {os}"),
            (browser, None) => browser.to_owned(),
        }
    }

    /// The browser and the operating system its user agent names, as far as they are known.
    pub fn browser_and_os(&self) -> (&'static str, Option<&'static str>) {
        let ua = self.user_agent.as_deref().unwrap_or("");
        let browser = [
            ("Edg/", "Edge"),
            ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
        ]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map_or("Unknown browser", |(_, name)| name);
        let os = [
            ("Windows", "Windows"),
            ("Android", "Android"),
            ("iPhone", "iOS"),
            ("Mac OS", "macOS"),
            ("Linux", "Linux"),
        ]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
        (browser, os)
    }
}

/// One session. Stores persist every field; only the token's hash is ever kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The logical session id: stays across token renewals.
    pub id: SessionId,
    /// Its user; none for an anonymous session.
    pub user_id: Option<UserId>,
    /// Denormalised from the user so a check needs one lookup; a change of either ends or
    /// rotates the session.
    pub username: Option<String>,
    /// The user's role when the session began.
    pub role: Option<String>,
    /// SHA-256 of the current token.
    pub token_hash: TokenHash,
    /// The token replaced by the last rotation, honoured until `prev_token_expires_at`.
    pub prev_token_hash: Option<TokenHash>,
    /// Until when the previous token is still accepted.
    pub prev_token_expires_at: Option<Timestamp>,
    /// When it began.
    pub created_at: Timestamp,
    /// Its latest activity.
    pub last_activity: Timestamp,
    /// When the idle timeout ends it, unless there is activity.
    pub idle_expires_at: Timestamp,
    /// When the absolute timeout ends it, whatever the activity.
    pub absolute_expires_at: Timestamp,
    /// When its token was last issued.
    pub renewed_at: Timestamp,
    /// Active or how it ended.
    pub state: SessionState,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// After this instant the token no longer finds the record: the end of the cleanup grace.
    /// Computed by the core on every write so every store decides lookups the same way.
    pub lookup_until: Timestamp,
    /// The client it began with.
    pub client: ClientInfo,
    /// A short description of the client for the session list.
    pub device: Option<String>,
    /// The client fingerprint drift is measured against.
    pub fingerprint: Option<String>,
    /// The active platform context.
    pub context: Option<String>,
    /// `remember_me`: the cookie outlives the browser session.
    pub persistent: bool,
    /// Data the application keeps with the session.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Optimistic concurrency: an update must name the version it read.
    pub version: i64,
    /// The user's display name when it began (seed 000).
    #[serde(default)]
    pub display_name: Option<String>,
    /// How its user proved who they are: `local`, `ldap`, or `app` (the application asserted
    /// it through the backend API). None for an anonymous session.
    #[serde(default)]
    pub auth_method: Option<String>,
    /// Who ended it, when someone other than its own user did: `admin:NAME` (a superadmin's
    /// session), `key:NAME` (an API key).
    #[serde(default)]
    pub ended_by: Option<String>,
    /// The free-text reason given by whoever ended it.
    #[serde(default)]
    pub end_note: Option<String>,
}

impl Session {
    /// The deadline that ends the session first.
    pub fn deadline(&self) -> Timestamp {
        self.idle_expires_at.min(self.absolute_expires_at)
    }

    /// Whether it is active and before both deadlines at `now`.
    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.state == SessionState::Active && now < self.deadline()
    }

    /// What a holder of this session's token is told at `now`, if it no longer grants access:
    /// the code, and the reason it ended (a timeout the store has not recorded yet included).
    pub fn refusal_at(&self, now: Timestamp) -> Option<Refusal> {
        let code = self.end_code_at(now)?;
        let reason = self.end_reason.or(match code {
            EndCode::ExpiredIdle => Some(EndReason::Idle),
            EndCode::ExpiredAbsolute => Some(EndReason::Absolute),
            _ => None,
        });
        Some(Refusal { code, reason })
    }

    /// The code a holder of this session's token is told at `now`, if it no longer grants access.
    pub fn end_code_at(&self, now: Timestamp) -> Option<EndCode> {
        match self.state {
            SessionState::Active if now < self.deadline() => None,
            SessionState::Active | SessionState::Expired => Some(self.expiry_code()),
            SessionState::LoggedOut => Some(EndCode::LoggedOut),
            SessionState::Revoked => Some(EndCode::Revoked),
            SessionState::Evicted => Some(EndCode::Evicted),
        }
    }

    /// Which timeout ended (or will end) this session.
    pub fn expiry_code(&self) -> EndCode {
        match self.end_reason {
            Some(EndReason::Idle) => EndCode::ExpiredIdle,
            Some(EndReason::Absolute) => EndCode::ExpiredAbsolute,
            _ if self.absolute_expires_at <= self.idle_expires_at => EndCode::ExpiredAbsolute,
            _ => EndCode::ExpiredIdle,
        }
    }
}
