//! Error answers say which request and which session they were (docs/api.md, "Every error
//! code"): `request_id`, the id the log keeps the request under, and `session_id`, when the
//! request carried a session cookie whose record is still found. So a user who is told "contact
//! support with this id" has one, and the session's timeline shows the error it met.

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sessiond_core::Token;
use sessiond_core::service::Failure;

use crate::extract::{client_of, session_cookie};
use crate::state::AppState;

/// The id `request_span` gave the request.
#[derive(Clone)]
pub struct RequestId(pub String);

/// Error bodies are small; one larger than this is passed on untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Codes that say the token finds no session: looking it up again would find nothing, and a
/// flood of guesses would cost a second store read each.
const NO_SESSION: [&str; 4] = [
    "no_session",
    "ambiguous_session_cookie",
    "invalid_token",
    "rate_limited",
];

pub async fn add_ids(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let id = parts.extensions.get::<RequestId>().cloned();
    let token = session_cookie(&parts.extensions, &parts.headers, &state.cookie.name)
        .ok()
        .flatten()
        .and_then(|v| Token::parse(&v));
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let client = token.as_ref().map(|_| client_of(&parts, &state));
    let res = next.run(Request::from_parts(parts, body)).await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status().as_u16() < 400 || !json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Some(RequestId(id)) = id {
        map.insert("request_id".into(), id.into());
    }
    let code = map.get("code").and_then(|c| c.as_str()).unwrap_or("");
    if let (Some(token), Some(client)) = (&token, &client)
        && !NO_SESSION.contains(&code)
    {
        // A path no route serves (a browser's `/favicon.ico`) is named, but it is no error of
        // the session's to keep in its timeline.
        // Without SESSION_FEATURE_ANALYTICS no timeline keeps it; the session is still named.
        let failure = route
            .as_deref()
            .filter(|_| state.endpoints.analytics)
            .map(|route| Failure {
                status: parts.status.as_u16(),
                code,
                route,
            });
        if let Some(session) = state
            .service
            .browser()
            .note_failure(token, failure, client)
            .await
        {
            map.insert("session_id".into(), session.to_string().into());
        }
    }
    let body = serde_json::Value::Object(map).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Ok(len) = HeaderValue::from_str(&body.len().to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, len);
    }
    Response::from_parts(parts, Body::from(body))
}
