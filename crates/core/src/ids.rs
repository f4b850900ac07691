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
}
