//! The request fields every route takes, each a type whose `Deserialize` holds it to its rule of
//! `sessiond_core::input` and whose schema in the OpenAPI document is made from the same rule
//! (pattern, lengths, description): the document cannot say one thing and the server check
//! another. A refused field is the 400 of any bad body (`invalid_request`) or path
//! (`invalid_path`), before anything reaches a store. tests/e2e/openapi.rs checks that no
//! string a route takes is left without a rule.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use sessiond_core::SessionId;
use sessiond_core::input::{self, Rule};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

fn string(description: String) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn rule_schema(rule: &Rule) -> RefOr<Schema> {
    string(rule.describe())
        .min_length((rule.min > 0).then_some(rule.min))
        .max_length(Some(rule.max_length()))
        .pattern(Some(rule.pattern()))
        .into()
}

/// A string field held to a rule.
macro_rules! field {
    ($(#[$doc:meta])* $name:ident = $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const RULE: Rule = $rule;

            pub fn into_inner(self) -> String {
                self.0
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = String::deserialize(d)?;
                Self::RULE.check(&value).map_err(serde::de::Error::custom)?;
                Ok(Self(value))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                rule_schema(&Self::RULE)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

field!(
    /// A username; lookups and logins hold it to the same rule as a new user's.
    Username = input::USERNAME
);
field!(
    /// A password presented to log in or to confirm one's identity.
    Password = input::PASSWORD
);
field!(
    /// The current password, at a password change.
    CurrentPassword = input::PASSWORD.named("current_password")
);
field!(
    /// A password being set.
    NewPassword = input::NEW_PASSWORD
);
field!(
    /// A platform context's name.
    ContextName = input::CONTEXT
);
field!(
    /// A role's name; the document lists the configured ones (`SESSION_ROLES`).
    RoleName = input::ROLE
);
field!(
    /// A user's display name.
    DisplayName = input::DISPLAY_NAME
);
field!(
    /// A browser's user agent, as the application saw it.
    UserAgent = input::USER_AGENT
);
field!(
    /// A session token handed back to be validated.
    SessionToken = input::TOKEN
);
field!(
    /// A refresh token.
    RefreshToken = input::TOKEN.named("refresh_token")
);
field!(
    /// A device token from an earlier login.
    DeviceToken = input::TOKEN.named("device_token")
);
field!(
    /// An activity's type.
    ActivityType = input::ACTIVITY_TYPE
);
field!(
    /// The name of an existing user, in a path or a filter of the admin API.
    UserRef = input::USER_REF
);
field!(
    /// Why an administrator ended a session.
    Reason = input::REASON
);

/// A browser's address, IPv4 or IPv6, kept in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ip(String);

impl Ip {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Ip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = String::deserialize(d)?;
        let ip = input::ip(&value).map_err(serde::de::Error::custom)?;
        Ok(Self(ip.to_string()))
    }
}

impl utoipa::PartialSchema for Ip {
    fn schema() -> RefOr<Schema> {
        let format = |f| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(f)))
        };
        OneOfBuilder::new()
            .item(format(KnownFormat::Ipv4))
            .item(format(KnownFormat::Ipv6))
            .description(Some("An IPv4 or IPv6 address"))
            .into()
    }
}

impl utoipa::ToSchema for Ip {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IpAddress")
    }
}

/// A session's id in a path: a UUID in its hyphenated form, as every answer writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRef(pub SessionId);

impl<'de> Deserialize<'de> for SessionRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = String::deserialize(d)?;
        match value.parse() {
            Ok(id) if value.len() == 36 => Ok(Self(id)),
            _ => Err(serde::de::Error::custom(
                "session_id is a session's id, a hyphenated UUID",
            )),
        }
    }
}

impl utoipa::PartialSchema for SessionRef {
    fn schema() -> RefOr<Schema> {
        string("A session's id, a hyphenated UUID".into())
            .format(Some(SchemaFormat::Custom("uuid".into())))
            .into()
    }
}

impl utoipa::ToSchema for SessionRef {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SessionIdParam")
    }
}

/// A whole number that JSON may write as `60` or `60.0` (JSON Schema's integers are both),
/// within i64 and exactly representable: anything else is refused, not rounded.
pub fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match n.as_f64() {
        // Within 2^53 the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if f.fract() == 0.0 && f.abs() < EXACT => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(
            "a whole number within 64 bits expected",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Seconds {
        #[serde(default, deserialize_with = "whole_number")]
        n: Option<i64>,
    }

    fn seconds(json: &str) -> Option<Option<i64>> {
        serde_json::from_str::<Seconds>(json).ok().map(|s| s.n)
    }

    #[test]
    fn whole_numbers_may_be_written_as_floats_but_not_be_fractions() {
        assert_eq!(seconds(r#"{"n": 60}"#), Some(Some(60)));
        assert_eq!(seconds(r#"{"n": 60.0}"#), Some(Some(60)));
        assert_eq!(seconds(r#"{"n": null}"#), Some(None));
        assert_eq!(seconds(r#"{}"#), Some(None));
        assert_eq!(seconds(r#"{"n": 60.5}"#), None);
        assert_eq!(seconds(r#"{"n": 9223372036854775808}"#), None);
        assert_eq!(seconds(r#"{"n": 1e30}"#), None);
    }

    #[test]
    fn fields_refuse_what_their_rule_refuses() {
        assert!(serde_json::from_str::<Username>(r#""alice""#).is_ok());
        let err = serde_json::from_str::<Username>(r#""al\u0000ice""#).unwrap_err();
        assert!(err.to_string().starts_with("username is 1 to 64"), "{err}");
        assert!(serde_json::from_str::<Ip>(r#""10.0.0.1""#).is_ok());
        assert!(serde_json::from_str::<Ip>(r#""""#).is_err());
        let id = "01a24cc3-6ae3-7ef0-a735-1a5ca30bd5e0";
        assert!(serde_json::from_str::<SessionRef>(&format!("\"{id}\"")).is_ok());
        let simple = id.replace('-', "");
        assert!(serde_json::from_str::<SessionRef>(&format!("\"{simple}\"")).is_err());
    }
}
