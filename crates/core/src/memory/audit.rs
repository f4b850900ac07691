//! The memory store's audit log: a vector of chained records.

use async_trait::async_trait;

use super::MemoryStore;
use crate::audit::{AuditEvent, AuditQuery};
use crate::audit_chain::{ChainEnds, ChainPage, ChainedEvent};
use crate::store::{AuditLog, StoreResult};
use crate::time::Timestamp;
use crate::user::User;

#[async_trait]
impl AuditLog for MemoryStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let mut inner = self.lock();
        for event in events {
            let record = ChainedEvent::after(inner.audit_ends.head, event.clone());
            inner.audit_ends.head = record.link();
            inner.audit.push(record);
        }
        Ok(())
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let key = q.username.as_deref().map(User::username_key);
        let inner = self.lock();
        Ok(inner
            .audit
            .iter()
            .rev()
            .map(|r| AuditEvent {
                seq: Some(r.seq),
                ..r.event.clone()
            })
            .filter(|e| key.is_none() || e.username.as_deref().map(User::username_key) == key)
            .filter(|e| q.session_id.is_none() || e.session_id == q.session_id)
            .filter(|e| q.wants_place(e))
            .filter(|e| q.wants_type(e))
            .take(q.limit as usize)
            .collect())
    }

    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        let after = ChainPage::seq_after(cursor)?;
        let inner = self.lock();
        let records = inner
            .audit
            .iter()
            .skip_while(|r| r.seq <= after)
            .take(limit as usize)
            .cloned()
            .collect();
        Ok(ChainPage::by_seq(records, limit))
    }

    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        // Every record here is appended through the chain.
        Ok(self.lock().audit_ends)
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let mut inner = self.lock();
        let n = inner
            .audit
            .iter()
            .take(limit as usize)
            .take_while(|r| r.event.at < before)
            .count();
        if let Some(last) = n.checked_sub(1).map(|i| &inner.audit[i]) {
            let (link, at) = (last.link(), last.event.at);
            inner.audit_ends.base = link;
            inner.audit_ends.base_at = Some(at);
        }
        inner.audit.drain(..n);
        Ok(n as u64)
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        Ok(self
            .lock()
            .audit
            .iter()
            .filter(|r| r.event.at < before)
            .count() as u64)
    }
}
