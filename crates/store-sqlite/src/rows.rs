//! Row ⇄ domain mapping.

use rusqlite::Row;
use rusqlite::types::Value;
use sessiond_core::audit::AuditEvent;
use sessiond_core::audit_chain::{ChainLink, ChainedEvent, Digest};
use sessiond_core::time::{from_millis, to_millis};
use sessiond_core::user::{AuthMethod, User};
use sessiond_core::{ClientInfo, EndReason, Session, SessionState, Timestamp, TokenHash};
pub(crate) use sessiond_store_sql::{
    API_KEY_COLUMNS, AUDIT_COLUMNS, SESSION_COLUMNS, SIGNING_KEY_COLUMNS, USER_COLUMNS,
};

/// A domain value that failed to decode: reported as a corrupt column.
fn bad(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        what.to_owned().into(),
    )
}

fn parsed<T: std::str::FromStr>(row: &Row<'_>, col: usize, what: &str) -> rusqlite::Result<T> {
    row.get::<_, String>(col)?
        .parse()
        .map_err(|_| bad(col, what))
}

fn parsed_opt<T: std::str::FromStr>(
    row: &Row<'_>,
    col: usize,
    what: &str,
) -> rusqlite::Result<Option<T>> {
    row.get::<_, Option<String>>(col)?
        .map(|s| s.parse().map_err(|_| bad(col, what)))
        .transpose()
}

fn at(row: &Row<'_>, col: usize) -> rusqlite::Result<Timestamp> {
    row.get::<_, i64>(col).map(from_millis)
}

fn at_opt(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(col)?.map(from_millis))
}

fn hash(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<TokenHash>> {
    row.get::<_, Option<Vec<u8>>>(col)?
        .map(|b| TokenHash::from_slice(&b).ok_or_else(|| bad(col, "token hash is not 32 bytes")))
        .transpose()
}

/// Reads a row selected with `SESSION_COLUMNS`.
pub(crate) fn session(row: &Row<'_>) -> rusqlite::Result<Session> {
    let data = match serde_json::from_str(&row.get::<_, String>(23)?) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(bad(23, "session data is not a JSON object")),
    };
    Ok(Session {
        id: parsed(row, 0, "session id")?,
        user_id: parsed_opt(row, 1, "user id")?,
        username: row.get(2)?,
        role: row.get(3)?,
        token_hash: hash(row, 4)?.ok_or_else(|| bad(4, "missing token hash"))?,
        prev_token_hash: hash(row, 5)?,
        prev_token_expires_at: at_opt(row, 6)?,
        created_at: at(row, 7)?,
        last_activity: at(row, 8)?,
        idle_expires_at: at(row, 9)?,
        absolute_expires_at: at(row, 10)?,
        // 11 is `deadline`, derived from 9 and 10 for indexing.
        renewed_at: at(row, 12)?,
        state: SessionState::parse(&row.get::<_, String>(13)?)
            .ok_or_else(|| bad(13, "unknown session state"))?,
        end_reason: match row.get::<_, Option<String>>(14)? {
            Some(r) => Some(EndReason::parse(&r).ok_or_else(|| bad(14, "unknown end reason"))?),
            None => None,
        },
        ended_at: at_opt(row, 15)?,
        lookup_until: at(row, 16)?,
        client: ClientInfo {
            ip: row.get(17)?,
            user_agent: row.get(18)?,
        },
        device: row.get(19)?,
        fingerprint: row.get(20)?,
        context: row.get(21)?,
        persistent: row.get(22)?,
        data,
        version: row.get(24)?,
        display_name: row.get(25)?,
        auth_method: row.get(26)?,
        ended_by: row.get(27)?,
        end_note: row.get(28)?,
    })
}

fn text(s: &Option<String>) -> Value {
    s.clone().map_or(Value::Null, Value::Text)
}

fn int(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::Integer(to_millis(t)))
}

/// Every value of `SESSION_COLUMNS`, in order.
pub(crate) fn session_values(s: &Session) -> Vec<Value> {
    vec![
        Value::Text(s.id.to_string()),
        s.user_id
            .map_or(Value::Null, |u| Value::Text(u.to_string())),
        text(&s.username),
        text(&s.role),
        Value::Blob(s.token_hash.as_bytes().to_vec()),
        s.prev_token_hash
            .map_or(Value::Null, |h| Value::Blob(h.as_bytes().to_vec())),
        int(s.prev_token_expires_at),
        int(Some(s.created_at)),
        int(Some(s.last_activity)),
        int(Some(s.idle_expires_at)),
        int(Some(s.absolute_expires_at)),
        int(Some(s.deadline())),
        int(Some(s.renewed_at)),
        Value::Text(s.state.as_str().to_owned()),
        text(&s.end_reason.map(|r| r.as_str().to_owned())),
        int(s.ended_at),
        int(Some(s.lookup_until)),
        text(&s.client.ip),
        text(&s.client.user_agent),
        text(&s.device),
        text(&s.fingerprint),
        text(&s.context),
        Value::Integer(i64::from(s.persistent)),
        Value::Text(serde_json::Value::Object(s.data.clone()).to_string()),
        Value::Integer(s.version),
        text(&s.display_name),
        text(&s.auth_method),
        text(&s.ended_by),
        text(&s.end_note),
    ]
}

pub(crate) fn user(row: &Row<'_>) -> rusqlite::Result<User> {
    let contexts: String = row.get(7)?;
    Ok(User {
        id: parsed(row, 0, "user id")?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        role: row.get(3)?,
        auth_method: AuthMethod::parse(&row.get::<_, String>(4)?)
            .ok_or_else(|| bad(4, "unknown auth method"))?,
        password_hash: row.get(5)?,
        enabled: row.get(6)?,
        contexts: serde_json::from_str(&contexts)
            .map_err(|_| bad(7, "contexts are not a JSON list"))?,
        created_at: at(row, 8)?,
        updated_at: at(row, 9)?,
    })
}

/// Every value of `USER_COLUMNS`, in order.
pub(crate) fn user_values(u: &User) -> Vec<Value> {
    vec![
        Value::Text(u.id.to_string()),
        Value::Text(u.username.clone()),
        Value::Text(u.display_name.clone()),
        Value::Text(u.role.clone()),
        Value::Text(u.auth_method.as_str().to_owned()),
        text(&u.password_hash),
        Value::Integer(i64::from(u.enabled)),
        Value::Text(text_list(&u.contexts)),
        int(Some(u.created_at)),
        int(Some(u.updated_at)),
        Value::Text(User::username_key(&u.username)),
    ]
}

pub(crate) fn audit(row: &Row<'_>) -> rusqlite::Result<AuditEvent> {
    let details: String = row.get(7)?;
    Ok(AuditEvent {
        at: at(row, 0)?,
        event_type: row.get(1)?,
        user_id: parsed_opt(row, 2, "user id")?,
        username: row.get(3)?,
        session_id: parsed_opt(row, 4, "session id")?,
        ip: row.get(5)?,
        user_agent: row.get(6)?,
        details: serde_json::from_str(&details)
            .map_err(|_| bad(7, "audit details are not JSON"))?,
        seq: row
            .get::<_, Option<i64>>(9)?
            .map(|s| u64::try_from(s).map_err(|_| bad(9, "negative seq")))
            .transpose()?,
    })
}

fn digest(row: &Row<'_>, col: usize) -> rusqlite::Result<Digest> {
    Digest::from_slice(&row.get::<_, Vec<u8>>(col)?).ok_or_else(|| bad(col, "hash is not 32 bytes"))
}

fn seq(row: &Row<'_>, col: usize) -> rusqlite::Result<u64> {
    u64::try_from(row.get::<_, i64>(col)?).map_err(|_| bad(col, "negative seq"))
}

/// Reads `seq, hash` columns starting at `col`.
pub(crate) fn link(row: &Row<'_>, col: usize) -> rusqlite::Result<ChainLink> {
    Ok(ChainLink {
        seq: seq(row, col)?,
        hash: digest(row, col + 1)?,
    })
}

/// Reads a chained row selected with `AUDIT_COLUMNS`.
pub(crate) fn chained(row: &Row<'_>) -> rusqlite::Result<ChainedEvent> {
    Ok(ChainedEvent {
        event: audit(row)?,
        seq: seq(row, 9)?,
        prev_hash: digest(row, 10)?,
        hash: digest(row, 11)?,
    })
}

pub(crate) fn audit_values(r: &ChainedEvent) -> Vec<Value> {
    let e = &r.event;
    vec![
        int(Some(e.at)),
        Value::Text(e.event_type.clone()),
        e.user_id
            .map_or(Value::Null, |u| Value::Text(u.to_string())),
        text(&e.username),
        e.session_id
            .map_or(Value::Null, |s| Value::Text(s.to_string())),
        text(&e.ip),
        text(&e.user_agent),
        Value::Text(e.details.to_string()),
        text(&e.username.as_deref().map(User::username_key)),
        Value::Integer(r.seq as i64),
        Value::Blob(r.prev_hash.0.to_vec()),
        Value::Blob(r.hash.0.to_vec()),
    ]
}

/// Reads a row selected with `API_KEY_COLUMNS`.
pub(crate) fn api_key(row: &Row<'_>) -> rusqlite::Result<sessiond_core::api_key::ApiKey> {
    let scopes = row.get::<_, String>(2)?;
    Ok(sessiond_core::api_key::ApiKey {
        name: row.get(0)?,
        hash: hash(row, 1)?.ok_or_else(|| bad(1, "api key without a hash"))?,
        scopes: sessiond_core::api_key::scopes_from_text(&scopes)
            .ok_or_else(|| bad(2, "unknown api key scope"))?,
        created_at: at(row, 3)?,
        revoked_at: at_opt(row, 4)?,
        roles: serde_json::from_str(&row.get::<_, String>(5)?)
            .map_err(|_| bad(5, "api key roles are not a JSON list"))?,
        users: serde_json::from_str(&row.get::<_, String>(6)?)
            .map_err(|_| bad(6, "api key users are not a JSON list"))?,
    })
}

/// Reads a row selected with `SIGNING_KEY_COLUMNS`.
pub(crate) fn signing_key(
    row: &Row<'_>,
) -> rusqlite::Result<sessiond_core::access_token::SealedKey> {
    Ok(sessiond_core::access_token::SealedKey {
        kid: row.get(0)?,
        sealed: row.get(1)?,
        created_at: at(row, 2)?,
    })
}

/// The values of `SIGNING_KEY_COLUMNS`, in order.
pub(crate) fn signing_key_values(k: &sessiond_core::access_token::SealedKey) -> Vec<Value> {
    vec![
        Value::Text(k.kid.clone()),
        Value::Blob(k.sealed.clone()),
        Value::Integer(to_millis(k.created_at)),
    ]
}

/// The values of `API_KEY_COLUMNS`, in order.
pub(crate) fn api_key_values(k: &sessiond_core::api_key::ApiKey) -> Vec<Value> {
    vec![
        Value::Text(k.name.clone()),
        Value::Blob(k.hash.as_bytes().to_vec()),
        Value::Text(sessiond_core::api_key::scopes_to_text(&k.scopes)),
        Value::Integer(to_millis(k.created_at)),
        k.revoked_at
            .map_or(Value::Null, |t| Value::Integer(to_millis(t))),
        Value::Text(text_list(&k.roles)),
        Value::Text(text_list(&k.users)),
    ]
}

/// A list of names as the JSON text its column holds.
pub(crate) fn text_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}
