//! The keys of the counters every node shares ([`Counters::add_to_counter`]): one variant
//! per namespace, so that two features can never count on the same counter by accident. The
//! text a store keeps is [`CounterKey`]'s `Display`, unchanged from when the keys were strings,
//! so counters written before still count.
//!
//! [`Counters::add_to_counter`]: crate::store::Counters::add_to_counter

use std::fmt;

use crate::ids::SessionId;

/// Whose login failures a lockout counter counts (`crate::lockout::Scope`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lockee {
    /// An account, by its username key: every client without a device cookie.
    Account(String),
    /// One device cookie, by its nonce.
    Device(String),
}

/// A per-address limit counted in a window (`crate::shared_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Login attempts and new anonymous sessions (`SESSIOND_LOGIN_RATE_LIMIT`).
    Logins,
    /// Unknown session tokens (`SESSIOND_UNKNOWN_TOKEN_LIMIT`).
    UnknownTokens,
}

/// What the admin API's counts tally per hour (`CounterKey::Hourly`), from the audit events
/// that record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hourly {
    /// `LOGIN_SUCCESS`.
    Logins,
    /// `LOGIN_FAILED`.
    LoginFailures,
    /// `SESSION_EXPIRED_IDLE`.
    ExpiredIdle,
    /// `SESSION_EXPIRED_ABSOLUTE`.
    ExpiredAbsolute,
}

impl Hourly {
    /// Every one, in the order the counts list them.
    pub const ALL: [Self; 4] = [
        Self::Logins,
        Self::LoginFailures,
        Self::ExpiredIdle,
        Self::ExpiredAbsolute,
    ];

    /// Its name in the counts and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logins => "logins",
            Self::LoginFailures => "login_failures",
            Self::ExpiredIdle => "expired_idle",
            Self::ExpiredAbsolute => "expired_absolute",
        }
    }

    /// What an audit event of type `event_type` adds to, if anything.
    pub fn of(event_type: &str) -> Option<Self> {
        Some(match event_type {
            "LOGIN_SUCCESS" => Self::Logins,
            "LOGIN_FAILED" => Self::LoginFailures,
            "SESSION_EXPIRED_IDLE" => Self::ExpiredIdle,
            "SESSION_EXPIRED_ABSOLUTE" => Self::ExpiredAbsolute,
            _ => return None,
        })
    }
}

/// Which counter: each variant is a namespace of its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CounterKey {
    /// Failed (or still unchecked) logins since the last success or lock.
    LoginFailures(Lockee),
    /// Locks so far, for the doubling backoff.
    LoginLockouts(Lockee),
    /// Present while locked; lapses when the lock lifts.
    LoginLock(Lockee),
    /// Hits of a per-address limit (the address's limit key, IPv6 by /64).
    Limit(Limit, String),
    /// A session's suspicion score.
    SuspicionScore(SessionId),
    /// A finding already scored for a session (`user_agent`, `network:NET`, `long`), so that
    /// each counts once across nodes.
    SuspicionFinding(SessionId, String),
    /// What happened in one hour (hours since the epoch, UTC), for the admin API's counts.
    Hourly(Hourly, i64),
}

impl fmt::Display for Lockee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(name) => f.write_str(name),
            Self::Device(nonce) => write!(f, "device:{nonce}"),
        }
    }
}

impl fmt::Display for CounterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LoginFailures(who) => write!(f, "lockout:failures:{who}"),
            Self::LoginLockouts(who) => write!(f, "lockout:lockouts:{who}"),
            Self::LoginLock(who) => write!(f, "lockout:lock:{who}"),
            Self::Limit(Limit::Logins, address) => write!(f, "login:{address}"),
            Self::Limit(Limit::UnknownTokens, address) => write!(f, "unknown_tokens:{address}"),
            Self::SuspicionScore(session) => write!(f, "suspicion:{session}"),
            Self::SuspicionFinding(session, what) => write!(f, "suspicion:{session}:{what}"),
            Self::Hourly(what, hour) => write!(f, "hourly:{}:{hour}", what.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_never_meet_and_keep_their_stored_form() {
        let who = Lockee::Account("alice".into());
        let keys = [
            CounterKey::LoginFailures(who.clone()),
            CounterKey::LoginLockouts(who.clone()),
            CounterKey::LoginLock(who),
            CounterKey::LoginFailures(Lockee::Device("alice".into())),
            CounterKey::Limit(Limit::Logins, "alice".into()),
            CounterKey::Limit(Limit::UnknownTokens, "alice".into()),
        ];
        let text: std::collections::HashSet<String> =
            keys.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), keys.len());
        assert_eq!(keys[0].to_string(), "lockout:failures:alice");
        assert_eq!(keys[3].to_string(), "lockout:failures:device:alice");
        assert_eq!(keys[4].to_string(), "login:alice");
    }
}
