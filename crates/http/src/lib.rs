//! sessiond's HTTP surface: [`app`] builds the axum `Router` from an [`AppState`]. Handlers are
//! thin: they extract and check input, call the core's `SessionService`, and map its answers
//! to JSON and status codes through [`ApiError`].

pub mod body;
pub mod cookie;
pub mod csrf;
pub mod error;
pub mod error_context;
pub mod extract;
pub mod fields;
pub mod guessing;
pub mod metrics;
pub mod openapi;
pub mod proxies;
pub mod return_to;
pub mod routes;
pub mod state;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::on;
use tower::ServiceBuilder;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use cookie::{CookieSettings, SameSite};
pub use error::ApiError;
pub use metrics::Metrics;
pub use state::{AppState, ClientConfig, ClientFeatures, Endpoints, SyncSettings};

use routes::{account, admin, backend, client, forward, jwks, logout, ops, pages, session, tokens};

/// Largest request body accepted anywhere: every JSON request of the API is tiny.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest total size of request headers.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub fn app(state: AppState) -> Router {
    let (router, doc) = routes(&state).split_for_parts();
    let doc = openapi::Document(doc.to_json().unwrap_or_default().into_bytes().into());
    #[cfg(feature = "bench")]
    let router = router.route("/bench/hello", axum::routing::get(ops::bench_hello));
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // One stack, outermost first: each `Router::layer` would box the routes again, and
        // every layer then cloned the boxes below it on every request (docs/performance.md).
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(state.clone(), request_span))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    error_context::add_ids,
                ))
                .layer(middleware::from_fn(security_headers))
                .layer(middleware::from_fn_with_state(state.clone(), proxy_headers))
                .layer(middleware::from_fn(limit_headers))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
                .layer(axum::Extension(doc)),
        )
        .with_state(state)
}

/// `/metrics` alone, for a listener of its own (`SESSIOND_METRICS_BIND`): a scraper on the
/// operators' network reads it there, and the public listener does not serve it.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(ops::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The OpenAPI document of the routes `state` enables, as `/openapi.json` serves it.
pub fn document(state: &AppState) -> utoipa::openapi::OpenApi {
    routes(state).into_openapi()
}

/// Every documented route, each group with the refusals of its layers (see [`mod@openapi`]).
fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    use openapi::{API_KEY, COOKIE_GUARDS, EVERY_ROUTE, STORE, refuse};
    // The CSRF defence is each route group's layer: login is held to the browser's provenance
    // only, logout works beside a tossed cookie, the passive check changes nothing.
    let login =
        OpenApiRouter::new()
            .routes(routes!(session::login))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                csrf::login_guard,
            ));
    let logout =
        OpenApiRouter::new()
            .routes(routes!(logout::logout))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                csrf::tolerant_guard,
            ));
    let passive = OpenApiRouter::new().routes(routes!(session::check, session::check_post));
    let mut guarded = OpenApiRouter::new()
        .routes(routes!(session::keepalive))
        .routes(routes!(logout::logout_all))
        .routes(routes!(session::list_sessions))
        .routes(routes!(account::reauth))
        .routes(routes!(account::change_password))
        .routes(routes!(client::client_config))
        .routes(routes!(client::record_event))
        .routes(routes!(session::revoke_session));
    if state.endpoints.analytics {
        guarded = guarded.routes(routes!(client::record_activity));
    }
    if state.endpoints.context {
        guarded = guarded.routes(routes!(session::switch_context));
    }
    if state.endpoints.anonymous {
        guarded = guarded.routes(routes!(session::anonymous));
    }
    let guarded = guarded.layer(middleware::from_fn_with_state(state.clone(), csrf::guard));
    let mut api = login.merge(logout).merge(passive).merge(guarded);
    refuse(api.get_openapi_mut(), COOKIE_GUARDS);
    refuse(api.get_openapi_mut(), STORE);
    let api = api.layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(no_store))
            .layer(middleware::from_fn_with_state(state.clone(), clear_tossed))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                extract::read_session_cookie,
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                guessing::guard,
            )),
    );
    // Authenticated by an API key, never by a cookie: no CSRF defence, no cookie guessing guard.
    let mut v1 = OpenApiRouter::new()
        .routes(routes!(backend::create))
        .routes(routes!(backend::validate))
        .routes(routes!(backend::get_session, backend::revoke_session))
        .routes(routes!(backend::data::get_data, backend::data::patch_data))
        .routes(routes!(
            backend::user_sessions,
            backend::revoke_user_sessions
        ))
        .routes(routes!(backend::revocations::revocations))
        .routes(routes!(backend::config::custom_settings));
    if state.endpoints.analytics {
        v1 = v1
            .routes(routes!(backend::data::record_activity))
            .routes(routes!(admin::timeline::backend_timeline));
    }
    refuse(v1.get_openapi_mut(), API_KEY);
    refuse(v1.get_openapi_mut(), STORE);
    let v1 = v1.layer(middleware::from_fn(no_store));
    let admin_api = admin::routes(state);
    // Asked by a proxy about the browser's request (any method HTTP defines and OpenAPI can
    // describe, as some proxies forward the original one; docs/decisions/0039): never a cookie,
    // so no CSRF guard; unknown tokens still count as guesses.
    // Its refusals are all 401 (`only_401`), which its attribute lists.
    let mut verify = OpenApiRouter::with_openapi(openapi::Verify::openapi());
    refuse(verify.get_openapi_mut(), STORE);
    openapi::name_each_method(verify.get_openapi_mut());
    let verify = verify
        .route("/auth/verify", on(forward::METHODS, forward::verify))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(no_store))
                .layer(middleware::from_fn(forward::only_401))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    extract::read_session_cookie,
                ))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    guessing::guard,
                )),
        );
    let mut ops_routes = OpenApiRouter::new().routes(routes!(openapi::serve));
    if state.endpoints.health {
        ops_routes = ops_routes
            .routes(routes!(ops::healthz))
            .routes(routes!(ops::readyz));
    }
    if state.endpoints.metrics && !state.metrics_access.own_listener {
        ops_routes = ops_routes.routes(routes!(ops::metrics));
    }
    // For API and mobile clients: no cookie is read or set, so no CSRF or cookie-guessing guard.
    let mut token_api = OpenApiRouter::new()
        .routes(routes!(tokens::login))
        .routes(routes!(tokens::refresh))
        .routes(routes!(tokens::logout))
        .routes(routes!(tokens::logout_all));
    refuse(token_api.get_openapi_mut(), STORE);
    let token_api = token_api.layer(middleware::from_fn(no_store));
    let mut logout_page = OpenApiRouter::new().routes(routes!(logout::logout_page));
    refuse(logout_page.get_openapi_mut(), STORE);
    let logout_page =
        logout_page.layer(middleware::from_fn_with_state(state.clone(), clear_tossed));
    let mut keys = OpenApiRouter::new().routes(routes!(jwks::jwks));
    refuse(keys.get_openapi_mut(), STORE);
    let mut all = OpenApiRouter::with_openapi(openapi::Skeleton::openapi())
        .merge(api)
        .merge(v1)
        .merge(admin_api)
        .merge(token_api)
        .merge(verify)
        .merge(logout_page)
        .merge(keys)
        .merge(ops_routes)
        .routes(routes!(pages::demo))
        .routes(routes!(pages::login))
        .routes(routes!(pages::sessiond_js))
        .routes(routes!(pages::sessiond_mjs))
        .routes(routes!(pages::pages_js))
        .routes(routes!(pages::pages_css))
        .routes(routes!(pages::admin))
        .routes(routes!(pages::admin_js))
        .routes(routes!(pages::admin_css));
    let doc = all.get_openapi_mut();
    refuse(doc, EVERY_ROUTE);
    openapi::add_security(doc, &state.cookie.name);
    openapi::list_roles(doc, &state.service.settings().roles);
    all
}

/// Every request runs in a span of its own whose id the response carries (`X-Request-Id`), so
/// the cause of a 5xx, logged inside the span, can be found from what the client saw.
async fn request_span(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    use tracing::Instrument as _;
    let id = request_id();
    req.extensions_mut()
        .insert(error_context::RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path()
    );
    // An `Arc` inside: cloned, not copied.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    state.metrics.observe_request(
        &method,
        route.as_ref().map(|r| r.as_str()),
        res.status().as_u16(),
        elapsed,
    );
    // One line per request (never its query, headers or body, where tokens travel), under a
    // target of its own: `SESSIOND_LOG=info,sessiond::access=warn` turns it off.
    span.in_scope(|| {
        tracing::info!(
            target: "sessiond::access",
            route = route.as_ref().map_or("(none)", |r| r.as_str()),
            status = res.status().as_u16(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// A request id: 128 bits that tell nothing of how many requests the node has served. A count
/// run through SipHash under a key drawn from the OS when the process starts (the standard
/// library's `RandomState`): unique per count, unpredictable without the key, and no system
/// call per request.
fn request_id() -> String {
    use std::hash::BuildHasher as _;
    use std::sync::LazyLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEYS: LazyLock<[std::hash::RandomState; 2]> =
        LazyLock::new(|| [std::hash::RandomState::new(), std::hash::RandomState::new()]);
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{:016x}", KEYS[0].hash_one(n), KEYS[1].hash_one(n))
}

/// A request whose session cookie is ambiguous (a cookie tossed beside the real one, or a case
/// variant of its name) gets every variant cleared, ahead of any cookie the answer sets: the
/// browser is not locked out of its session routes, its login and its logout for as long as
/// the tossed cookie lives (docs/security.md, row 4).
async fn clear_tossed(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(names) = extract::tossed_cookie_names(req.headers(), &state.cookie.name) else {
        return next.run(req).await;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let clears = state
        .cookie
        .clear_everywhere(&names, host.as_deref(), req.uri().path());
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let own: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    headers.remove(header::SET_COOKIE);
    for value in clears.into_iter().chain(own) {
        headers.append(header::SET_COOKIE, value);
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
pub(crate) async fn no_store(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// On every response: no MIME sniffing, no referrer leaking paths, no framing.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Room for all three at once: growing the map twice was 2% of a check.
    h.reserve(3);
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

/// A proxy header from a peer that is not a trusted proxy is ignored wherever it is read; the
/// log names the first few such peers (`TrustedProxies::note_untrusted`).
async fn proxy_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        state
            .trusted_proxies
            .note_untrusted(peer.0.ip(), req.headers());
    }
    next.run(req).await
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
