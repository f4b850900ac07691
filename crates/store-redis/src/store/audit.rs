//! The audit role: the hash-chained trail.

use crate::{RedisStore, corrupt};
use async_trait::async_trait;
use redis::cmd;
use redis::streams::StreamRangeReply;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainPage, ChainedEvent, Digest};
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::user::User;
use sessiond_core::{StoreError, Timestamp};

use super::{
    APPEND_AUDIT, APPEND_TRIES, AUDIT_PAGE, CHAIN_ENDS, PURGE_AUDIT, before_id, json, link_of,
    parse,
};
use sessiond_core::store::AuditLog;

#[async_trait]
impl AuditLog for RedisStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let bodies = events.iter().map(json).collect::<StoreResult<Vec<_>>>()?;
        for _ in 0..APPEND_TRIES {
            let mut head = self.chain_ends().await?.head;
            let start = head.seq;
            let mut invocation = APPEND_AUDIT.key(self.keys.audit());
            invocation.key(self.keys.audit_chain()).arg(head.seq);
            for (e, body) in events.iter().zip(&bodies) {
                let record = ChainedEvent::after(head, e.clone());
                invocation
                    .arg(format!("{}-*", to_millis(e.at).max(1)))
                    .arg(body)
                    .arg(record.seq)
                    .arg(record.prev_hash.to_hex())
                    .arg(record.hash.to_hex());
                head = record.link();
            }
            let written: Vec<String> = self
                .bounded(invocation.invoke_async(&mut self.conn.clone()))
                .await?;
            if !written.is_empty() {
                return self.index_by_session(events, &written, start).await;
            }
        }
        Err(StoreError::Conflict(
            "the audit chain head kept moving".into(),
        ))
    }

    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        // The stream is in chain order: appends are serialised on the head and ids only grow.
        let min = cursor.map_or("-".to_owned(), |id| format!("({id}"));
        let reply: StreamRangeReply = self
            .q(cmd("XRANGE")
                .arg(self.keys.audit())
                .arg(&min)
                .arg("+")
                .arg("COUNT")
                .arg(limit))
            .await?;
        let next = match reply.ids.last() {
            Some(last) if reply.ids.len() >= limit as usize => Some(last.id.clone()),
            _ => None,
        };
        let mut records = Vec::with_capacity(reply.ids.len());
        for entry in &reply.ids {
            // Entries from before the chain have no seq.
            let Some(seq) = entry.get::<String>("s") else {
                continue;
            };
            let field = |name: &str| {
                entry
                    .get::<String>(name)
                    .and_then(|h| Digest::from_hex(&h))
                    .ok_or_else(|| corrupt("audit entry without its hashes"))
            };
            let body: String = entry
                .get("j")
                .ok_or_else(|| corrupt("audit entry without a body"))?;
            records.push(ChainedEvent {
                seq: seq.parse().map_err(|_| corrupt("audit entry seq"))?,
                prev_hash: field("p")?,
                hash: field("h")?,
                event: parse(&body)?,
            });
        }
        Ok(ChainPage { records, next })
    }

    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        let mut invocation = CHAIN_ENDS.key(self.keys.audit());
        invocation.key(self.keys.audit_chain());
        let (len, bs, bh, hs, hh, at): (
            u64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
        ) = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        let base = link_of(&bs, &bh)?;
        let head = link_of(&hs, &hh)?;
        Ok(ChainEnds {
            base,
            head,
            unchained: len.saturating_sub(head.seq.saturating_sub(base.seq)),
            base_at: at.map(sessiond_core::time::from_millis),
        })
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        if let Some(session) = &q.session_id {
            return self.session_audit(session, q).await;
        }
        let user = q.username.as_deref().map(User::username_key);
        // Ids are never earlier than their events, so no event since `since` hides below it.
        let min = q.since.map_or("-".to_owned(), |t| to_millis(t).to_string());
        let mut max = "+".to_owned();
        let mut out = Vec::new();
        loop {
            let page = self.audit_page(&max, &min).await?;
            let full = page.len() == AUDIT_PAGE;
            for (id, e) in page {
                max = format!("({id}");
                let matches =
                    user.is_none() || e.username.as_deref().map(User::username_key) == user;
                if matches
                    && q.wants_type(&e)
                    && (q.session_id.is_none() || e.session_id == q.session_id)
                    && q.wants_place(&e)
                {
                    out.push(e);
                    if out.len() >= q.limit as usize {
                        return Ok(out);
                    }
                }
            }
            if !full {
                return Ok(out);
            }
        }
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        // Ids follow event times and only grow, so the entries before `before` are a prefix.
        let reply: StreamRangeReply = self
            .q(cmd("XRANGE")
                .arg(self.keys.audit())
                .arg("-")
                .arg(before_id(before))
                .arg("COUNT")
                .arg(limit))
            .await?;
        if reply.ids.is_empty() {
            return Ok(0);
        }
        let last = reply.ids.iter().rev().find_map(|e| {
            let at = e
                .get::<String>("j")
                .and_then(|j| parse::<AuditEvent>(&j).ok())
                .map_or(0, |ev| to_millis(ev.at));
            Some((e.get::<String>("s")?, e.get::<String>("h")?, at))
        });
        let (seq, hash, at) = last.unwrap_or_default();
        // Out of the sessions' timelines as well.
        let indexed: Vec<_> = reply
            .ids
            .iter()
            .filter_map(|e| {
                let event: AuditEvent = parse(&e.get::<String>("j")?).ok()?;
                Some((self.keys.session_audit(&event.session_id?), e.id.clone()))
            })
            .collect();
        for (key, id) in indexed {
            self.q::<()>(cmd("ZREM").arg(key).arg(id)).await?;
        }
        let mut invocation = PURGE_AUDIT.key(self.keys.audit());
        invocation
            .key(self.keys.audit_chain())
            .arg(seq)
            .arg(hash)
            .arg(at);
        for e in &reply.ids {
            invocation.arg(&e.id);
        }
        self.bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        let mut count = 0u64;
        let mut min = "-".to_owned();
        loop {
            let reply: StreamRangeReply = self
                .q(cmd("XRANGE")
                    .arg(self.keys.audit())
                    .arg(&min)
                    .arg(before_id(before))
                    .arg("COUNT")
                    .arg(AUDIT_PAGE))
                .await?;
            let n = reply.ids.len();
            count += n as u64;
            match reply.ids.last() {
                Some(last) if n == AUDIT_PAGE => min = format!("({}", last.id),
                _ => return Ok(count),
            }
        }
    }
}
