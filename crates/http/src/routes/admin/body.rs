//! The admin API's answers (docs/api.md, "Admin API").

use serde::Serialize;
use sessiond_core::service::SessionDetail;
use sessiond_core::{Session, SessionState, Timestamp};
use utoipa::ToSchema;

/// A session as the admin list shows it: live or ended, and who ended it and why.
#[derive(Serialize, ToSchema)]
pub struct AdminSessionBody {
    pub session_id: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub auth_method: Option<String>,
    /// `active`, or how it ended (`expired` also for one past a deadline not yet marked).
    pub state: String,
    pub end_reason: Option<String>,
    pub ended_at: Option<Timestamp>,
    /// `admin:NAME` or `key:NAME` when someone other than its user ended it.
    pub ended_by: Option<String>,
    /// The reason they gave.
    pub end_note: Option<String>,
    pub created_at: Timestamp,
    pub last_activity: Timestamp,
    pub idle_expires_at: Timestamp,
    pub absolute_expires_at: Timestamp,
    pub context: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device: Option<String>,
    pub persistent: bool,
}

impl AdminSessionBody {
    pub fn new(s: Session, now: Timestamp) -> Self {
        let state = match s.state {
            SessionState::Active if !s.is_active_at(now) => "expired",
            state => state.as_str(),
        };
        Self {
            session_id: s.id.to_string(),
            user_id: s.user_id.map(|u| u.to_string()),
            username: s.username,
            display_name: s.display_name,
            role: s.role,
            auth_method: s.auth_method,
            state: state.to_owned(),
            end_reason: s.end_reason.map(|r| r.as_str().to_owned()),
            ended_at: s.ended_at,
            ended_by: s.ended_by,
            end_note: s.end_note,
            created_at: s.created_at,
            last_activity: s.last_activity,
            idle_expires_at: s.idle_expires_at,
            absolute_expires_at: s.absolute_expires_at,
            context: s.context,
            ip: s.client.ip,
            user_agent: s.client.user_agent,
            device: s.device,
            persistent: s.persistent,
        }
    }
}

/// `GET /api/admin/sessions`: one page, and the cursor of the next (`null` at the end). A page
/// may hold fewer than `limit` sessions while the list goes on.
#[derive(Serialize, ToSchema)]
pub struct AdminSessionListBody {
    pub sessions: Vec<AdminSessionBody>,
    pub next_cursor: Option<String>,
}

/// The device a user agent names.
#[derive(Serialize, ToSchema)]
pub struct DeviceBody {
    pub browser: String,
    pub os: Option<String>,
}

/// One finding that raised a session's suspicion score.
#[derive(Serialize, ToSchema)]
pub struct FindingBody {
    pub at: Timestamp,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A session's suspicion: its score and what raised it, newest first.
#[derive(Serialize, ToSchema)]
pub struct SuspicionBody {
    pub score: u64,
    pub findings: Vec<FindingBody>,
}

/// `GET /api/admin/sessions/{session_id}`: one session in full.
#[derive(Serialize, ToSchema)]
pub struct AdminSessionDetailBody {
    #[serde(flatten)]
    pub session: AdminSessionBody,
    pub device_info: DeviceBody,
    pub fingerprint: Option<String>,
    pub suspicion: SuspicionBody,
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
    /// From its start to its end, or to now while it is live.
    pub duration_seconds: i64,
}

impl AdminSessionDetailBody {
    pub fn new(d: SessionDetail, now: Timestamp) -> Self {
        let (browser, os) = d.session.client.browser_and_os();
        let end = d.session.ended_at.unwrap_or(now);
        let duration_seconds = sessiond_core::time::secs_between(d.session.created_at, end).max(0);
        Self {
            device_info: DeviceBody {
                browser: browser.to_owned(),
                os: os.map(str::to_owned),
            },
            fingerprint: d.session.fingerprint.clone(),
            suspicion: SuspicionBody {
                score: d.suspicion_score,
                findings: d
                    .findings
                    .into_iter()
                    .map(|e| FindingBody {
                        at: e.at,
                        event_type: e.event_type,
                        details: e.details,
                    })
                    .collect(),
            },
            data: d.session.data.clone(),
            duration_seconds,
            session: AdminSessionBody::new(d.session, now),
        }
    }
}

/// A revocation of one session.
#[derive(Serialize, ToSchema)]
pub struct AdminRevokedBody {
    pub session_id: String,
    /// `false` when it had ended already (its end stays as it was).
    pub revoked: bool,
}

/// How many sessions a call ended.
#[derive(Serialize, ToSchema)]
pub struct AdminRevokedCountBody {
    pub revoked: u64,
}

/// `POST /api/admin/sessions/revoke`: what was done with each id and user.
#[derive(Serialize, ToSchema)]
pub struct BulkRevokedBody {
    /// Sessions this call ended.
    pub revoked: Vec<String>,
    /// Sessions that had ended already.
    pub already_ended: Vec<String>,
    /// Session ids and usernames that were not found.
    pub not_found: Vec<String>,
}

/// A user as the admin API shows it (never a password hash).
#[derive(Serialize, ToSchema)]
pub struct AdminUserBody {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub auth_method: String,
    pub enabled: bool,
    pub contexts: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<sessiond_core::user::User> for AdminUserBody {
    fn from(u: sessiond_core::user::User) -> Self {
        Self {
            user_id: u.id.to_string(),
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            auth_method: u.auth_method.as_str().to_owned(),
            enabled: u.enabled,
            contexts: u.contexts,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// `GET /api/admin/users`.
#[derive(Serialize, ToSchema)]
pub struct AdminUserListBody {
    pub users: Vec<AdminUserBody>,
    pub count: usize,
}

/// A change to a user, and how many of their sessions it ended or moved.
#[derive(Serialize, ToSchema)]
pub struct AdminUserChangedBody {
    pub user: AdminUserBody,
    pub sessions_affected: u64,
}
