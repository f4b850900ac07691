//! The browser side that ships inside the binary: `sessiond.js` (built from `clients/js`, whose
//! committed builds CI checks against the source), the login page and the demo page. Building
//! sessiond needs no Node.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The classic-script bundle (`window.sessiond`).
pub const SESSIOND_JS: &str = include_str!("../../../../clients/js/dist/sessiond.js");
/// The same as an ES module.
pub const SESSIOND_MJS: &str = include_str!("../../../../clients/js/dist/sessiond.mjs");
/// The login and demo pages' own script.
const PAGES_JS: &str = include_str!("../../../../clients/js/dist/pages.js");
const PAGES_CSS: &str = include_str!("../../assets/pages.css");
const LOGIN_HTML: &str = include_str!("../../assets/login.html");
const DEMO_HTML: &str = include_str!("../../assets/index.html");
/// The admin dashboard (`/admin/`), on the admin API.
const ADMIN_HTML: &str = include_str!("../../assets/admin.html");
const ADMIN_JS: &str = include_str!("../../../../clients/js/dist/admin.js");
const ADMIN_CSS: &str = include_str!("../../assets/admin.css");

/// Served pages run only their own files: no inline script or style, no framing.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Revalidated on every load, so a new sessiond's client is picked up at once.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn page(body: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/static/sessiond.js",
    tag = "pages",
    responses((status = 200, description = "The browser client, a classic script", content_type = "text/javascript", body = String))
)]
pub async fn sessiond_js() -> Response {
    asset(SESSIOND_JS, "text/javascript; charset=utf-8")
}

#[utoipa::path(
    get,
    path = "/static/sessiond.mjs",
    tag = "pages",
    responses((status = 200, description = "The browser client, an ES module", content_type = "text/javascript", body = String))
)]
pub async fn sessiond_mjs() -> Response {
    asset(SESSIOND_MJS, "text/javascript; charset=utf-8")
}

#[utoipa::path(
    get,
    path = "/static/pages.js",
    tag = "pages",
    responses((status = 200, description = "The pages' own script", content_type = "text/javascript", body = String))
)]
pub async fn pages_js() -> Response {
    asset(PAGES_JS, "text/javascript; charset=utf-8")
}

#[utoipa::path(
    get,
    path = "/static/pages.css",
    tag = "pages",
    responses((status = 200, description = "The pages' style sheet", content_type = "text/css", body = String))
)]
pub async fn pages_css() -> Response {
    asset(PAGES_CSS, "text/css; charset=utf-8")
}

#[utoipa::path(
    get,
    path = "/login",
    tag = "pages",
    operation_id = "login_page",
    responses((status = 200, description = "The login page", content_type = "text/html", body = String))
)]
pub async fn login() -> Response {
    page(LOGIN_HTML)
}

#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    responses((status = 200, description = "The demo application", content_type = "text/html", body = String))
)]
pub async fn demo() -> Response {
    page(DEMO_HTML)
}

#[utoipa::path(
    get,
    path = "/admin/",
    tag = "pages",
    operation_id = "admin_page",
    responses((status = 200, description = "The admin dashboard (it asks a superadmin to log in)", content_type = "text/html", body = String))
)]
pub async fn admin() -> Response {
    page(ADMIN_HTML)
}

#[utoipa::path(
    get,
    path = "/static/admin.js",
    tag = "pages",
    responses((status = 200, description = "The dashboard's script", content_type = "text/javascript", body = String))
)]
pub async fn admin_js() -> Response {
    asset(ADMIN_JS, "text/javascript; charset=utf-8")
}

#[utoipa::path(
    get,
    path = "/static/admin.css",
    tag = "pages",
    responses((status = 200, description = "The dashboard's style sheet", content_type = "text/css", body = String))
)]
pub async fn admin_css() -> Response {
    asset(ADMIN_CSS, "text/css; charset=utf-8")
}
