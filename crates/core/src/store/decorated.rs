//! [`Decorated`]: every role of a store, each operation passed through an [`Around`] hook that
//! sees its role and name. The store metrics time and count operations with it; the test kit
//! takes a store down with it. One delegation, so a new role method is added in one place.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    ApiKeys, AuditLog, Counter, Counters, Ended, Health, ListKey, Listing, PoolStatus, Scanned,
    SecretCheck, SessionFilter, SessionSweep, Sessions, SigningKeys, StoreResult, Stores, Tallies,
    Users,
};
use crate::access_token::SealedKey;
use crate::api_key::ApiKey;
use crate::audit::{AuditEvent, AuditQuery};
use crate::audit_chain::{ChainEnds, ChainPage};
use crate::counter::CounterKey;
use crate::user::User;
use crate::{Session, SessionId, Timestamp, TokenHash, UserId};

/// A store operation in flight, as a hook receives it.
pub type Operation<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// Which operation: the role's field name in [`Stores`] and the method's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// `sessions`, `sweep`, `listing`, `users`, `audit`, `counters`, `api_keys`,
    /// `signing_keys`, `secret_check` or `health`.
    pub role: &'static str,
    /// The method, e.g. `session_by_token`.
    pub operation: &'static str,
}

/// What a decorator does around each operation; `op` has not started until it is polled.
pub trait Around: Send + Sync + 'static {
    /// Runs `op` (or not), answering its result.
    fn around<'a, T: Send + 'a>(&'a self, call: Call, op: Operation<'a, T>) -> Operation<'a, T>;
}

impl<H: Around> Around for Arc<H> {
    fn around<'a, T: Send + 'a>(&'a self, call: Call, op: Operation<'a, T>) -> Operation<'a, T> {
        (**self).around(call, op)
    }
}

/// Every role of `inner`, through `hook`.
pub struct Decorated<H> {
    inner: Stores,
    hook: H,
}

impl<H: Around> Decorated<H> {
    /// The roles of `inner` through `hook`, as a bundle with `inner`'s bus.
    pub fn stores(inner: Stores, hook: H) -> Stores {
        inner.wrapped_by(Arc::new(Self {
            inner: inner.clone(),
            hook,
        }))
    }
}

/// One role's impl: `#[async_trait]` must see the methods, not a macro call, so the macro
/// writes the whole impl.
macro_rules! decorated_impl {
    ($role:ident . $field:ident { $($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)* }) => {
        #[async_trait]
        impl<H: Around> $role for Decorated<H> {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$ret> {
                let call = Call { role: stringify!($field), operation: stringify!($name) };
                self.hook.around(call, self.inner.$field.$name($($arg),*)).await
            })*
        }
    };
}

decorated_impl!(Sessions.sessions {
    create_session(s: &Session) -> ();
    session_by_token(h: &TokenHash, now: Timestamp) -> Option<Session>;
    session_by_id(id: &SessionId) -> Option<Session>;
    update_session(s: &Session) -> ();
    user_sessions(u: &UserId, now: Timestamp) -> Vec<Session>;
});

decorated_impl!(SessionSweep.sweep {
    count_active_sessions(now: Timestamp) -> u64;
    sessions_due(now: Timestamp, limit: u32) -> Vec<Session>;
    count_sessions_due(now: Timestamp) -> u64;
    purge_sessions(before: Timestamp, limit: u32) -> u64;
    count_purgeable_sessions(before: Timestamp) -> u64;
});

decorated_impl!(Listing.listing {
    sessions_before(f: &SessionFilter, before: Option<ListKey>, limit: u32) -> Scanned;
    tallies() -> Tallies;
    ended_after(after: u64, since: Timestamp, limit: u32) -> Vec<Ended>;
});

decorated_impl!(Users.users {
    create_user(u: &User) -> ();
    user_by_name(name: &str) -> Option<User>;
    user_by_id(id: &UserId) -> Option<User>;
    update_user(u: &User) -> ();
    list_users() -> Vec<User>;
    count_users() -> u64;
    delete_user(id: &UserId) -> bool;
});

decorated_impl!(AuditLog.audit {
    append_audit(events: &[AuditEvent]) -> ();
    audit_events(q: &AuditQuery) -> Vec<AuditEvent>;
    audit_chain(cursor: Option<&str>, limit: u32) -> ChainPage;
    audit_chain_ends() -> ChainEnds;
    purge_audit(before: Timestamp, limit: u32) -> u64;
    count_audit_before(before: Timestamp) -> u64;
});

decorated_impl!(Counters.counters {
    add_to_counter(key: &CounterKey, by: u64, now: Timestamp, expires_at: Timestamp) -> Counter;
    counter(key: &CounterKey, now: Timestamp) -> Option<Counter>;
    delete_counter(key: &CounterKey) -> ();
    purge_counters(before: Timestamp, limit: u32) -> u64;
});

decorated_impl!(SigningKeys.signing_keys {
    add_signing_key(key: &SealedKey) -> ();
    signing_keys() -> Vec<SealedKey>;
    delete_signing_key(kid: &str) -> bool;
});

decorated_impl!(ApiKeys.api_keys {
    create_api_key(key: &ApiKey) -> ();
    api_key_by_hash(hash: &TokenHash) -> Option<ApiKey>;
    api_keys() -> Vec<ApiKey>;
    revoke_api_key(name: &str, at: Timestamp) -> bool;
    set_api_key_grants(name: &str, roles: &[String], users: &[String]) -> bool;
});

decorated_impl!(SecretCheck.secret_check {
    claim_secret_check(check: &str) -> String;
    replace_secret_check(check: &str) -> ();
});

#[async_trait]
impl<H: Around> Health for Decorated<H> {
    fn kind(&self) -> &'static str {
        self.inner.health.kind()
    }
    fn pool(&self) -> Option<PoolStatus> {
        self.inner.health.pool()
    }
    async fn ping(&self) -> StoreResult<()> {
        let call = Call {
            role: "health",
            operation: "ping",
        };
        self.hook.around(call, self.inner.health.ping()).await
    }
}
