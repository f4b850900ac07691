//! Which sessions the admin list asks for (docs/api.md, "Admin API"), and where a page of it
//! starts. Every store answers the same filter: the SQL stores in their `WHERE`, the others by
//! [`SessionFilter::matches`], which is the rule the SQL must agree with (the conformance
//! clauses hold both to it).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::ids::{SessionId, UserId};
use crate::session::{Session, SessionState};
use crate::time::Timestamp;

/// The states a list asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateFilter {
    /// Every session, live or ended.
    #[default]
    Any,
    /// Active and before both deadlines at the filter's `now`.
    Live,
    /// Ended, or past a deadline and waiting to be marked so.
    Ended,
    /// Stored with exactly this end state (`expired`, `revoked`, ...).
    Is(SessionState),
}

/// An admin's search. Every field left `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionFilter {
    /// The instant `Live` and `Ended` are judged at.
    pub now: Timestamp,
    /// Only this user's sessions.
    pub user: Option<UserId>,
    /// Only sessions in these states.
    pub state: StateFilter,
    /// Only sessions whose client address is in this network (an address is a /32 or /128).
    pub network: Option<IpNet>,
    /// Only sessions in this platform context.
    pub context: Option<String>,
    /// Only sessions of this role.
    pub role: Option<String>,
    /// Only sessions created at or after this instant.
    pub created_from: Option<Timestamp>,
    /// Only sessions created before this instant.
    pub created_until: Option<Timestamp>,
    /// Only sessions last active at or after this instant.
    pub active_from: Option<Timestamp>,
    /// Only sessions last active before this instant.
    pub active_until: Option<Timestamp>,
}

impl SessionFilter {
    /// Whether `s` is one the filter asks for.
    pub fn matches(&self, s: &Session) -> bool {
        let live = s.is_active_at(self.now);
        let state = match self.state {
            StateFilter::Any => true,
            StateFilter::Live => live,
            StateFilter::Ended => !live,
            StateFilter::Is(state) => s.state == state,
        };
        let within = |t: Timestamp, from: Option<Timestamp>, until: Option<Timestamp>| {
            from.is_none_or(|f| t >= f) && until.is_none_or(|u| t < u)
        };
        state
            && self.user.is_none_or(|u| s.user_id == Some(u))
            && self.network.is_none_or(|n| in_network(s, &n))
            && self
                .context
                .as_ref()
                .is_none_or(|c| s.context.as_ref() == Some(c))
            && self
                .role
                .as_ref()
                .is_none_or(|r| s.role.as_ref() == Some(r))
            && within(s.created_at, self.created_from, self.created_until)
            && within(s.last_activity, self.active_from, self.active_until)
    }
}

/// Whether the session's client address is in `net`; one without an address is in none.
fn in_network(s: &Session, net: &IpNet) -> bool {
    s.client
        .ip
        .as_deref()
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .is_some_and(|ip| net.contains(&ip))
}

/// A session's place in the admin list: newest first, by creation time and then id (both
/// never change, so a page boundary stays where it was while sessions come and go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListKey {
    /// When the session began.
    pub created_at: Timestamp,
    /// Its id, which breaks ties in the same millisecond.
    pub id: SessionId,
}

impl ListKey {
    /// The place of `s`.
    pub fn of(s: &Session) -> Self {
        Self {
            created_at: s.created_at,
            id: s.id,
        }
    }

    /// The opaque form a client passes back as `cursor`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at.as_millisecond(), self.id)
    }

    /// From [`Self::encode`]'s form; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let (ms, id) = text.split_once('.')?;
        Some(Self {
            created_at: Timestamp::from_millisecond(ms.parse().ok()?).ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// What a store answers for one page of the list: the matching sessions, newest first, and the
/// key of the last session it looked at when it stopped before the end of the list (`None`
/// when it reached it). A store may look at a bounded number of sessions per page and return
/// fewer than asked, so a search that matches rarely costs bounded work per page; the next
/// page goes on from where it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanned {
    /// The matching sessions.
    pub sessions: Vec<Session>,
    /// Where the next page starts, if the list goes on.
    pub next: Option<ListKey>,
}

impl Scanned {
    /// A page from the rows a store read in list order, at most `limit` of them, of which the
    /// filter's columns already held: the rest of the filter (the network) is applied here, and
    /// a full read means the list may go on after its last row.
    pub fn of_rows(rows: Vec<Session>, filter: &SessionFilter, limit: u32) -> Self {
        let next = (rows.len() >= limit as usize)
            .then(|| rows.last().map(ListKey::of))
            .flatten();
        Self {
            sessions: rows.into_iter().filter(|s| filter.matches(s)).collect(),
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_key_round_trips_and_nothing_else_decodes() {
        let key = ListKey {
            created_at: Timestamp::from_millisecond(1_700_000_000_123).unwrap(),
            id: SessionId::generate(Timestamp::UNIX_EPOCH).unwrap(),
        };
        assert_eq!(ListKey::decode(&key.encode()), Some(key));
        for bad in ["", "1.2", "x.y", "12", &format!("{}x", key.encode())] {
            assert_eq!(ListKey::decode(bad), None, "{bad:?}");
        }
    }
}
