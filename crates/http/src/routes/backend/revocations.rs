//! `GET /api/v1/revocations`: the sessions that ended other than by a timeout, since a cursor,
//! for a resource server that verifies access tokens itself and wants to refuse a revoked
//! session's tokens before they expire (docs/api.md, "Revocations").

use std::borrow::Cow;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use sessiond_core::service::{FeedCursor, Read};
use sessiond_core::{SessionId, Timestamp};

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::body::ErrorBody;
use crate::error::ApiError;
use crate::extract::ApiCaller;
use crate::state::AppState;

/// The longest page; also the default.
const MAX_PAGE: u32 = 1000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevocationsQuery {
    /// The `next` of the previous page (decimal digits), or an RFC 3339 instant; absent: from
    /// the oldest.
    #[param(value_type = Option<Cursor>, inline)]
    since: Option<String>,
    /// At most this many; absent: 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// What `since` may be, for the document: a cursor or an instant.
pub struct Cursor;

impl utoipa::PartialSchema for Cursor {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(format!("^[0-9]{{1,{MAX_CURSOR_DIGITS}}}$"))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .into()
    }
}

impl utoipa::ToSchema for Cursor {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RevocationsCursor")
    }
}

/// A cursor fits in a u64 with room to spare.
const MAX_CURSOR_DIGITS: usize = 19;

/// One ended session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RevocationItem {
    pub session_id: String,
    pub user_id: Option<String>,
    pub ended_at: Timestamp,
    /// What its tokens are refused with now: the 401 `code`, `logged_out`, `revoked` or
    /// `evicted` (docs/api.md, "End codes").
    pub code: &'static str,
    /// Why, in more detail: `user_logout`, `password_changed`, `token_reuse`, ... Each reason
    /// has one code (docs/api.md, "Revocations").
    pub reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevocationsBody {
    pub revocations: Vec<RevocationItem>,
    /// The `since` of the next call.
    pub next: String,
}

/// A cursor is a place in the feed, in decimal digits; or an RFC 3339 instant. A cursor of
/// the feed by end time (`1733221234567.<uuid>`, before the feed went by commit order) reads
/// as its instant: the next page may repeat ends, and skips none.
fn parse_since(raw: &str) -> Option<FeedCursor> {
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return (raw.len() <= MAX_CURSOR_DIGITS)
            .then(|| raw.parse().ok().map(FeedCursor::After))
            .flatten();
    }
    if let Ok(at) = raw.parse::<Timestamp>() {
        return Some(FeedCursor::Since(at));
    }
    let (millis, id) = raw.split_once('.')?;
    id.parse::<SessionId>().ok()?;
    let at = Timestamp::from_millisecond(millis.parse().ok()?).ok()?;
    Some(FeedCursor::Since(at))
}

fn cursor_text(cursor: FeedCursor) -> String {
    match cursor {
        FeedCursor::After(seq) => seq.to_string(),
        FeedCursor::Since(at) => at.to_string(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/revocations",
    tag = "backend",
    params(RevocationsQuery),
    responses(
        (status = 200, description = "Sessions ended since the cursor (timeouts left out), oldest first", body = RevocationsBody),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn revocations(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<RevocationsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RevocationsBody>, ApiError> {
    let api = caller.gate::<Read>(&state, "revocations").await?;
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request("invalid_request", "since and limit are the only parameters")
    })?;
    let cursor = match query.since.as_deref() {
        None => FeedCursor::After(0),
        Some(raw) => parse_since(raw).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_request",
                "since must be a previous answer's next, or an RFC 3339 instant",
            )
        })?,
    };
    let limit = query.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_request",
            "limit must be 1 to 1000",
        ));
    }
    let (revoked, next) = api.revocations(cursor, limit).await?;
    Ok(Json(RevocationsBody {
        revocations: revoked
            .into_iter()
            .map(|r| RevocationItem {
                session_id: r.session_id.to_string(),
                user_id: r.user_id.map(|u| u.to_string()),
                ended_at: r.ended_at,
                code: r.code.as_str(),
                reason: r.reason.map(|r| r.as_str().to_owned()),
            })
            .collect(),
        next: cursor_text(next),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_garbage_is_refused() {
        let at = Timestamp::from_millisecond(1_733_221_234_567).unwrap();
        for cursor in [
            FeedCursor::After(0),
            FeedCursor::After(42),
            FeedCursor::Since(at),
        ] {
            assert_eq!(parse_since(&cursor_text(cursor)), Some(cursor));
        }
        assert_eq!(
            parse_since("1733221234567.01938a2e-7c3b-7e2a-9a5e-0c6b1f2a3b4c"),
            Some(FeedCursor::Since(at)),
            "a cursor of the feed by end time reads as its instant"
        );
        for bad in [
            "",
            "x",
            "12.x",
            "-1",
            "99999999999999999999999",
            "x.01938a2e-7c3b-7e2a-9a5e-0c6b1f2a3b4c",
            "1e99.0",
        ] {
            assert_eq!(parse_since(bad), None, "{bad}");
        }
    }
}
