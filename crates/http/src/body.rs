//! Every JSON answer of the HTTP API, as a type: handlers build these, never `serde_json::Value`s.
//! The browser client's TypeScript types (`clients/js/src/generated/api.ts`) are generated from
//! them by the test `typescript_types_are_fresh`, so the two cannot drift. docs/api.md describes
//! each field. It stays one file, a little over 400 lines, so that the generation test sees every
//! type the browser client reads in one place (the admin API's own bodies are in
//! `routes/admin/body.rs`: the client does not read them).

use std::borrow::Cow;

use serde::Serialize;
use sessiond_core::Timestamp;
use sessiond_core::service::SessionStatus;
use utoipa::ToSchema;

use crate::state::AppState;

/// What login, check, keep-alive and a context switch say about a live session.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionBody {
    pub valid: bool,
    pub username: Option<String>,
    pub role: Option<String>,
    pub session_id: String,
    pub time_remaining_seconds: i64,
    pub time_remaining_minutes: i64,
    /// The idle timeout in minutes (the name the original client reads).
    pub session_timeout_minutes: i64,
    pub warning: bool,
    pub warning_threshold_seconds: i64,
    pub idle_expires_at: Timestamp,
    pub absolute_expires_at: Timestamp,
    pub created_at: Timestamp,
    pub last_activity: Timestamp,
    pub context: Option<String>,
    /// The user's display name (seed 000).
    pub display_name: Option<String>,
    /// `local`, `ldap`, or `app` (the backend API made the session).
    pub auth_method: Option<String>,
    pub server_time: Timestamp,
}

impl SessionBody {
    pub fn new(state: &AppState, st: &SessionStatus) -> Self {
        let t = state.service.timeouts();
        let s = &st.session;
        Self {
            valid: true,
            username: s.username.clone(),
            role: s.role.clone(),
            session_id: s.id.to_string(),
            time_remaining_seconds: st.remaining_secs,
            time_remaining_minutes: st.remaining_secs / 60,
            session_timeout_minutes: t.idle_secs / 60,
            warning: st.warning,
            warning_threshold_seconds: t.warning_secs,
            idle_expires_at: s.idle_expires_at,
            absolute_expires_at: s.absolute_expires_at,
            created_at: s.created_at,
            last_activity: s.last_activity,
            context: s.context.clone(),
            display_name: s.display_name.clone(),
            auth_method: s.auth_method.clone(),
            server_time: state.service.now(),
        }
    }
}

/// `GET /api/session/check`: the session, and the CSRF token a reloaded page needs.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CheckBody {
    #[serde(flatten)]
    pub session: SessionBody,
    pub csrf_token: String,
}

/// Login, re-authentication and a password change: a new session and its CSRF token.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IssuedBody {
    pub success: bool,
    #[serde(flatten)]
    pub session: SessionBody,
    pub csrf_token: String,
}

/// `POST /api/session/anonymous`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AnonymousBody {
    pub success: bool,
    /// False when the browser's session already belongs to a user.
    pub anonymous: bool,
    #[serde(flatten)]
    pub session: SessionBody,
    pub csrf_token: String,
}

/// `POST /api/session/keepalive`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct KeepaliveBody {
    pub success: bool,
    pub message: Cow<'static, str>,
    pub timeout_minutes: i64,
    /// The token was renewed: a new cookie, and `csrf_token` is its CSRF token.
    pub rotated: bool,
    /// The idle deadline moved. It is written at most once per coalescing interval (the idle
    /// timeout / 100, at least 1 s), so a keep-alive sooner after the last write leaves it where
    /// that write put it.
    pub extended: bool,
    #[serde(flatten)]
    pub session: SessionBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub csrf_token: Option<String>,
}

/// `PUT /api/session/context`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ContextBody {
    pub success: bool,
    #[serde(flatten)]
    pub session: SessionBody,
}

/// `POST /api/session/logout`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LogoutBody {
    pub success: bool,
    pub message: Cow<'static, str>,
    /// The session that ended; null when there was none.
    pub session_id: Option<String>,
}

/// `POST /api/session/logout-all`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LogoutAllBody {
    pub success: bool,
    pub ended_sessions: u64,
    pub kept_current: bool,
}

/// One of the user's sessions in `GET /api/session/sessions`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionListItem {
    pub session_id: String,
    pub device: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Timestamp,
    pub last_activity: Timestamp,
    pub idle_expires_at: Timestamp,
    pub absolute_expires_at: Timestamp,
    pub context: Option<String>,
    /// The session that asked.
    pub current: bool,
}

/// `GET /api/session/sessions`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionListBody {
    pub sessions: Vec<SessionListItem>,
    pub count: usize,
}

/// `DELETE /api/session/sessions/{id}`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RevokeBody {
    pub success: bool,
    pub session_id: String,
    /// It was the session that asked: its cookie is cleared too.
    pub current: bool,
}

/// `POST /api/session/client-event`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ClientEventBody {
    pub success: bool,
    pub event_type: Cow<'static, str>,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HealthBody {
    pub status: Cow<'static, str>,
    /// The store's kind (`/readyz` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub store: Option<Cow<'static, str>>,
}

/// `POST /api/v1/sessions` (201): the new session, its token (given once) and CSRF token.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CreatedBody {
    /// The session token: the application sets it as the cookie, or uses the `Set-Cookie`.
    pub token: String,
    pub csrf_token: String,
    pub user_id: Option<String>,
    #[serde(flatten)]
    pub session: SessionBody,
}

/// `POST /api/v1/sessions/validate`: the check's answer, with the user's id and the data.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ValidateBody {
    pub csrf_token: String,
    pub user_id: Option<String>,
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    pub session: SessionBody,
}

/// A session as the backend API shows it.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ApiSessionBody {
    pub session_id: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub auth_method: Option<String>,
    pub created_at: Timestamp,
    pub last_activity: Timestamp,
    pub idle_expires_at: Timestamp,
    pub absolute_expires_at: Timestamp,
    pub context: Option<String>,
    pub device: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// `GET /api/v1/users/{username}/sessions`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ApiSessionListBody {
    pub sessions: Vec<ApiSessionBody>,
    pub count: usize,
}

/// `GET` and `PATCH /api/v1/sessions/{session_id}/data`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DataBody {
    /// The data's version, also its `ETag`: send it as `If-Match` to patch only that version.
    pub version: String,
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// `POST /api/v1/sessions/{session_id}/activity` and `POST /api/session/activity`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ActivityBody {
    pub success: bool,
    pub session_id: String,
    pub idle_expires_at: Timestamp,
    /// The idle deadline moved (at most once per coalescing interval, as a keep-alive's).
    pub extended: bool,
}

impl ActivityBody {
    pub fn new(activity: &sessiond_core::service::Activity) -> Self {
        let session = &activity.status.session;
        Self {
            success: true,
            session_id: session.id.to_string(),
            idle_expires_at: session.idle_expires_at,
            extended: activity.extended,
        }
    }
}

/// `DELETE /api/v1/sessions/{session_id}`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RevokedBody {
    pub success: bool,
    pub session_id: String,
}

/// `DELETE /api/v1/users/{username}/sessions`.
#[derive(Serialize, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RevokedAllBody {
    pub success: bool,
    pub ended_sessions: u64,
}

/// Every error: a stable `code` and a sentence. Answers to session requests also carry the
/// fields the original browser client reads (`valid`, `success`, `error`, `reason`).
#[derive(Serialize, Default, ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ErrorBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub valid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub success: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reason: Option<Cow<'static, str>>,
    pub code: Cow<'static, str>,
    /// Why the refused session ended (`password_changed`, `user_logout`, `idle`, ...), when
    /// its record is still found: the reasons of docs/api.md's revocations feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub end_reason: Option<Cow<'static, str>>,
    pub message: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub retry_after_seconds: Option<i64>,
    /// The request's id (also its `X-Request-Id`): the log keeps the request under it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub request_id: Option<String>,
    /// The session the request carried, when its record is still found.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub session_id: Option<String>,
}

impl ErrorBody {
    pub fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    use super::*;
    use crate::state::{ClientConfig, ClientFeatures, SyncSettings};

    /// The TypeScript declarations of every answer, in one file.
    fn typescript() -> String {
        // Every integer here is far below 2^53: a JSON number, not a bigint.
        let cfg = ts_rs::Config::new().with_large_int("number");
        let decls = [
            SessionBody::decl(&cfg),
            CheckBody::decl(&cfg),
            IssuedBody::decl(&cfg),
            AnonymousBody::decl(&cfg),
            KeepaliveBody::decl(&cfg),
            ContextBody::decl(&cfg),
            LogoutBody::decl(&cfg),
            LogoutAllBody::decl(&cfg),
            SessionListItem::decl(&cfg),
            SessionListBody::decl(&cfg),
            RevokeBody::decl(&cfg),
            ClientEventBody::decl(&cfg),
            HealthBody::decl(&cfg),
            CreatedBody::decl(&cfg),
            ValidateBody::decl(&cfg),
            ApiSessionBody::decl(&cfg),
            ApiSessionListBody::decl(&cfg),
            DataBody::decl(&cfg),
            ActivityBody::decl(&cfg),
            RevokedBody::decl(&cfg),
            RevokedAllBody::decl(&cfg),
            ErrorBody::decl(&cfg),
            ClientConfig::decl(&cfg),
            SyncSettings::decl(&cfg),
            ClientFeatures::decl(&cfg),
        ];
        let mut out = String::from(
            "// Generated from crates/http/src/body.rs and state.rs by the test \
             `typescript_types_are_fresh`;\n// refresh with `SESSIOND_BLESS=1 cargo test -p \
             sessiond-http typescript`. Do not edit.\n",
        );
        for decl in decls {
            out.push_str("\nexport ");
            out.push_str(&decl);
            out.push('\n');
        }
        out
    }

    #[test]
    fn typescript_types_are_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../clients/js/src/generated/api.ts");
        let want = typescript();
        if std::env::var_os("SESSIOND_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "clients/js/src/generated/api.ts is stale: run SESSIOND_BLESS=1 cargo test -p \
             sessiond-http typescript, then rebuild the client"
        );
    }
}
