//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, built from the handlers' own
//! `#[utoipa::path]` attributes as [`crate::app`] registers them, so a route cannot be served
//! without being described. A handler's attribute lists what the handler refuses; the refusals
//! that the layers around a group of routes add (the CSRF defence, the guessing limit, the API
//! key, the JSON body, the header limit) are added here, to every operation of the group, so
//! that each route lists every error code it can answer with. docs/api.md says what each means.

use axum::Extension;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use crate::body::ErrorBody;

/// The skeleton the routes are added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sessiond",
        description = "Session service: browser sessions with timeouts and warnings, a backend \
                       API for applications, forward auth for reverse proxies. docs/api.md in \
                       the repository describes every route, field and error code."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "browser", description = "The browser's session API, authenticated by the session cookie"),
        (name = "backend", description = "The backend API, for an application's server, authenticated by an API key"),
        (name = "forward-auth", description = "Asked by a reverse proxy about the request it holds"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
        (name = "pages", description = "The login and demo pages and the browser client"),
    )
)]
pub(crate) struct Skeleton;

/// `/auth/verify` answers every method, which `routes!` cannot register: its route is added
/// as a plain one, and its description from here.
#[derive(OpenApi)]
#[openapi(paths(crate::routes::forward::verify))]
pub(crate) struct Verify;

/// One handler described under several methods shares its `operationId`, which must be
/// unique: each method but GET gets its own, `verify_post`, `verify_head`, ...
pub(crate) fn name_each_method(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
            ("head", &mut item.head),
            ("options", &mut item.options),
            ("trace", &mut item.trace),
        ];
        for (method, op) in ops {
            if let Some(op) = op
                && let Some(id) = &mut op.operation_id
            {
                *id = format!("{id}_{method}");
            }
        }
    }
}

/// The served document, rendered once; each answer shares its bytes.
#[derive(Clone)]
pub(crate) struct Document(pub(crate) Bytes);

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    responses((status = 200, description = "This document", content_type = "application/json"))
)]
pub(crate) async fn serve(Extension(doc): Extension<Document>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0)
}

/// The session cookie and the API key, as security schemes the operations name.
pub(crate) fn add_security(doc: &mut utoipa::openapi::OpenApi, cookie_name: &str) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session_cookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(cookie_name))),
    );
    components.add_security_scheme(
        "api_key",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API key, `sk_...` (`sessiond api-keys create`)"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "access_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from `POST /api/token/login` or `/api/token/refresh`",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "metrics_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("`SESSIOND_METRICS_TOKEN`, when it is set"))
                .build(),
        ),
    );
}

/// The role a request names must be one of `SESSION_ROLES`: the document lists them, so a
/// client (and the fuzzer) can tell a valid one from an invalid one.
pub(crate) fn list_roles(doc: &mut utoipa::openapi::OpenApi, roles: &[String]) {
    let role = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("RoleName"));
    if let Some(RefOr::T(utoipa::openapi::Schema::Object(role))) = role {
        role.enum_values = Some(roles.iter().map(|r| r.as_str().into()).collect());
    }
}

/// A refusal that a layer adds to the operations it guards.
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) codes: &'static [&'static str],
    /// Whether the layer acts on requests of this method.
    pub(crate) applies: fn(&HttpMethod, &Operation) -> bool,
}

fn always(_: &HttpMethod, _: &Operation) -> bool {
    true
}

fn with_body(_: &HttpMethod, op: &Operation) -> bool {
    op.request_body.is_some()
}

fn with_path_params(_: &HttpMethod, op: &Operation) -> bool {
    op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, utoipa::openapi::RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Path))
    })
}

/// What the CSRF guard checks: every unsafe request but the passive check.
fn unsafe_method(method: &HttpMethod, op: &Operation) -> bool {
    !matches!(
        method,
        HttpMethod::Get | HttpMethod::Head | HttpMethod::Options
    ) && op.operation_id.as_deref() != Some("check_post")
}

/// Every route, whatever guards it.
pub(crate) const EVERY_ROUTE: &[Refusal] = &[
    Refusal {
        status: 431,
        codes: &["headers_too_large"],
        applies: always,
    },
    Refusal {
        status: 500,
        codes: &["internal_error"],
        applies: always,
    },
    Refusal {
        status: 400,
        codes: &["invalid_request", "malformed_json", "unreadable_body"],
        applies: with_body,
    },
    Refusal {
        status: 400,
        codes: &["invalid_path"],
        applies: with_path_params,
    },
    Refusal {
        status: 408,
        codes: &["request_timeout"],
        applies: with_body,
    },
    Refusal {
        status: 413,
        codes: &["payload_too_large"],
        applies: with_body,
    },
    Refusal {
        status: 415,
        codes: &["unsupported_media_type"],
        applies: with_body,
    },
];

/// Routes that read or write the store.
pub(crate) const STORE: &[Refusal] = &[Refusal {
    status: 503,
    codes: &["store_unavailable"],
    applies: always,
}];

/// The browser API's guards: the CSRF defence and the unknown-token limit.
pub(crate) const COOKIE_GUARDS: &[Refusal] = &[
    Refusal {
        status: 403,
        codes: &["csrf_failed"],
        applies: unsafe_method,
    },
    Refusal {
        status: 429,
        codes: &["rate_limited"],
        applies: always,
    },
];

/// The admin API's gate, for a session: none or a dead one, a user who is not a superadmin, and
/// a change on a session whose password was entered too long ago.
pub(crate) const ADMIN: &[Refusal] = &[
    Refusal {
        status: 401,
        codes: &[
            "no_session",
            "expired_idle",
            "expired_absolute",
            "revoked",
            "logged_out",
            "evicted",
            "ambiguous_session_cookie",
        ],
        applies: always,
    },
    Refusal {
        status: 403,
        codes: &["insufficient_role"],
        applies: always,
    },
    Refusal {
        status: 403,
        codes: &["reauth_required"],
        applies: unsafe_method,
    },
];

/// The backend API's key: absent or wrong, too narrow, or too many wrong ones from an address.
pub(crate) const API_KEY: &[Refusal] = &[
    Refusal {
        status: 401,
        codes: &["invalid_api_key"],
        applies: always,
    },
    Refusal {
        status: 403,
        codes: &["insufficient_scope"],
        applies: always,
    },
    Refusal {
        status: 429,
        codes: &["rate_limited"],
        applies: always,
    },
];

/// Adds `refusals` to every operation of `doc` they apply to, merging their codes into a
/// response of the same status that the handler documents.
pub(crate) fn refuse(doc: &mut utoipa::openapi::OpenApi, refusals: &[Refusal]) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Delete, &mut item.delete),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Head, &mut item.head),
            (HttpMethod::Options, &mut item.options),
            (HttpMethod::Trace, &mut item.trace),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let applying: Vec<_> = refusals
                .iter()
                .filter(|r| (r.applies)(&method, op))
                .collect();
            for r in applying {
                add_codes(op, r.status, r.codes);
            }
        }
    }
}

/// A response's description is the list of its codes, `` `a`, `b` ``: merging appends the
/// ones it lacks.
fn add_codes(op: &mut Operation, status: u16, codes: &[&str]) {
    let response = op
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
                .into()
        });
    let RefOr::T(response) = response else {
        return;
    };
    for code in codes {
        let quoted = format!("`{code}`");
        if !response.description.contains(&quoted) {
            if !response.description.is_empty() {
                response.description.push_str(", ");
            }
            response.description.push_str(&quoted);
        }
    }
}
