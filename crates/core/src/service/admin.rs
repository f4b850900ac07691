//! What an operator reads (the CLI, the jobs, `/readyz`): the store's health, counts, the users
//! and the audit trail. The operator's changes are beside the records they change (`users.rs`,
//! `api_keys.rs`, `signing.rs`, `cleanup.rs`).

use crate::audit::{AuditEvent, AuditQuery};
use crate::audit_chain::{ChainBreak, ChainLink, Verified, verify_store};
use crate::time::Timestamp;
use crate::user::User;

use super::SessionResult;
use super::faces::Admin;

impl Admin<'_> {
    /// The store's kind: `memory`, `sqlite`, `postgres` or `redis`.
    pub fn store_kind(&self) -> &'static str {
        self.stores.health.kind()
    }

    /// The store's connection pool, if it pools (seed 004's pool status).
    pub fn store_pool(&self) -> Option<crate::store::PoolStatus> {
        self.stores.health.pool()
    }

    /// Whether the store answers.
    pub async fn ping_store(&self) -> SessionResult<()> {
        Ok(self.stores.health.ping().await?)
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> SessionResult<Vec<User>> {
        Ok(self.stores.users.list_users().await?)
    }

    /// How many users there are.
    pub async fn count_users(&self) -> SessionResult<u64> {
        Ok(self.stores.users.count_users().await?)
    }

    /// How many sessions are active now.
    pub async fn count_active_sessions(&self) -> SessionResult<u64> {
        Ok(self.stores.sweep.count_active_sessions(self.now()).await?)
    }

    /// How many sessions have passed a deadline and wait for the cleanup to end them.
    pub async fn count_sessions_due(&self) -> SessionResult<u64> {
        Ok(self.stores.sweep.count_sessions_due(self.now()).await?)
    }

    /// Audit records matching `query`, newest first.
    pub async fn audit_events(&self, query: &AuditQuery) -> SessionResult<Vec<AuditEvent>> {
        Ok(self.stores.audit.audit_events(query).await?)
    }

    /// The audit chain's newest link, to keep outside the store as an anchor.
    pub async fn audit_head(&self) -> SessionResult<ChainLink> {
        Ok(self.stores.audit.audit_chain_ends().await?.head)
    }

    /// Walks the stored audit chain (docs/security.md, "Audit hash chain"): it must pass
    /// through every one of `anchors`, and may start no later than `oldest_kept` allows.
    pub async fn verify_audit(
        &self,
        anchors: Vec<ChainLink>,
        oldest_kept: Option<Timestamp>,
    ) -> SessionResult<Result<Verified, ChainBreak>> {
        Ok(verify_store(&*self.stores.audit, anchors, oldest_kept).await?)
    }
}
