//! The admin API's routes and their layers.

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::openapi::{ADMIN, API_KEY, COOKIE_GUARDS, STORE, refuse};
use crate::state::AppState;
use crate::{csrf, extract, guessing};

use super::{BULK_BODY_BYTES, alerts, audit, config, counts, sessions, timeline, users};

/// A superadmin's session (CSRF-checked like every cookie route) or an API key: the gate in
/// each handler decides which (`AdminCaller`).
pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::new()
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::get_session))
        .routes(routes!(sessions::revoke_session))
        .routes(routes!(sessions::revoke_user_sessions))
        .routes(routes!(counts::counts))
        .routes(routes!(alerts::alerts))
        .routes(routes!(config::config))
        .routes(routes!(config::debug_session))
        .routes(routes!(audit::audit))
        .routes(routes!(audit::verify))
        .routes(routes!(users::list_users))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::set_role))
        .routes(routes!(users::set_contexts))
        .merge(
            // 500 session ids do not fit in the API's usual 16 KiB.
            OpenApiRouter::new()
                .routes(routes!(sessions::revoke_sessions))
                .layer(DefaultBodyLimit::max(BULK_BODY_BYTES)),
        );
    if state.endpoints.analytics {
        api = api.routes(routes!(timeline::admin_timeline));
    }
    for refusals in [ADMIN, API_KEY, COOKIE_GUARDS, STORE] {
        refuse(api.get_openapi_mut(), refusals);
    }
    api.layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guessing::guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            extract::read_session_cookie,
        ))
        .layer(middleware::from_fn(crate::no_store))
}
