//! Counts without listing (docs/api.md, "Admin API"): how many sessions a store holds in each
//! state, role and context, and how many users have an active one. Stores keep them as sessions
//! change (SQL triggers in the transaction of the write, Redis counters beside the scripts), so
//! reading them costs the same at a thousand sessions and at a million.

use std::collections::BTreeMap;

use crate::session::{Session, SessionState};

/// Sessions in one state, role and context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The stored state (an active one may be past its deadline, not yet marked).
    pub state: SessionState,
    /// The role; none for an anonymous session.
    pub role: Option<String>,
    /// The context; none when it has none.
    pub context: Option<String>,
    /// How many.
    pub n: u64,
}

/// Every non-empty tally, and the users with at least one session stored as active.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    /// By state, role and context, in that order.
    pub sessions: Vec<Tally>,
    /// Users with at least one session stored as active.
    pub active_users: u64,
}

impl Tallies {
    /// The tallies of `sessions` counted one by one: what a store's kept tallies must equal.
    pub fn count<'a>(sessions: impl IntoIterator<Item = &'a Session>) -> Self {
        type Key = (&'static str, Option<String>, Option<String>);
        let mut by: BTreeMap<Key, (SessionState, u64)> = BTreeMap::new();
        let mut users = std::collections::BTreeSet::new();
        for s in sessions {
            let key = (s.state.as_str(), s.role.clone(), s.context.clone());
            by.entry(key).or_insert((s.state, 0)).1 += 1;
            if s.state == SessionState::Active
                && let Some(u) = s.user_id
            {
                users.insert(u);
            }
        }
        Self {
            sessions: by
                .into_iter()
                .map(|((_, role, context), (state, n))| Tally {
                    state,
                    role,
                    context,
                    n,
                })
                .collect(),
            active_users: users.len() as u64,
        }
    }

    /// Sorted as [`Self::count`] sorts, without empty tallies: a store's rows in any order.
    pub fn normalized(mut self) -> Self {
        self.sessions.retain(|t| t.n > 0);
        self.sessions.sort_by(|a, b| {
            (a.state.as_str(), &a.role, &a.context).cmp(&(b.state.as_str(), &b.role, &b.context))
        });
        self
    }
}
