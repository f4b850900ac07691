//! `GET /.well-known/jwks.json`: the public keys that verify sessiond's access tokens (RFC 7517,
//! RFC 8037), for resource servers and their JWT libraries. docs/api.md, "Access token keys".

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// One key: Ed25519, for signatures.
#[derive(Serialize, ToSchema)]
pub struct JwkBody {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The `kid` of the tokens it verifies.
    pub kid: String,
    /// The public key, base64url.
    pub x: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `EdDSA`.
    pub alg: String,
}

/// The document.
#[derive(Serialize, ToSchema)]
pub struct JwksBody {
    /// The key that signs, a newer one published ahead of signing, and every older key whose
    /// tokens may still be valid.
    pub keys: Vec<JwkBody>,
}

/// The keys, made on the first request when there are none yet.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "operations",
    operation_id = "jwks",
    responses(
        (status = 200, description = "The access tokens' public keys", body = JwksBody),
    )
)]
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state
        .service
        .tokens()
        .jwks()
        .await?
        .into_iter()
        .map(|k| JwkBody {
            kty: k.kty,
            crv: k.crv,
            kid: k.kid,
            x: k.x,
            use_: k.use_,
            alg: k.alg,
        })
        .collect();
    // A resource server may keep it as long as a new key is published before it signs, so a
    // cached copy always holds the key of every token it can meet; a replaced key stays listed
    // for an access token's lifetime, far longer.
    let max_age = sessiond_core::service::PUBLISH_AHEAD_SECS;
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
    Ok(([(header::CACHE_CONTROL, cache)], Json(JwksBody { keys })).into_response())
}
