//! The input contract (docs/api.md, "Input"): what every name, password, context, role, user
//! agent and token a client sends may be, checked where it enters (an HTTP route, a CLI
//! command) before anything reaches a store, the same way for every store. Lengths count
//! characters (Unicode scalar values), as JSON Schema's `maxLength` does; character classes are
//! written once here, as a predicate and as the ECMA-262 class the OpenAPI document carries, so
//! the document is generated from these rules and cannot drift from them.
//!
//! No rule admits a control character (Unicode category Cc): PostgreSQL refuses NUL in text,
//! and CR or LF would end a header or forge a log line. Lone surrogates cannot reach a rule:
//! JSON that escapes one is refused as malformed, and a path or query is UTF-8.

use std::net::IpAddr;

/// The characters a rule admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chars {
    /// Everything but control characters.
    Printable,
    /// Letters and digits of any script (Unicode Alphabetic and Number), and `. _ @ -`.
    Name,
    /// Visible ASCII, `!` to `~`: what tokens are written in.
    Visible,
    /// ASCII letters and digits, and `_ . : -`.
    Word,
}

impl Chars {
    /// Whether `c` is one of them.
    pub fn admits(self, c: char) -> bool {
        match self {
            Self::Printable => !c.is_control(),
            // `is_alphanumeric` is Alphabetic or Numeric (Nd, Nl, No): `\p{Alpha}\p{N}`.
            Self::Name => c.is_alphanumeric() || "._@-".contains(c),
            Self::Visible => c.is_ascii_graphic(),
            Self::Word => c.is_ascii_alphanumeric() || "_.:-".contains(c),
        }
    }

    /// The same set as an ECMA-262 character class (Unicode mode), for a JSON Schema pattern.
    /// `\x..` escapes read the same in ECMA-262, Rust's `regex` and Python's `re`.
    pub fn class(self) -> &'static str {
        match self {
            Self::Printable => r"[^\x00-\x1f\x7f-\x9f]",
            Self::Name => r"[\p{Alpha}\p{N}._@-]",
            Self::Visible => r"[!-~]",
            Self::Word => r"[A-Za-z0-9_.:-]",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Printable => "none of them control characters",
            Self::Name => "letters, digits, '.', '_', '@' or '-'",
            Self::Visible => "visible ASCII characters",
            Self::Word => "ASCII letters, digits, '_', '.', ':' or '-'",
        }
    }
}

/// One field's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The field, as messages name it.
    pub field: &'static str,
    /// Fewest characters.
    pub min: usize,
    /// Most characters (spaces around a padded value not counted).
    pub max: usize,
    /// Which characters.
    pub chars: Chars,
    /// Spaces around the value are allowed, and ignored (a username typed with a trailing
    /// space, as phone keyboards add).
    pub padded: bool,
}

/// A username as it is sent: 1 to 64 letters, digits and `. _ @ -`, spaces around it ignored.
/// It is kept in Unicode NFKC (`crate::user::normalize_username`).
pub const USERNAME: Rule = Rule {
    field: "username",
    min: 1,
    max: 64,
    chars: Chars::Name,
    padded: true,
};

/// A password presented to log in or to confirm one's identity.
pub const PASSWORD: Rule = Rule {
    field: "password",
    min: 1,
    max: 4096,
    chars: Chars::Printable,
    padded: false,
};

/// A password being set: long enough to matter, short enough not to be a hashing DoS.
pub const NEW_PASSWORD: Rule = Rule {
    field: "new_password",
    min: 8,
    max: 1024,
    chars: Chars::Printable,
    padded: false,
};

/// A platform context's name (it travels in `X-Session-Context`).
pub const CONTEXT: Rule = Rule {
    field: "context",
    min: 1,
    max: 64,
    chars: Chars::Printable,
    padded: false,
};

/// A role's name; it must also be one of `SESSION_ROLES`.
pub const ROLE: Rule = Rule {
    field: "role",
    min: 1,
    max: 64,
    chars: Chars::Printable,
    padded: false,
};

/// A user's display name.
pub const DISPLAY_NAME: Rule = Rule {
    field: "display_name",
    min: 1,
    max: 256,
    chars: Chars::Printable,
    padded: false,
};

/// A browser's user agent, as an application reports it.
pub const USER_AGENT: Rule = Rule {
    field: "user_agent",
    min: 0,
    max: 512,
    chars: Chars::Printable,
    padded: false,
};

/// A session, refresh or device token as a client hands it back. Long enough for an access
/// token sent where a refresh token belongs: that is a wrong token (401 `invalid_token`), not
/// a malformed request.
pub const TOKEN: Rule = Rule {
    field: "token",
    min: 1,
    max: 4096,
    chars: Chars::Visible,
    padded: false,
};

/// An activity's type (`POST /api/v1/sessions/{id}/activity`).
pub const ACTIVITY_TYPE: Rule = Rule {
    field: "type",
    min: 1,
    max: 64,
    chars: Chars::Word,
    padded: false,
};

/// The name of an existing user, as the admin API takes it in a path or a filter: any
/// printable text, since a stored name is in NFKC, which a name that keeps [`USERNAME`] may not
/// be (`ŀ` is a letter; its NFKC, `l·`, holds a middle dot). The store's lookup decides.
pub const USER_REF: Rule = Rule {
    field: "user",
    min: 1,
    max: 256,
    chars: Chars::Printable,
    padded: true,
};

/// The free-text reason an administrator gives for ending a session.
pub const REASON: Rule = Rule {
    field: "reason",
    min: 1,
    max: 500,
    chars: Chars::Printable,
    padded: false,
};

impl Rule {
    /// The same rule for a field of another name.
    pub const fn named(self, field: &'static str) -> Self {
        Self { field, ..self }
    }

    /// Whether `value` keeps the rule; if not, a message that says what the field may be.
    pub fn check(&self, value: &str) -> Result<(), String> {
        let inner = if self.padded {
            value.trim_matches(' ')
        } else {
            value
        };
        // Each side's spaces within the pattern's ` {0,max}` (spaces are one byte each).
        let padding = value.len() - value.trim_start_matches(' ').len();
        let padding = padding.max(value.len() - value.trim_end_matches(' ').len());
        let count = inner.chars().count();
        if (self.min..=self.max).contains(&count)
            && (!self.padded || padding <= self.max)
            && inner.chars().all(|c| self.chars.admits(c))
        {
            return Ok(());
        }
        Err(self.describe())
    }

    /// What the field may be, as the refusal says and the document describes it.
    pub fn describe(&self) -> String {
        let count = if self.min == 0 {
            format!("at most {}", self.max)
        } else {
            format!("{} to {}", self.min, self.max)
        };
        format!(
            "{} is {count} characters, {}",
            self.field,
            self.chars.describe()
        )
    }

    /// The JSON Schema `pattern` of the rule.
    pub fn pattern(&self) -> String {
        let body = format!("{}{{{},{}}}", self.chars.class(), self.min, self.max);
        if self.padded {
            format!("^ {{0,{}}}{body} {{0,{}}}$", self.max, self.max)
        } else {
            format!("^{body}$")
        }
    }

    /// The JSON Schema `maxLength`: the padding counts there.
    pub fn max_length(&self) -> usize {
        if self.padded { 3 * self.max } else { self.max }
    }
}

/// An IP address as an application reports its browser's: IPv4 dotted quad or IPv6 text, in
/// canonical form (an IPv4-mapped IPv6 address is its IPv4 one).
pub fn ip(value: &str) -> Result<IpAddr, String> {
    value
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| "ip is an IPv4 or IPv6 address".to_owned())
}

/// A user agent from a request's header: sessiond cannot refuse a browser for it, so control
/// characters (a tab is allowed in a header) become spaces, and it is cut to
/// [`USER_AGENT`]'s length.
pub fn user_agent_header(raw: &str) -> String {
    raw.chars()
        .take(USER_AGENT.max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_refused_by_every_rule() {
        let rules = [
            USERNAME,
            PASSWORD,
            NEW_PASSWORD,
            CONTEXT,
            ROLE,
            DISPLAY_NAME,
            USER_AGENT,
            TOKEN,
            ACTIVITY_TYPE,
        ];
        let controls = (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32);
        for c in controls {
            for rule in rules {
                let value = format!("abcdefgh{c}");
                assert!(rule.check(&value).is_err(), "{rule:?} took {c:?}");
            }
        }
    }

    #[test]
    fn lengths_count_characters_and_padding_is_ignored_for_usernames() {
        assert!(USERNAME.check("ümlaut.user@example").is_ok());
        assert!(USERNAME.check(&"é".repeat(64)).is_ok());
        assert!(USERNAME.check(&"é".repeat(65)).is_err());
        assert!(USERNAME.check("  alice ").is_ok());
        assert!(USERNAME.check("   ").is_err());
        assert!(USERNAME.check("al ice").is_err());
        assert!(CONTEXT.check(" spaced name ").is_ok());
        assert!(USER_AGENT.check("").is_ok());
        assert!(DISPLAY_NAME.check("").is_err());
        assert!(TOKEN.check("abc def").is_err());
        assert_eq!(
            USERNAME.check("a\0b").unwrap_err(),
            "username is 1 to 64 characters, letters, digits, '.', '_', '@' or '-'"
        );
    }

    #[test]
    fn patterns_carry_the_class_and_the_bounds() {
        assert_eq!(CONTEXT.pattern(), r"^[^\x00-\x1f\x7f-\x9f]{1,64}$");
        assert_eq!(
            USERNAME.pattern(),
            r"^ {0,64}[\p{Alpha}\p{N}._@-]{1,64} {0,64}$"
        );
        assert_eq!(USERNAME.max_length(), 192);
    }

    #[test]
    fn addresses_are_canonical_and_header_user_agents_are_cleaned() {
        assert_eq!(ip("::ffff:10.0.0.1").unwrap().to_string(), "10.0.0.1");
        assert!(ip("").is_err());
        assert!(ip("10.0.0.1\0").is_err());
        assert_eq!(user_agent_header("a\tb"), "a b");
        assert_eq!(user_agent_header(&"é".repeat(600)).chars().count(), 512);
    }
}
