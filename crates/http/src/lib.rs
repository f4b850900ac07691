//! sessiond's HTTP surface: [`app`] builds the axum `Router` from an [`AppState`]. Handlers are
//! thin: they extract and check input, call the core's `SessionService`, and map its answers
//! to JSON and status codes through [`ApiError`].

pub mod body;
pub mod cookie;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod guessing;
pub mod metrics;
pub mod routes;
pub mod state;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, delete, get, post, put};

pub use cookie::{CookieSettings, SameSite};
pub use error::ApiError;
pub use metrics::Metrics;
pub use state::{AppState, ClientConfig, ClientFeatures, Endpoints, SyncSettings};

use routes::{account, backend, client, forward, ops, pages, session};

/// Largest request body accepted anywhere: every JSON request of the API is tiny.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest total size of request headers.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub fn app(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/api/session/login", post(session::login))
        .route(
            "/api/session/check",
            get(session::check).post(session::check),
        )
        .route("/api/session/keepalive", post(session::keepalive))
        .route("/api/session/logout", post(session::logout))
        .route("/api/session/logout-all", post(session::logout_all))
        .route("/api/session/sessions", get(session::list_sessions))
        .route("/api/session/reauth", post(account::reauth))
        .route("/api/session/password", post(account::change_password))
        .route("/api/session/client-config", get(client::client_config))
        .route("/api/session/events", post(client::record_event))
        .route(
            "/api/session/sessions/{session_id}",
            delete(session::revoke_session),
        );
    if state.endpoints.context {
        api = api.route("/api/session/context", put(session::switch_context));
    }
    if state.endpoints.anonymous {
        api = api.route("/api/session/anonymous", post(session::anonymous));
    }
    let api = api
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guessing::guard,
        ))
        .layer(middleware::from_fn(no_store));
    // Authenticated by an API key, never by a cookie: no CSRF defence, no cookie guessing guard.
    let v1 = Router::new()
        .route("/api/v1/sessions", post(backend::create))
        .route("/api/v1/sessions/validate", post(backend::validate))
        .route(
            "/api/v1/sessions/{session_id}",
            get(backend::get_session).delete(backend::revoke_session),
        )
        .route(
            "/api/v1/sessions/{session_id}/data",
            get(backend::get_data).patch(backend::patch_data),
        )
        .route(
            "/api/v1/sessions/{session_id}/activity",
            post(backend::record_activity),
        )
        .route(
            "/api/v1/users/{username}/sessions",
            get(backend::user_sessions).delete(backend::revoke_user_sessions),
        )
        .layer(middleware::from_fn(no_store));
    // Asked by a proxy about the browser's request (any method, as some proxies forward the
    // original one): never a cookie, so no CSRF guard; unknown tokens still count as guesses.
    let verify = Router::new()
        .route("/auth/verify", any(forward::verify))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guessing::guard,
        ))
        .layer(middleware::from_fn(forward::only_401))
        .layer(middleware::from_fn(no_store));
    let mut router = Router::new()
        .merge(api)
        .merge(v1)
        .merge(verify)
        .route("/", get(pages::demo))
        .route("/login", get(pages::login))
        .route("/logout", get(session::logout_page))
        .route("/static/sessiond.js", get(pages::sessiond_js))
        .route("/static/sessiond.mjs", get(pages::sessiond_mjs))
        .route("/static/pages.js", get(pages::pages_js))
        .route("/static/pages.css", get(pages::pages_css));
    if state.endpoints.health {
        router = router
            .route("/healthz", get(ops::healthz))
            .route("/readyz", get(ops::readyz));
    }
    if state.endpoints.metrics {
        router = router.route("/metrics", get(ops::metrics));
    }
    #[cfg(feature = "bench")]
    let router = router.route("/bench/hello", get(ops::bench_hello));
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(limit_headers))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(request_span))
        .with_state(state)
}

/// Every request runs in a span of its own whose id the response carries (`X-Request-Id`), so
/// the cause of a 5xx, logged inside the span, can be found from what the client saw. The id is
/// a per-process random prefix and a count: no system call per request.
async fn request_span(req: Request, next: Next) -> Response {
    use std::sync::LazyLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tracing::Instrument as _;
    static PREFIX: LazyLock<String> = LazyLock::new(|| {
        let bytes = sessiond_core::random::bytes::<4>().unwrap_or_default();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    });
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let id = format!("{}-{:x}", *PREFIX, COUNT.fetch_add(1, Ordering::Relaxed));
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path()
    );
    let mut res = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Session answers are personal: no cache may keep them.
async fn no_store(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// On every response: no MIME sniffing, no referrer leaking paths, no framing.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    res
}

/// Refuses oversized header sets early, with a JSON 431 instead of whatever a handler would do.
async fn limit_headers(req: Request, next: Next) -> Response {
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return axum::response::IntoResponse::into_response(ApiError::HeadersTooLarge);
    }
    next.run(req).await
}
