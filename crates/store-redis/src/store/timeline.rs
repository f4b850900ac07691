//! Each session's audit entries, indexed (`Keys::session_audit`): a timeline reads its session's
//! entries and never walks the stream. The index is written after the stream (another slot, so
//! not in the append's script): an entry whose index write was cut short is still in the trail,
//! found by every other read, and missing only from the timeline.

use futures_util::future::join_all;
use redis::cmd;
use redis::streams::StreamRangeReply;
use sessiond_core::SessionId;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::store::StoreResult;

use super::parse;
use crate::RedisStore;

/// Index entries read per round trip.
const CHUNK: usize = 100;

impl RedisStore {
    /// Adds the stream ids `written` of `events` (stored after the chain place `after`) to their
    /// sessions' indexes.
    pub(super) async fn index_by_session(
        &self,
        events: &[AuditEvent],
        written: &[String],
        after: u64,
    ) -> StoreResult<()> {
        let adds = events
            .iter()
            .zip(written)
            .zip(after + 1..)
            .filter_map(|((e, id), seq)| Some((self.keys.session_audit(&e.session_id?), id, seq)))
            .map(|(key, id, seq)| async move {
                self.q::<()>(cmd("ZADD").arg(key).arg(seq).arg(id)).await
            });
        join_all(adds).await.into_iter().collect()
    }

    /// The records of `session` that `q` asks for, newest first, from its index.
    pub(super) async fn session_audit(
        &self,
        session: &SessionId,
        q: &AuditQuery,
    ) -> StoreResult<Vec<AuditEvent>> {
        let key = self.keys.session_audit(session);
        let mut max = q.before_seq.map_or("+inf".to_owned(), |s| format!("({s}"));
        let mut out = Vec::new();
        loop {
            let ids: Vec<(String, u64)> = self
                .q(cmd("ZREVRANGEBYSCORE")
                    .arg(&key)
                    .arg(&max)
                    .arg("-inf")
                    .arg("WITHSCORES")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(CHUNK))
                .await?;
            let Some((_, last)) = ids.last() else {
                return Ok(out);
            };
            max = format!("({last}");
            let reads = ids.iter().map(|(id, _)| async move {
                let reply: StreamRangeReply = self
                    .q(cmd("XRANGE").arg(self.keys.audit()).arg(id).arg(id))
                    .await?;
                StoreResult::Ok(reply.ids.into_iter().next())
            });
            for ((id, seq), entry) in ids.iter().zip(join_all(reads).await) {
                let Some(entry) = entry? else {
                    // Purged from the stream: out of the index too.
                    self.q::<()>(cmd("ZREM").arg(&key).arg(id)).await?;
                    continue;
                };
                let Some(body) = entry.get::<String>("j") else {
                    continue;
                };
                let mut event: AuditEvent = parse(&body)?;
                event.seq = Some(*seq);
                let user = q
                    .username
                    .as_deref()
                    .map(sessiond_core::user::User::username_key);
                let by_user = user.is_none()
                    || event
                        .username
                        .as_deref()
                        .map(sessiond_core::user::User::username_key)
                        == user;
                if by_user && q.wants_type(&event) && q.wants_place(&event) {
                    out.push(event);
                    if out.len() >= q.limit as usize {
                        return Ok(out);
                    }
                }
            }
            if ids.len() < CHUNK {
                return Ok(out);
            }
        }
    }
}

impl RedisStore {
    /// Indexes the entries written before sessions' timelines were indexed, once.
    pub(crate) async fn index_audit_once(&self) -> StoreResult<()> {
        let done_key = format!("{}:indexed", self.keys.audit());
        let done: bool = self.q(cmd("EXISTS").arg(&done_key)).await?;
        if done {
            return Ok(());
        }
        let mut min = "-".to_owned();
        loop {
            let reply: StreamRangeReply = self
                .q(cmd("XRANGE")
                    .arg(self.keys.audit())
                    .arg(&min)
                    .arg("+")
                    .arg("COUNT")
                    .arg(super::AUDIT_PAGE))
                .await?;
            for e in &reply.ids {
                let event = e
                    .get::<String>("j")
                    .and_then(|j| parse::<AuditEvent>(&j).ok());
                let seq = e.get::<String>("s").and_then(|s| s.parse::<u64>().ok());
                if let (Some(session), Some(seq)) = (event.and_then(|e| e.session_id), seq) {
                    let key = self.keys.session_audit(&session);
                    self.q::<()>(cmd("ZADD").arg(key).arg(seq).arg(&e.id))
                        .await?;
                }
            }
            match reply.ids.last() {
                Some(last) if reply.ids.len() == super::AUDIT_PAGE => min = format!("({}", last.id),
                _ => break,
            }
        }
        self.q::<()>(cmd("SET").arg(done_key).arg(1)).await
    }
}
