//! The configuration in force as an operator may see it (`sessiond config show`, and the admin
//! API's `GET /api/admin/config`): every variable with its value and where it came from, secrets
//! redacted, and a store URL without its password.

use super::raw::RawConfig;
use super::redact_url;
use super::vars::{Kind, VARS};

/// One variable as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// Its name.
    pub name: String,
    /// Its section's title.
    pub section: &'static str,
    /// The value in force: `<redacted>` for a secret, none when unset (its default applies).
    pub value: Option<String>,
    /// Where the value came from: `environment`, `.env`, or `unset`.
    pub source: &'static str,
}

/// Every variable of `raw`, in the order of the reference, and then the custom settings.
pub fn shown(raw: &RawConfig) -> Vec<Shown> {
    let mut out: Vec<Shown> = VARS
        .iter()
        .map(|var| Shown {
            name: var.name.to_owned(),
            section: var.section.title(),
            value: match raw.get(var) {
                Some(_) if var.is_secret() => Some("<redacted>".to_owned()),
                Some(v) if var.kind == Kind::Url => Some(redact_url(v)),
                Some(v) => Some(v.to_owned()),
                None => None,
            },
            source: raw.source(var).map_or("unset", |s| s.label()),
        })
        .collect();
    out.extend(raw.custom.iter().map(|(k, v)| Shown {
        name: format!("SESSION_CUSTOM_{}", k.to_uppercase()),
        section: "Custom settings (SESSION_CUSTOM_*)",
        value: Some(v.clone()),
        source: "custom",
    }));
    out
}
