//! `GET /api/admin/counts`: counts without listing.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use sessiond_core::service::Inspect;
use sessiond_core::{SessionState, Timestamp};
use utoipa::ToSchema;

use super::AdminCaller;
use crate::error::ApiError;
use crate::state::AppState;

/// Active sessions in total, by role and by context (`""`: an anonymous session's role, or no
/// context).
#[derive(Serialize, ToSchema)]
pub struct ActiveCounts {
    pub total: u64,
    pub by_role: BTreeMap<String, u64>,
    pub by_context: BTreeMap<String, u64>,
}

/// One hour's counts.
#[derive(Serialize, ToSchema)]
pub struct HourBody {
    /// The hour's start.
    pub hour: Timestamp,
    pub logins: u64,
    pub login_failures: u64,
    pub expired_idle: u64,
    pub expired_absolute: u64,
}

/// The active sessions at one instant.
#[derive(Serialize, ToSchema)]
pub struct ActiveSample {
    pub at: Timestamp,
    pub active: u64,
}

/// `GET /api/admin/counts`.
#[derive(Serialize, ToSchema)]
pub struct CountsBody {
    pub active: ActiveCounts,
    /// Users with at least one active session.
    pub unique_users: u64,
    /// Ended sessions still kept (until `SESSION_EXPIRED_RETENTION_DAYS`), by how they ended.
    pub ended: BTreeMap<String, u64>,
    /// Sessions past a deadline still to be marked expired (0 unless the cleanup is far
    /// behind): `active` counts them until then.
    pub pending_expiries: u64,
    /// The last 24 hours, oldest first.
    pub hourly: Vec<HourBody>,
    /// The active sessions as the answering node sampled them: every five minutes for the last
    /// day at most, oldest first (fewer on a node that started lately).
    pub active_history: Vec<ActiveSample>,
}

/// `GET /api/admin/counts`: read from tallies the store keeps as sessions change, and from
/// per-hour counters; the same cost at any number of sessions.
#[utoipa::path(
    get,
    path = "/api/admin/counts",
    tag = "admin",
    operation_id = "admin_counts",
    responses((status = 200, description = "The counts", body = CountsBody)),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn counts(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<CountsBody>, ApiError> {
    let api = caller.gate::<Inspect>(&state, "admin_counts").await?;
    let c = api.counts().await?;
    let mut active = ActiveCounts {
        total: 0,
        by_role: BTreeMap::new(),
        by_context: BTreeMap::new(),
    };
    let mut ended = BTreeMap::new();
    for t in c.tallies.sessions {
        if t.state == SessionState::Active {
            active.total += t.n;
            *active
                .by_role
                .entry(t.role.unwrap_or_default())
                .or_default() += t.n;
            *active
                .by_context
                .entry(t.context.unwrap_or_default())
                .or_default() += t.n;
        } else {
            *ended.entry(t.state.as_str().to_owned()).or_default() += t.n;
        }
    }
    let hourly = c
        .hourly
        .into_iter()
        .map(|h| {
            let n = |name: &str| {
                h.counts
                    .iter()
                    .find(|(what, _)| what.as_str() == name)
                    .map_or(0, |(_, n)| *n)
            };
            HourBody {
                hour: h.hour,
                logins: n("logins"),
                login_failures: n("login_failures"),
                expired_idle: n("expired_idle"),
                expired_absolute: n("expired_absolute"),
            }
        })
        .collect();
    Ok(Json(CountsBody {
        active,
        unique_users: c.tallies.active_users,
        ended,
        pending_expiries: c.pending_expiries,
        hourly,
        active_history: c
            .active_history
            .into_iter()
            .map(|(at, active)| ActiveSample { at, active })
            .collect(),
    }))
}
