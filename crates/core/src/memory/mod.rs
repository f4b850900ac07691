//! An in-memory store ([`crate::store::Backend`]): for tests, demos and `memory://`. Nothing survives a restart.

mod api_keys;
mod audit;
mod listing;
mod signing_keys;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::audit_chain::{ChainEnds, ChainedEvent};
use crate::counter::CounterKey;
use crate::ids::{SessionId, UserId};
use crate::session::{Session, SessionState};
use crate::store::{
    Counter, Counters, Health, SessionSweep, Sessions, StoreError, StoreResult, Users,
};
use crate::time::Timestamp;
use crate::token::TokenHash;
use crate::user::User;

#[derive(Default)]
struct Inner {
    sessions: HashMap<SessionId, Session>,
    by_token: HashMap<TokenHash, SessionId>,
    users: HashMap<UserId, User>,
    audit: Vec<ChainedEvent>,
    audit_ends: ChainEnds,
    counters: HashMap<String, Counter>,
    api_keys: Vec<crate::api_key::ApiKey>,
    signing_keys: Vec<crate::access_token::SealedKey>,
    secret_check: Option<String>,
    /// The last feed position given to an end, and each ended session's.
    feed: u64,
    end_seqs: HashMap<SessionId, u64>,
}

impl Inner {
    fn index(&mut self, s: &Session) {
        self.by_token.insert(s.token_hash, s.id);
        if let Some(prev) = s.prev_token_hash {
            self.by_token.insert(prev, s.id);
        }
    }

    fn unindex(&mut self, s: &Session) {
        self.by_token.remove(&s.token_hash);
        if let Some(prev) = s.prev_token_hash {
            self.by_token.remove(&prev);
        }
    }

    /// Gives `s` its place in the feed when it is stored ended for the first time.
    fn note_end(&mut self, s: &Session) {
        if s.state != SessionState::Active && !self.end_seqs.contains_key(&s.id) {
            self.feed += 1;
            self.end_seqs.insert(s.id, self.feed);
        }
    }

    fn name_taken(&self, user: &User) -> bool {
        let key = User::username_key(&user.username);
        self.users
            .values()
            .any(|u| u.id != user.id && User::username_key(&u.username) == key)
    }
}

/// Every role in one process's memory.
#[derive(Default)]
pub struct MemoryStore {
    // One lock for everything: the store is for tests and single-process demos, and one lock
    // makes every operation trivially atomic.
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh store's roles; one process holds it, so there is no bus.
    pub fn stores() -> crate::store::Stores {
        crate::store::Stores::single_node(std::sync::Arc::new(Self::new()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn due(s: &Session, now: Timestamp) -> bool {
    s.state == SessionState::Active && s.deadline() <= now
}

#[async_trait]
impl Health for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[async_trait]
impl Sessions for MemoryStore {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut inner = self.lock();
        let hashes = std::iter::once(session.token_hash).chain(session.prev_token_hash);
        if inner.sessions.contains_key(&session.id)
            || hashes.into_iter().any(|h| inner.by_token.contains_key(&h))
        {
            return Err(StoreError::Conflict(format!(
                "session {} exists",
                session.id
            )));
        }
        inner.index(session);
        inner.note_end(session);
        inner.sessions.insert(session.id, session.clone());
        Ok(())
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let inner = self.lock();
        Ok(inner
            .by_token
            .get(hash)
            .and_then(|id| inner.sessions.get(id))
            .filter(|s| s.lookup_until > now)
            .cloned())
    }

    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        Ok(self.lock().sessions.get(id).cloned())
    }

    async fn update_session(&self, session: &Session) -> StoreResult<()> {
        let mut inner = self.lock();
        let Some(old) = inner.sessions.get(&session.id).cloned() else {
            return Err(StoreError::Conflict(format!(
                "session {} is gone",
                session.id
            )));
        };
        if old.version != session.version {
            return Err(StoreError::Conflict(format!(
                "session {} changed",
                session.id
            )));
        }
        inner.unindex(&old);
        let mut new = session.clone();
        new.version += 1;
        inner.index(&new);
        inner.note_end(&new);
        inner.sessions.insert(new.id, new);
        Ok(())
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        let inner = self.lock();
        let mut out: Vec<Session> = inner
            .sessions
            .values()
            .filter(|s| s.user_id.as_ref() == Some(user) && s.is_active_at(now))
            .cloned()
            .collect();
        out.sort_by_key(|s| (s.created_at, s.id));
        Ok(out)
    }
}

#[async_trait]
impl SessionSweep for MemoryStore {
    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|s| s.is_active_at(now))
            .count() as u64)
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        let inner = self.lock();
        let mut out: Vec<Session> = inner
            .sessions
            .values()
            .filter(|s| due(s, now))
            .cloned()
            .collect();
        out.sort_by_key(|s| (s.deadline(), s.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|s| due(s, now))
            .count() as u64)
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let mut inner = self.lock();
        let mut victims: Vec<Session> = inner
            .sessions
            .values()
            .filter(|s| s.lookup_until < before)
            .cloned()
            .collect();
        victims.sort_by_key(|s| (s.lookup_until, s.id));
        victims.truncate(limit as usize);
        for s in &victims {
            inner.unindex(s);
            inner.sessions.remove(&s.id);
            inner.end_seqs.remove(&s.id);
        }
        Ok(victims.len() as u64)
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        Ok(self
            .lock()
            .sessions
            .values()
            .filter(|s| s.lookup_until < before)
            .count() as u64)
    }
}

#[async_trait]
impl Users for MemoryStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner.users.contains_key(&user.id) || inner.name_taken(user) {
            return Err(StoreError::Conflict(format!(
                "user {} exists",
                user.username
            )));
        }
        inner.users.insert(user.id, user.clone());
        Ok(())
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let key = User::username_key(username);
        Ok(self
            .lock()
            .users
            .values()
            .find(|u| User::username_key(&u.username) == key)
            .cloned())
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(self.lock().users.get(id).cloned())
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let mut inner = self.lock();
        if !inner.users.contains_key(&user.id) {
            return Err(StoreError::Conflict(format!(
                "user {} is gone",
                user.username
            )));
        }
        if inner.name_taken(user) {
            return Err(StoreError::Conflict(format!(
                "user {} exists",
                user.username
            )));
        }
        inner.users.insert(user.id, user.clone());
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let mut users: Vec<User> = self.lock().users.values().cloned().collect();
        users.sort_by_key(|u| User::username_key(&u.username));
        Ok(users)
    }

    async fn count_users(&self) -> StoreResult<u64> {
        Ok(self.lock().users.len() as u64)
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        Ok(self.lock().users.remove(id).is_some())
    }
}

#[async_trait]
impl Counters for MemoryStore {
    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        let mut inner = self.lock();
        let c = inner.counters.entry(key.to_string()).or_insert(Counter {
            value: 0,
            expires_at,
        });
        if c.expires_at <= now {
            *c = Counter {
                value: 0,
                expires_at,
            };
        }
        c.value += by;
        Ok(*c)
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        Ok(self
            .lock()
            .counters
            .get(&key.to_string())
            .filter(|c| c.expires_at > now)
            .copied())
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        self.lock().counters.remove(&key.to_string());
        Ok(())
    }

    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let mut inner = self.lock();
        let gone: Vec<String> = inner
            .counters
            .iter()
            .filter(|(_, c)| c.expires_at < before)
            .map(|(k, _)| k.clone())
            .take(limit as usize)
            .collect();
        for k in &gone {
            inner.counters.remove(k);
        }
        Ok(gone.len() as u64)
    }
}
