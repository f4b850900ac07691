//! Public identifiers. A [`SessionId`] is safe to log and to show a user (seed 002's logical
//! session id); it never grants access. Both ids are UUIDv7, so they sort by creation time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CoreError;
use crate::random;
use crate::time::Timestamp;

fn uuid_v7(at: Timestamp) -> Result<Uuid, CoreError> {
    let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
    let rand = random::bytes::<10>()?;
    Ok(uuid::Builder::from_unix_timestamp_millis(millis, &rand).into_uuid())
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id whose time part is `at` (taken from the service's clock).
            pub fn generate(at: Timestamp) -> Result<Self, CoreError> {
                uuid_v7(at).map(Self)
            }

            /// From a UUID.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// As a UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// The public id of a session.
    SessionId
);
uuid_id!(
    /// The id of a user.
    UserId
);

impl SessionId {
    /// A new id whose time part is `at` and whose last byte is `affinity`: the first byte of
    /// its first token's hash, so a store that shards by key can keep the two together. The
    /// byte replaces 8 of the 74 random bits; the other 66 keep ids unique within a millisecond.
    pub fn generate_with_affinity(at: Timestamp, affinity: u8) -> Result<Self, CoreError> {
        let mut bytes = *uuid_v7(at)?.as_bytes();
        bytes[15] = affinity;
        Ok(Self(Uuid::from_bytes(bytes)))
    }

    /// The id's last byte, shared by the hashes of its cookie tokens
    /// ([`crate::TokenHash::affinity`]). In the id's text it is the last two hex digits.
    pub fn affinity(&self) -> u8 {
        self.0.as_bytes()[15]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, ManualClock};

    #[test]
    fn session_ids_are_v7_and_sort_by_time() {
        let clock = ManualClock::at_epoch();
        let a = SessionId::generate(clock.now()).unwrap();
        clock.advance_secs(1);
        let b = SessionId::generate(clock.now()).unwrap();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
        assert_eq!(a.to_string().parse::<SessionId>().unwrap(), a);
    }

    #[test]
    fn an_ids_affinity_is_its_last_two_hex_digits_and_keeps_it_v7() {
        let now = ManualClock::at_epoch().now();
        let id = SessionId::generate_with_affinity(now, 0xa7).unwrap();
        assert_eq!(id.affinity(), 0xa7);
        assert!(id.to_string().ends_with("a7"));
        assert_eq!(id.as_uuid().get_version_num(), 7);
        assert_eq!(id.as_uuid().get_variant(), uuid::Variant::RFC4122);
    }
}
