//! Settings that make sense only under a seed's meaning of a variable: `config validate` (and
//! `serve`, in its log) says what sessiond makes of them. Decisions 0020 and 0021 explain them;
//! seed 000's short timeout, which the defaults refuse, is explained where it is refused. It
//! also says what production lacks that it should have (`SESSIOND_PUBLIC_URL`).

use super::raw::{RawConfig, Source};
use super::typed::Config;
use super::vars::{SESSION_EXPIRATION_GRACE_SECONDS, SESSION_LIFETIME_SECONDS, Var};

/// Set by the operator (a file or the environment), not by a default or a preset.
fn set_by_hand(raw: &RawConfig, var: &Var) -> bool {
    matches!(raw.source(var), Some(Source::DotEnv | Source::Environment))
}

pub fn seed_notes(raw: &RawConfig, config: &Config) -> Vec<String> {
    let t = &config.service.timeouts;
    let mut notes = Vec::new();
    if set_by_hand(raw, SESSION_LIFETIME_SECONDS)
        && (t.lifetime_secs >= t.absolute_secs || t.lifetime_secs > 172_800)
    {
        notes.push(format!(
            "SESSION_LIFETIME_SECONDS={}: here it is how often a session's token is renewed, not \
             how long a session lasts (seed 001's \"increase the session lifetime\" advice does not \
             apply); {}. To keep sessions longer, raise SESSION_IDLE_TIMEOUT_SECONDS or \
             SESSION_ABSOLUTE_TIMEOUT_SECONDS (docs/decisions/0020-lifetime-is-the-renewal-interval.md)",
            t.lifetime_secs,
            if t.lifetime_secs >= t.absolute_secs {
                "at or above SESSION_ABSOLUTE_TIMEOUT_SECONDS a token is never renewed"
            } else {
                "raising it only renews tokens less often"
            },
        ));
    }
    if set_by_hand(raw, SESSION_EXPIRATION_GRACE_SECONDS) && t.expiration_grace_secs > 300 {
        notes.push(format!(
            "SESSION_EXPIRATION_GRACE_SECONDS={}: here it is how long a token replaced by a renewal \
             is still accepted (for requests in flight and other tabs), not extra time after a \
             session expires; a long grace keeps a stolen old token useful for longer \
             (docs/decisions/0021-expiration-grace-is-the-renewal-grace.md)",
            t.expiration_grace_secs
        ));
    }
    if config.environment == super::Environment::Production && config.server.public_url.is_none() {
        notes.push(
            "SESSIOND_PUBLIC_URL is not set: set it to the URL browsers reach sessiond at \
             (https://auth.example.com). Without it a browser's Origin is compared with the \
             request's own host, port and scheme, which behind a proxy are only what the proxy's \
             headers say (Host, and X-Forwarded-Proto from SESSIOND_TRUSTED_PROXIES)"
                .to_owned(),
        );
    }
    if config.environment == super::Environment::Production && !config.service.tokens.rotate_refresh
    {
        notes.push(
            "SESSIOND_REFRESH_ROTATION=false: refresh tokens are used again until they expire, so \
             a stolen one works as its owner's and is never detected; keep rotation on unless a \
             client cannot store the new token each refresh gives (docs/origins.md, \"Tokens\")"
                .to_owned(),
        );
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn notes(vars: &[(&str, &str)]) -> Vec<String> {
        let env: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (config, raw) = super::super::from_maps(&BTreeMap::new(), &env).unwrap();
        seed_notes(&raw, &config)
    }

    #[test]
    fn seed_meanings_are_pointed_out_and_defaults_are_quiet() {
        assert!(notes(&[]).is_empty(), "defaults and presets say nothing");
        let n = notes(&[("SESSION_LIFETIME_SECONDS", "259200")]);
        assert!(n[0].contains("not how long a session lasts"), "{n:?}");
        let n = notes(&[("SESSION_EXPIRATION_GRACE_SECONDS", "1800")]);
        assert!(
            n[0].contains("not extra time after a session expires"),
            "{n:?}"
        );
        let seed_000 = notes(&[
            ("SESSION_IDLE_TIMEOUT_SECONDS", "300"),
            ("SESSION_WARNING_THRESHOLD_SECONDS", "60"),
            ("SESSION_EXPIRATION_GRACE_SECONDS", "30"),
        ]);
        assert!(seed_000.is_empty(), "{seed_000:?}");
    }

    #[test]
    fn production_is_told_when_refresh_tokens_do_not_rotate() {
        let production = [
            ("SESSION_ENVIRONMENT", "production"),
            ("SESSIOND_PUBLIC_URL", "https://auth.example.com"),
            (
                "SESSIOND_SECRET_KEY",
                "a-production-secret-key-0123456789abcdef",
            ),
        ];
        assert!(notes(&production).is_empty());
        let mut kept = production.to_vec();
        kept.push(("SESSIOND_REFRESH_ROTATION", "false"));
        let n = notes(&kept);
        assert!(
            n.iter()
                .any(|n| n.starts_with("SESSIOND_REFRESH_ROTATION=false")),
            "{n:?}"
        );
    }

    #[test]
    fn production_without_a_public_url_is_told_to_set_one() {
        let production = [
            ("SESSION_ENVIRONMENT", "production"),
            (
                "SESSIOND_SECRET_KEY",
                "a-production-secret-key-0123456789abcdef",
            ),
        ];
        let n = notes(&production);
        assert!(
            n.iter()
                .any(|n| n.starts_with("SESSIOND_PUBLIC_URL is not set")),
            "{n:?}"
        );
        let mut with_url = production.to_vec();
        with_url.push(("SESSIOND_PUBLIC_URL", "https://auth.example.com"));
        assert!(notes(&with_url).is_empty());
    }
}
