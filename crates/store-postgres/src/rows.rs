//! Row ⇄ domain mapping. The column lists match the ones of the SQLite store, so both stores
//! keep the same shape of data.

use sessiond_core::audit::AuditEvent;
use sessiond_core::audit_chain::{ChainLink, ChainedEvent, Digest};
use sessiond_core::time::{from_millis, to_millis};
use sessiond_core::user::{AuthMethod, User};
use sessiond_core::{
    ClientInfo, EndReason, Session, SessionState, StoreError, Timestamp, TokenHash,
};
pub(crate) use sessiond_store_sql::{
    API_KEY_COLUMNS, AUDIT_COLUMNS, SESSION_COLUMNS, SIGNING_KEY_COLUMNS, USER_COLUMNS,
};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};

pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

pub(crate) fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

fn corrupt(col: usize, what: &str) -> StoreError {
    StoreError::corrupt(format!("column {col}: {what}"))
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, col: usize) -> Result<T, StoreError> {
    row.try_get(col).map_err(|e| corrupt(col, &e.to_string()))
}

fn parsed<T: std::str::FromStr>(row: &Row, col: usize, what: &str) -> Result<T, StoreError> {
    get::<String>(row, col)?
        .parse()
        .map_err(|_| corrupt(col, what))
}

fn parsed_opt<T: std::str::FromStr>(
    row: &Row,
    col: usize,
    what: &str,
) -> Result<Option<T>, StoreError> {
    get::<Option<String>>(row, col)?
        .map(|s| s.parse().map_err(|_| corrupt(col, what)))
        .transpose()
}

fn at(row: &Row, col: usize) -> Result<Timestamp, StoreError> {
    get::<i64>(row, col).map(from_millis)
}

fn at_opt(row: &Row, col: usize) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, col)?.map(from_millis))
}

fn hash(row: &Row, col: usize) -> Result<Option<TokenHash>, StoreError> {
    get::<Option<Vec<u8>>>(row, col)?
        .map(|b| {
            TokenHash::from_slice(&b).ok_or_else(|| corrupt(col, "token hash is not 32 bytes"))
        })
        .transpose()
}

/// Reads a row selected with `SESSION_COLUMNS`.
pub(crate) fn session(row: &Row) -> Result<Session, StoreError> {
    let data = match serde_json::from_str(&get::<String>(row, 23)?) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(corrupt(23, "session data is not a JSON object")),
    };
    Ok(Session {
        id: parsed(row, 0, "session id")?,
        user_id: parsed_opt(row, 1, "user id")?,
        username: get(row, 2)?,
        role: get(row, 3)?,
        token_hash: hash(row, 4)?.ok_or_else(|| corrupt(4, "missing token hash"))?,
        prev_token_hash: hash(row, 5)?,
        prev_token_expires_at: at_opt(row, 6)?,
        created_at: at(row, 7)?,
        last_activity: at(row, 8)?,
        idle_expires_at: at(row, 9)?,
        absolute_expires_at: at(row, 10)?,
        // 11 is `deadline`, derived from 9 and 10 for indexing.
        renewed_at: at(row, 12)?,
        state: SessionState::parse(&get::<String>(row, 13)?)
            .ok_or_else(|| corrupt(13, "unknown session state"))?,
        end_reason: match get::<Option<String>>(row, 14)? {
            Some(r) => Some(EndReason::parse(&r).ok_or_else(|| corrupt(14, "unknown end reason"))?),
            None => None,
        },
        ended_at: at_opt(row, 15)?,
        lookup_until: at(row, 16)?,
        client: ClientInfo {
            ip: get(row, 17)?,
            user_agent: get(row, 18)?,
        },
        device: get(row, 19)?,
        fingerprint: get(row, 20)?,
        context: get(row, 21)?,
        persistent: get(row, 22)?,
        data,
        version: get(row, 24)?,
        display_name: get(row, 25)?,
        auth_method: get(row, 26)?,
        ended_by: get(row, 27)?,
        end_note: get(row, 28)?,
    })
}

fn ms(t: Timestamp) -> Param {
    Box::new(to_millis(t))
}

/// Every value of `SESSION_COLUMNS`, in order.
pub(crate) fn session_params(s: &Session) -> Vec<Param> {
    vec![
        Box::new(s.id.to_string()),
        Box::new(s.user_id.map(|u| u.to_string())),
        Box::new(s.username.clone()),
        Box::new(s.role.clone()),
        Box::new(s.token_hash.as_bytes().to_vec()),
        Box::new(s.prev_token_hash.map(|h| h.as_bytes().to_vec())),
        Box::new(s.prev_token_expires_at.map(to_millis)),
        ms(s.created_at),
        ms(s.last_activity),
        ms(s.idle_expires_at),
        ms(s.absolute_expires_at),
        ms(s.deadline()),
        ms(s.renewed_at),
        Box::new(s.state.as_str().to_owned()),
        Box::new(s.end_reason.map(|r| r.as_str().to_owned())),
        Box::new(s.ended_at.map(to_millis)),
        ms(s.lookup_until),
        Box::new(s.client.ip.clone()),
        Box::new(s.client.user_agent.clone()),
        Box::new(s.device.clone()),
        Box::new(s.fingerprint.clone()),
        Box::new(s.context.clone()),
        Box::new(s.persistent),
        Box::new(serde_json::Value::Object(s.data.clone()).to_string()),
        Box::new(s.version),
        Box::new(s.display_name.clone()),
        Box::new(s.auth_method.clone()),
        Box::new(s.ended_by.clone()),
        Box::new(s.end_note.clone()),
    ]
}

pub(crate) fn user(row: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: parsed(row, 0, "user id")?,
        username: get(row, 1)?,
        display_name: get(row, 2)?,
        role: get(row, 3)?,
        auth_method: AuthMethod::parse(&get::<String>(row, 4)?)
            .ok_or_else(|| corrupt(4, "unknown auth method"))?,
        password_hash: get(row, 5)?,
        enabled: get(row, 6)?,
        contexts: serde_json::from_str(&get::<String>(row, 7)?)
            .map_err(|_| corrupt(7, "contexts are not a JSON list"))?,
        created_at: at(row, 8)?,
        updated_at: at(row, 9)?,
    })
}

/// Every value of `USER_COLUMNS`, in order.
pub(crate) fn user_params(u: &User) -> Vec<Param> {
    vec![
        Box::new(u.id.to_string()),
        Box::new(u.username.clone()),
        Box::new(u.display_name.clone()),
        Box::new(u.role.clone()),
        Box::new(u.auth_method.as_str().to_owned()),
        Box::new(u.password_hash.clone()),
        Box::new(u.enabled),
        Box::new(text_list(&u.contexts)),
        ms(u.created_at),
        ms(u.updated_at),
        Box::new(User::username_key(&u.username)),
    ]
}

pub(crate) fn audit(row: &Row) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        at: at(row, 0)?,
        event_type: get(row, 1)?,
        user_id: parsed_opt(row, 2, "user id")?,
        username: get(row, 3)?,
        session_id: parsed_opt(row, 4, "session id")?,
        ip: get(row, 5)?,
        user_agent: get(row, 6)?,
        details: serde_json::from_str(&get::<String>(row, 7)?)
            .map_err(|_| corrupt(7, "audit details are not JSON"))?,
        seq: get::<Option<i64>>(row, 9)?
            .map(|s| u64::try_from(s).map_err(|_| corrupt(9, "negative seq")))
            .transpose()?,
    })
}

pub(crate) fn audit_params(e: &AuditEvent) -> Vec<Param> {
    vec![
        ms(e.at),
        Box::new(e.event_type.clone()),
        Box::new(e.user_id.map(|u| u.to_string())),
        Box::new(e.username.clone()),
        Box::new(e.session_id.map(|s| s.to_string())),
        Box::new(e.ip.clone()),
        Box::new(e.user_agent.clone()),
        Box::new(e.details.to_string()),
        Box::new(e.username.as_deref().map(User::username_key)),
    ]
}

fn digest(row: &Row, col: usize) -> Result<Digest, StoreError> {
    Digest::from_slice(&get::<Vec<u8>>(row, col)?)
        .ok_or_else(|| corrupt(col, "hash is not 32 bytes"))
}

fn seq(row: &Row, col: usize) -> Result<u64, StoreError> {
    u64::try_from(get::<i64>(row, col)?).map_err(|_| corrupt(col, "negative seq"))
}

/// Reads `seq, hash` columns starting at `col`.
pub(crate) fn link(row: &Row, col: usize) -> Result<ChainLink, StoreError> {
    Ok(ChainLink {
        seq: seq(row, col)?,
        hash: digest(row, col + 1)?,
    })
}

/// The twelve values of `AUDIT_COLUMNS` for a linked record.
pub(crate) fn chained_params(r: &ChainedEvent) -> Vec<Param> {
    let mut params = audit_params(&r.event);
    params.push(Box::new(i64::try_from(r.seq).unwrap_or(i64::MAX)));
    params.push(Box::new(r.prev_hash.0.to_vec()));
    params.push(Box::new(r.hash.0.to_vec()));
    params
}

/// Reads a chained row selected with `AUDIT_COLUMNS`.
pub(crate) fn chained(row: &Row) -> Result<ChainedEvent, StoreError> {
    Ok(ChainedEvent {
        event: audit(row)?,
        seq: seq(row, 9)?,
        prev_hash: digest(row, 10)?,
        hash: digest(row, 11)?,
    })
}

/// Reads a row selected with `API_KEY_COLUMNS`.
pub(crate) fn api_key(row: &Row) -> Result<sessiond_core::api_key::ApiKey, StoreError> {
    Ok(sessiond_core::api_key::ApiKey {
        name: get(row, 0)?,
        hash: hash(row, 1)?.ok_or_else(|| corrupt(1, "api key without a hash"))?,
        scopes: sessiond_core::api_key::scopes_from_text(&get::<String>(row, 2)?)
            .ok_or_else(|| corrupt(2, "unknown api key scope"))?,
        created_at: at(row, 3)?,
        revoked_at: at_opt(row, 4)?,
        roles: serde_json::from_str(&get::<String>(row, 5)?)
            .map_err(|_| corrupt(5, "api key roles are not a JSON list"))?,
        users: serde_json::from_str(&get::<String>(row, 6)?)
            .map_err(|_| corrupt(6, "api key users are not a JSON list"))?,
    })
}

/// Reads a row selected with `SIGNING_KEY_COLUMNS`.
pub(crate) fn signing_key(row: &Row) -> Result<sessiond_core::access_token::SealedKey, StoreError> {
    Ok(sessiond_core::access_token::SealedKey {
        kid: get(row, 0)?,
        sealed: get(row, 1)?,
        created_at: at(row, 2)?,
    })
}

/// The parameters of `SIGNING_KEY_COLUMNS`, in order.
pub(crate) fn signing_key_params(k: &sessiond_core::access_token::SealedKey) -> Vec<Param> {
    vec![
        Box::new(k.kid.clone()),
        Box::new(k.sealed.clone()),
        Box::new(to_millis(k.created_at)),
    ]
}

/// The parameters of `API_KEY_COLUMNS`, in order.
pub(crate) fn api_key_params(k: &sessiond_core::api_key::ApiKey) -> Vec<Param> {
    vec![
        Box::new(k.name.clone()),
        Box::new(k.hash.as_bytes().to_vec()),
        Box::new(sessiond_core::api_key::scopes_to_text(&k.scopes)),
        Box::new(to_millis(k.created_at)),
        Box::new(k.revoked_at.map(to_millis)),
        Box::new(text_list(&k.roles)),
        Box::new(text_list(&k.users)),
    ]
}

/// A list of names as the JSON text its column holds.
pub(crate) fn text_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}
