//! The admin list's query (`Listing::sessions_before`) in either dialect: the filter's columns
//! in the `WHERE`, newest first by `(created_at, id)` from the `sessions_by_created` index.
//! A network is not SQL both dialects share, so the store keeps the rows that
//! [`SessionFilter::matches`] and goes on from the last row it read.

use sessiond_core::SessionState;
use sessiond_core::store::{ListKey, SessionFilter, StateFilter};
use sessiond_core::time::to_millis;

use crate::{Params, SESSION_COLUMNS};

/// A value bound to the query.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(i64),
    Text(String),
}

/// The statement and its values, in order.
pub fn session_list(
    p: Params,
    f: &SessionFilter,
    before: Option<ListKey>,
    limit: u32,
) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    let bind = |args: &mut Vec<Arg>, v: Arg| {
        args.push(v);
        format!("{}{}", p.mark(), args.len())
    };
    let now = || Arg::Int(to_millis(f.now));
    match f.state {
        StateFilter::Any => {}
        StateFilter::Live => {
            let n = bind(&mut args, now());
            conds.push(format!("state = 'active' AND deadline > {n}"));
        }
        StateFilter::Ended => {
            let n = bind(&mut args, now());
            conds.push(format!("(state <> 'active' OR deadline <= {n})"));
        }
        StateFilter::Is(state) => {
            let s = bind(&mut args, Arg::Text(state_name(state)));
            conds.push(format!("state = {s}"));
        }
    }
    let texts = [
        ("user_id", f.user.map(|u| u.to_string())),
        ("context", f.context.clone()),
        ("role", f.role.clone()),
    ];
    for (column, value) in texts {
        if let Some(v) = value {
            let m = bind(&mut args, Arg::Text(v));
            conds.push(format!("{column} = {m}"));
        }
    }
    let ranges = [
        ("created_at", ">=", f.created_from),
        ("created_at", "<", f.created_until),
        ("last_activity", ">=", f.active_from),
        ("last_activity", "<", f.active_until),
    ];
    for (column, op, at) in ranges {
        if let Some(at) = at {
            let m = bind(&mut args, Arg::Int(to_millis(at)));
            conds.push(format!("{column} {op} {m}"));
        }
    }
    if let Some(key) = before {
        let t = bind(&mut args, Arg::Int(to_millis(key.created_at)));
        let id = bind(&mut args, Arg::Text(key.id.to_string()));
        // A row value, which both dialects match against the `(created_at, id)` index: the
        // same condition spelled with OR makes PostgreSQL walk the index from its newest end.
        conds.push(format!("(created_at, id) < ({t}, {id})"));
    }
    let limit = bind(&mut args, Arg::Int(i64::from(limit)));
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions {clause} ORDER BY created_at DESC, id DESC LIMIT {limit}"
    );
    (sql, args)
}

fn state_name(s: SessionState) -> String {
    s.as_str().to_owned()
}

/// The tallies' rows (`session_tally`, `tally_users`).
pub const TALLY_ROWS: &str = "SELECT state, role, context, n FROM session_tally WHERE n > 0";
pub const TALLY_USERS: &str = "SELECT n FROM tally_users WHERE id = 1";

/// One `session_tally` row, its empty role and context read as none.
pub fn tally(
    state: &str,
    role: String,
    context: String,
    n: i64,
) -> Option<sessiond_core::store::Tally> {
    Some(sessiond_core::store::Tally {
        state: SessionState::parse(state)?,
        role: (!role.is_empty()).then_some(role),
        context: (!context.is_empty()).then_some(context),
        n: u64::try_from(n).unwrap_or(0),
    })
}
