//! Row ⇄ domain mapping.

use sessiond_core::audit::AuditEvent;
use sessiond_core::time::from_millis;
use sessiond_core::user::{AuthMethod, User};
use sessiond_core::{ClientInfo, Session, SessionState, StoreError, TokenHash};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> Result<T, StoreError> {
    row.try_get(col).map_err(crate::store_error)
}

fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(what))
}

fn hash(bytes: &[u8]) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes).ok_or_else(|| corrupt("token hash is not 32 bytes"))
}

pub fn session(row: &SqliteRow) -> Result<Session, StoreError> {
    let user_id: Option<String> = get(row, "user_id")?;
    let prev: Option<Vec<u8>> = get(row, "prev_token_hash")?;
    let state: String = get(row, "state")?;
    let data: String = get(row, "data")?;
    let data = match serde_json::from_str(&data) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(corrupt("session data is not a JSON object")),
    };
    Ok(Session {
        id: parse(&get::<String>(row, "id")?, "session id")?,
        user_id: user_id.map(|u| parse(&u, "user id")).transpose()?,
        username: get(row, "username")?,
        role: get(row, "role")?,
        token_hash: hash(&get::<Vec<u8>>(row, "token_hash")?)?,
        prev_token_hash: prev.map(|p| hash(&p)).transpose()?,
        prev_token_expires_at: get::<Option<i64>>(row, "prev_token_expires_at")?.map(from_millis),
        created_at: from_millis(get(row, "created_at")?),
        last_activity: from_millis(get(row, "last_activity")?),
        idle_expires_at: from_millis(get(row, "idle_expires_at")?),
        absolute_expires_at: from_millis(get(row, "absolute_expires_at")?),
        renewed_at: from_millis(get(row, "renewed_at")?),
        state: SessionState::parse(&state).ok_or_else(|| corrupt("unknown session state"))?,
        end_reason: get(row, "end_reason")?,
        ended_at: get::<Option<i64>>(row, "ended_at")?.map(from_millis),
        lookup_until: from_millis(get(row, "lookup_until")?),
        client: ClientInfo {
            ip: get(row, "client_ip")?,
            user_agent: get(row, "user_agent")?,
        },
        device: get(row, "device")?,
        fingerprint: get(row, "fingerprint")?,
        context: get(row, "context")?,
        persistent: get(row, "persistent")?,
        data,
        version: get(row, "version")?,
    })
}

pub fn user(row: &SqliteRow) -> Result<User, StoreError> {
    let contexts: String = get(row, "contexts")?;
    let method: String = get(row, "auth_method")?;
    Ok(User {
        id: parse(&get::<String>(row, "id")?, "user id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        role: get(row, "role")?,
        auth_method: AuthMethod::parse(&method).ok_or_else(|| corrupt("unknown auth method"))?,
        password_hash: get(row, "password_hash")?,
        enabled: get(row, "enabled")?,
        contexts: serde_json::from_str(&contexts)
            .map_err(|_| corrupt("contexts are not a JSON list"))?,
        created_at: from_millis(get(row, "created_at")?),
        updated_at: from_millis(get(row, "updated_at")?),
    })
}

pub fn audit(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    let user_id: Option<String> = get(row, "user_id")?;
    let session_id: Option<String> = get(row, "session_id")?;
    let details: String = get(row, "details")?;
    Ok(AuditEvent {
        at: from_millis(get(row, "at")?),
        event_type: get(row, "event_type")?,
        user_id: user_id.map(|u| parse(&u, "user id")).transpose()?,
        username: get(row, "username")?,
        session_id: session_id.map(|s| parse(&s, "session id")).transpose()?,
        ip: get(row, "ip")?,
        user_agent: get(row, "user_agent")?,
        details: serde_json::from_str(&details)
            .map_err(|_| corrupt("audit details are not JSON"))?,
    })
}
