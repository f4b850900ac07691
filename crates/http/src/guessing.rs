//! Session-ID guessing (docs/security.md row 41): an address (IPv6: its /64) that presents more
//! unknown session tokens in a minute than `SESSIOND_UNKNOWN_TOKEN_LIMIT` is answered 429, with
//! no further counting, for every unknown token until the minute has passed. A token that opens
//! a session is served as ever, from that address too: the limit stops guessing, not the users
//! who share an address with a guesser. Other addresses are unaffected.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, UnknownToken};
use crate::extract::{client_of, session_cookie};
use crate::state::AppState;

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cookie = session_cookie(req.extensions(), req.headers(), &state.cookie.name);
    let presented = matches!(cookie, Ok(Some(_)));
    if !presented {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let client = client_of(&parts, &state);
    let ip = client.ip.clone().unwrap_or_default();
    let res = next.run(Request::from_parts(parts, body)).await;
    if res.extensions().get::<UnknownToken>().is_none() {
        return res;
    }
    if let Err(retry_after_secs) = state.service.browser().guessing_blocked(&ip) {
        return ApiError::RateLimited { retry_after_secs }.into_response();
    }
    state
        .service
        .browser()
        .note_unknown_token(&ip, &client)
        .await;
    res
}
