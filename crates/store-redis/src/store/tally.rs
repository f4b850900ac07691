//! The tallies of the counts without listing (`Listing::tallies`): the tally each session
//! record carries (`t`), and the script that moves a session between tallies.

use std::sync::LazyLock;

use redis::Script;
use sessiond_core::store::StoreResult;
use sessiond_core::{Session, SessionState};

use crate::RedisStore;

/// Moves one session between tallies: from `ARGV[1]` to `ARGV[2]` (empty: none), and its user
/// (`ARGV[3]`) `ARGV[4]` (-1, 0, 1) active sessions, counting the users with any.
static TALLY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if ARGV[1] ~= ARGV[2] then \
           if ARGV[1] ~= '' and redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then \
             redis.call('HDEL', KEYS[1], ARGV[1]) end \
           if ARGV[2] ~= '' then redis.call('HINCRBY', KEYS[1], ARGV[2], 1) end \
         end \
         local d = tonumber(ARGV[4]) \
         if ARGV[3] ~= '' and d ~= 0 then \
           local n = redis.call('HINCRBY', KEYS[2], ARGV[3], d) \
           if d > 0 and n == 1 then redis.call('INCR', KEYS[3]) end \
           if d < 0 and n <= 0 then redis.call('HDEL', KEYS[2], ARGV[3]) redis.call('DECR', KEYS[3]) end \
         end return 1",
    )
});

/// The tally a session counts in: its state, role and context.
pub(super) fn tally_field(s: &Session) -> String {
    serde_json::json!([s.state.as_str(), s.role, s.context]).to_string()
}

impl RedisStore {
    /// Moves a session from the tally `from` to the one of `to` (either none: created, purged),
    /// with its user's active sessions.
    pub(super) async fn retally(
        &self,
        from: Option<&str>,
        to: Option<&Session>,
        was: &Session,
    ) -> StoreResult<()> {
        let active = |s: Option<&Session>| s.is_some_and(|s| s.state == SessionState::Active);
        let before = from
            .and_then(|f| serde_json::from_str::<(String, Option<String>, Option<String>)>(f).ok())
            .is_some_and(|(state, _, _)| state == SessionState::Active.as_str());
        let delta = i64::from(active(to)) - i64::from(before);
        let to_field = to.map(tally_field).unwrap_or_default();
        let from_field = from.unwrap_or("");
        if from_field == to_field && delta == 0 {
            return Ok(());
        }
        let [tally, users, count] = self.keys.tallies();
        let mut invocation = TALLY.key(tally);
        invocation
            .key(users)
            .key(count)
            .arg(from_field)
            .arg(to_field)
            .arg(was.user_id.map(|u| u.to_string()).unwrap_or_default())
            .arg(delta);
        self.bounded(invocation.invoke_async::<i64>(&mut self.conn.clone()))
            .await
            .map(|_| ())
    }
}
