//! `sessiond audit list`, `sessiond audit verify`, `sessiond audit head`.

use std::path::Path;

use anyhow::bail;
use clap::Subcommand;
use sessiond_core::audit::{AuditKind, AuditQuery};
use sessiond_core::audit_chain::ChainLink;
use sessiond_core::{SessionId, Timestamp};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show audit events, newest first.
    List {
        /// Only events of this user (any letter case).
        #[arg(long)]
        user: Option<String>,
        /// Only events of this public session id.
        #[arg(long)]
        session: Option<String>,
        /// Only events since this instant (RFC 3339, e.g. 2026-11-23T10:00:00Z) or this long
        /// ago (30m, 2h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only events of this type (repeat for several). Seed 000's `SESSION_EXPIRED` finds
        /// both `SESSION_EXPIRED_IDLE` and `SESSION_EXPIRED_ABSOLUTE`.
        #[arg(long = "event", value_name = "TYPE", long_help = event_help())]
        events: Vec<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check the audit hash chain from its base to its head and name the first broken link
    /// (a changed, deleted or reordered record, or a cut tail, or records deleted before
    /// SESSION_AUDIT_RETENTION_DAYS would have). Exits 1 when it is broken.
    Verify {
        /// A `SEQ:HASH` taken earlier (`sessiond audit head`, or the `audit chain head` log line
        /// of cleanup) and kept outside the store: the chain must still pass through it. Repeat
        /// for several.
        #[arg(long = "anchor", value_name = "SEQ:HASH")]
        anchors: Vec<ChainLink>,
    },
    /// Print the chain's head as `SEQ:HASH`, to keep outside the store as an anchor.
    Head,
}

fn event_help() -> String {
    let names: Vec<_> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
    format!(
        "Only events of this type (repeat for several), in any letter case: {}. Seed 000's \
         SESSION_EXPIRED finds both SESSION_EXPIRED_IDLE and SESSION_EXPIRED_ABSOLUTE.",
        names.join(", ")
    )
}

/// The stored types `--event` names; an unknown name is refused with the list, rather than
/// matching nothing.
fn event_types(events: &[String]) -> anyhow::Result<Vec<String>> {
    let mut types = Vec::new();
    for name in events {
        let matching = AuditKind::matching(name);
        if !matching
            .iter()
            .all(|m| AuditKind::ALL.iter().any(|k| k.as_str() == m))
        {
            let names: Vec<_> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
            bail!(
                "--event {name:?}: no such event type; the types are {}",
                names.join(", ")
            );
        }
        types.extend(matching);
    }
    Ok(types)
}

/// An RFC 3339 instant, or a span back from `now` such as `90s`, `30m`, `2h`, `7d`.
pub fn parse_since(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| anyhow::anyhow!("--since {text:?}: expected RFC 3339 or 30m/2h/7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("--since {text:?}: the unit must be s, m, h or d"),
    };
    Ok(sessiond_core::time::plus_secs(now, -secs))
}

pub async fn run(env_file: &Path, cmd: AuditCommand) -> anyhow::Result<()> {
    let (_, state) = super::tool_state(env_file, super::Reach::Existing).await?;
    let admin = state.service.admin();
    match cmd {
        AuditCommand::List {
            user,
            session,
            since,
            events,
            limit,
            json,
        } => {
            let event_types = event_types(&events)?;
            list(&state, user, session, since, event_types, limit, json).await
        }
        AuditCommand::Head => {
            println!("{}", admin.audit_head().await?);
            Ok(())
        }
        AuditCommand::Verify { anchors } => {
            let now = state.service.now();
            let days = state.service.settings().cleanup.audit_retention_days;
            let oldest_kept = sessiond_core::time::plus_secs(now, -days.saturating_mul(86_400));
            verify(admin, anchors, oldest_kept).await
        }
    }
}

async fn verify(
    admin: sessiond_core::service::Admin<'_>,
    anchors: Vec<ChainLink>,
    oldest_kept: Timestamp,
) -> anyhow::Result<()> {
    match admin.verify_audit(anchors, Some(oldest_kept)).await? {
        Ok(v) => {
            println!(
                "audit chain intact: {} records from {} to {}, {} anchors matched",
                v.records,
                v.base.seq + 1,
                v.head.seq,
                v.anchors_checked,
            );
            println!("head {}", v.head);
            if v.base.seq > 0 && v.base_at.is_none() {
                println!(
                    "note: the chain's base (record {}) has no recorded time: it was moved before \
                     sessiond recorded one, or by hand. Only an anchor taken before shows \
                     whether records inside the retention window were deleted",
                    v.base.seq
                );
            }
            Ok(())
        }
        Err(broken) => bail!("audit chain broken: {broken}"),
    }
}

async fn list(
    state: &sessiond_http::AppState,
    user: Option<String>,
    session: Option<String>,
    since: Option<String>,
    event_types: Vec<String>,
    limit: u32,
    json: bool,
) -> anyhow::Result<()> {
    let session_id = match session {
        Some(s) => Some(
            s.parse::<SessionId>()
                .map_err(|_| anyhow::anyhow!("--session {s:?} is not a session id"))?,
        ),
        None => None,
    };
    let since = since
        .map(|s| parse_since(&s, state.service.now()))
        .transpose()?;
    let query = AuditQuery {
        username: user,
        session_id,
        since,
        event_types,
        limit: limit.clamp(1, 10_000),
        ..AuditQuery::default()
    };
    let events = state.service.admin().audit_events(&query).await?;
    if !json {
        println!("{}", header_line());
    }
    for e in events {
        if json {
            let mut value = serde_json::to_value(&e)?;
            if e.seq.is_none() {
                value["outside_chain"] = true.into();
            }
            println!("{value}");
        } else {
            println!("{}", render_line(&e));
        }
    }
    Ok(())
}

/// One audit event as one line of text. Every field a client could choose (username, user
/// agent, details) has its control characters escaped, so a CR/LF, an ANSI escape or a line
/// separator cannot forge a second line or repaint the terminal (docs/security.md row 47).
/// A record outside the hash chain (no `seq`: sessiond did not write it, or it predates the
/// chain) is marked `!` in the first column; `audit verify` reports such records.
/// The table's header, over the columns of [`render_line`].
fn header_line() -> String {
    format!(
        "  {:<24}  {:<24} {:<16} {:<36} {:<15} DETAILS",
        "AT (UTC)", "EVENT", "USER", "SESSION", "IP"
    )
}

pub fn render_line(e: &sessiond_core::audit::AuditEvent) -> String {
    format!(
        "{} {:<24}  {:<24} {:<16} {:<36} {:<15} {}",
        if e.seq.is_some() { ' ' } else { '!' },
        e.at.to_string(),
        printable(&e.event_type),
        printable(e.username.as_deref().unwrap_or("-")),
        e.session_id
            .map_or_else(|| "-".to_owned(), |s| s.to_string()),
        printable(e.ip.as_deref().unwrap_or("-")),
        printable(&e.details.to_string())
    )
}

fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessiond_core::{Clock, ManualClock};

    #[test]
    fn event_types_are_checked_and_the_seeds_name_finds_both_timeouts() {
        assert_eq!(
            event_types(&["login_success".into()]).unwrap(),
            vec!["LOGIN_SUCCESS"]
        );
        assert_eq!(event_types(&["SESSION_EXPIRED".into()]).unwrap().len(), 2);
        let refused = event_types(&["LOGIN_SUCESS".into()])
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("no such event type") && refused.contains("LOGIN_FAILED"),
            "{refused}"
        );
        assert!(event_help().contains("USER_DELETED"));
        let readme = include_str!("../../../../README.md");
        for k in AuditKind::ALL {
            assert!(
                readme.contains(&format!("`{}`", k.as_str())),
                "README lacks {k:?}"
            );
        }
    }

    #[test]
    fn since_accepts_instants_and_spans() {
        let now = ManualClock::at_epoch().now();
        assert_eq!(
            parse_since("2h", now).unwrap(),
            sessiond_core::time::plus_secs(now, -7200)
        );
        assert_eq!(parse_since("2030-01-01T00:00:00Z", now).unwrap(), now);
        assert!(parse_since("soon", now).is_err());
        assert!(parse_since("5y", now).is_err());
    }
}
