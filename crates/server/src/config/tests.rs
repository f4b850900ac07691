//! The checked configuration: defaults, presets, layering and every problem at once.

use std::collections::BTreeMap;

use super::from_maps;
use super::vars::{ENVIRONMENTS, Environment};
use super::{Secret, StoreUrl};

pub(super) fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_are_the_seeds_and_development_is_valid() {
    let (c, _) = from_maps(&env(&[]), &env(&[])).unwrap();
    assert_eq!(c.environment, Environment::Development);
    assert_eq!(c.service.timeouts.idle_secs, 86_400);
    assert_eq!(c.service.timeouts.absolute_secs, 604_800);
    assert_eq!(
        c.service.timeouts.lifetime_secs, 86_400,
        "development preset"
    );
    assert_eq!(c.service.timeouts.warning_secs, 900);
    assert_eq!(c.service.cleanup.interval_secs, 900, "development preset");
    assert!(!c.server.cookie_secure);
}

#[test]
fn every_environment_preset_is_valid() {
    for e in ENVIRONMENTS {
        let key = "0123456789abcdef0123456789abcdef";
        let got = from_maps(
            &env(&[]),
            &env(&[("SESSION_ENVIRONMENT", e), ("SESSIOND_SECRET_KEY", key)]),
        );
        assert!(got.is_ok(), "{e}: {:?}", got.err());
    }
}

#[test]
fn explicit_variables_win_over_the_preset_and_env_over_dotenv() {
    let dotenv = env(&[
        ("SESSION_ENVIRONMENT", "production"),
        ("SESSION_CLEANUP_BATCH_SIZE", "7"),
    ]);
    let process = env(&[
        ("SESSION_CLEANUP_BATCH_SIZE", "9"),
        ("SESSIOND_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
        ("SESSION_CUSTOM_MAX_RETRIES", "3"),
        ("SESSION_IDEL_TIMEOUT_SECONDS", "5"),
    ]);
    let (c, raw) = from_maps(&dotenv, &process).unwrap();
    assert_eq!(c.environment, Environment::Production);
    assert_eq!(c.service.cleanup.batch_size, 9);
    assert_eq!(c.service.cleanup.max_batches, 20, "production preset");
    assert!(c.server.cookie_secure);
    assert_eq!(c.custom.get("max_retries").map(String::as_str), Some("3"));
    assert_eq!(raw.unknown, vec!["SESSION_IDEL_TIMEOUT_SECONDS"]);
}

#[test]
fn every_problem_is_listed_with_variable_value_and_rule() {
    let bad = env(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "100000"),
        ("SESSION_LIFETIME_SECONDS", "50000"),
        ("SESSION_CLEANUP_BATCH_SIZE", "0"),
        ("SESSION_SYNC_TIMEOUT_SECONDS", "40"),
        ("SESSION_MAX_CONCURRENT_PER_USER", "lots"),
        ("SESSION_ENABLE_FINGERPRINTING", "maybe"),
        ("SESSIOND_BIND", "nowhere"),
    ]);
    let problems = from_maps(&env(&[]), &bad).unwrap_err();
    let all = problems.join("\n");
    for needle in [
        "SESSION_IDLE_TIMEOUT_SECONDS=100000 must be <= SESSION_LIFETIME_SECONDS=50000",
        "SESSION_CLEANUP_BATCH_SIZE=0: must be positive",
        "SESSION_SYNC_TIMEOUT_SECONDS=40 must be < SESSION_HEARTBEAT_INTERVAL_SECONDS=30",
        "SESSION_MAX_CONCURRENT_PER_USER=\"lots\"",
        "SESSION_ENABLE_FINGERPRINTING=\"maybe\"",
        "SESSIOND_BIND=\"nowhere\"",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

#[test]
fn ldap_takes_ldaps_or_ldap_and_starttls_only_on_ldap() {
    let ok = |vars: &[(&str, &str)]| from_maps(&env(&[]), &env(vars));
    let (c, _) = ok(&[
        ("SESSIOND_LDAP_URL", "ldaps://dc.corp.example:636"),
        ("SESSIOND_LDAP_CA_FILE", "/etc/ssl/corp-ca.pem"),
    ])
    .unwrap();
    let ldap = c.server.ldap.unwrap();
    assert!(!ldap.starttls);
    assert_eq!(ldap.ca_file, Some("/etc/ssl/corp-ca.pem".into()));
    let (c, _) = ok(&[
        ("SESSIOND_LDAP_URL", "ldap://dc.corp.example"),
        ("SESSIOND_LDAP_STARTTLS", "true"),
    ])
    .unwrap();
    assert!(c.server.ldap.unwrap().starttls);
    for (vars, needle) in [
        (
            &[("SESSIOND_LDAP_URL", "http://dc")][..],
            "expected ldaps://HOST:PORT or ldap://HOST:PORT",
        ),
        (
            &[
                ("SESSIOND_LDAP_URL", "ldaps://dc"),
                ("SESSIOND_LDAP_STARTTLS", "true"),
            ][..],
            "the connection is TLS already",
        ),
    ] {
        let all = ok(vars).unwrap_err().join("\n");
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

#[test]
fn second_scale_timeouts_are_valid() {
    let short = env(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "3"),
        ("SESSION_LIFETIME_SECONDS", "6"),
        ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "60"),
        ("SESSION_WARNING_THRESHOLD_SECONDS", "2"),
        ("SESSION_EXPIRATION_GRACE_SECONDS", "1"),
    ]);
    assert!(from_maps(&env(&[]), &short).is_ok());
}

#[test]
fn store_urls_are_checked() {
    for bad in ["postgres-ish://x", "sqlite::memory:", "sqlite://"] {
        let problems = from_maps(&env(&[]), &env(&[("SESSIOND_STORE_URL", bad)])).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("SESSIOND_STORE_URL")),
            "{bad}: {problems:?}"
        );
    }
    let (c, _) = from_maps(&env(&[]), &env(&[("SESSIOND_STORE_URL", "memory://")])).unwrap();
    assert_eq!(c.server.store, StoreUrl::Memory);
}

#[test]
fn return_hosts_are_hosts_only() {
    for bad in [
        "https://app.example.com",
        "app.example.com/x",
        "*.example.com",
    ] {
        let problems = from_maps(&env(&[]), &env(&[("SESSIOND_RETURN_HOSTS", bad)])).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("SESSIOND_RETURN_HOSTS")),
            "{bad}: {problems:?}"
        );
    }
    let hosts = "App.Example.com, app.example.com:8443";
    let (c, _) = from_maps(&env(&[]), &env(&[("SESSIOND_RETURN_HOSTS", hosts)])).unwrap();
    assert_eq!(
        c.server.returns.hosts,
        ["app.example.com", "app.example.com:8443"]
    );
}

#[test]
fn production_requires_a_secret_key() {
    let problems =
        from_maps(&env(&[]), &env(&[("SESSION_ENVIRONMENT", "production")])).unwrap_err();
    assert!(problems.iter().any(|p| p.contains("SESSIOND_SECRET_KEY")));
}

#[test]
fn production_refuses_an_insecure_cookie_unless_told_it_is_on_purpose() {
    let prod = [
        ("SESSION_ENVIRONMENT", "production"),
        ("SESSIOND_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
        ("SESSIOND_COOKIE_SECURE", "false"),
    ];
    let problems = from_maps(&env(&[]), &env(&prod)).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("SESSIOND_COOKIE_SECURE=false in production")),
        "{problems:?}"
    );
    let mut allowed = prod.to_vec();
    allowed.push(("SESSIOND_ALLOW_INSECURE_COOKIE", "true"));
    let (c, _) = from_maps(&env(&[]), &env(&allowed)).unwrap();
    assert!(!c.server.cookie_secure && c.server.insecure_cookie_allowed);
    let (c, _) = from_maps(&env(&[]), &env(&prod[..2])).unwrap();
    assert!(c.server.cookie_secure, "secure by default in production");
}

#[test]
fn ldap_groups_are_mapped_by_full_dn_only() {
    let ldap = |roles: &str| {
        let vars = [
            ("SESSIOND_LDAP_URL", "ldaps://ldap.example.org"),
            ("SESSIOND_LDAP_GROUP_ROLES", roles),
        ];
        from_maps(&env(&[]), &env(&vars))
    };
    let problems = ldap("netadmins=netadmin").unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("full DN")),
        "{problems:?}"
    );
    let (c, _) = ldap(
        "cn=netadmins,ou=groups,dc=example,dc=org=netadmin; cn=root,ou=groups,dc=example,dc=org=superadmin",
    )
    .unwrap();
    let roles = c.server.ldap.unwrap().group_roles;
    assert_eq!(
        roles,
        [
            (
                "cn=netadmins,ou=groups,dc=example,dc=org".to_owned(),
                "netadmin".to_owned()
            ),
            (
                "cn=root,ou=groups,dc=example,dc=org".to_owned(),
                "superadmin".to_owned()
            ),
        ]
    );
}

#[test]
fn secret_debug_is_redacted() {
    assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "<redacted>");
}

#[test]
fn problems_never_echo_a_secret_and_every_kind_is_checked() {
    let bad = env(&[
        ("SESSIOND_SECRET_KEY", "short-secret"),
        ("SESSIOND_STORE_URL", "ftp://admin:hunter2@db"),
        ("SESSIOND_LOG_FORMAT", "xml"),
        ("SESSION_ALERT_FAILURE_RATE", "-1"),
        ("SESSION_ENVIRONMENT", "prod"),
    ]);
    let all = from_maps(&env(&[]), &bad).unwrap_err().join("\n");
    assert!(
        !all.contains("short-secret") && !all.contains("hunter2"),
        "{all}"
    );
    for needle in [
        "SESSIOND_SECRET_KEY=<redacted>",
        "ftp://admin:<redacted>@db",
        "SESSIOND_LOG_FORMAT=\"xml\": expected auto, json or text",
        "SESSION_ALERT_FAILURE_RATE=-1: must be a non-negative number",
        "SESSION_ENVIRONMENT=\"prod\": expected development, testing, staging or production",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

#[test]
fn presets_come_from_the_table() {
    use super::vars::{SESSION_CLEANUP_BATCH_SIZE, SESSIOND_COOKIE_SECURE};
    assert_eq!(
        SESSION_CLEANUP_BATCH_SIZE.preset(Environment::Production),
        Some("200")
    );
    assert_eq!(
        SESSION_CLEANUP_BATCH_SIZE.preset(Environment::Staging),
        None
    );
    for e in ENVIRONMENTS {
        let e = Environment::parse(e).unwrap();
        assert!(SESSIOND_COOKIE_SECURE.preset(e).is_some(), "{e:?}");
    }
}

#[test]
fn the_cache_ttl_is_bounded() {
    let problems =
        from_maps(&env(&[]), &env(&[("SESSIOND_CACHE_TTL_SECONDS", "3600")])).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("SESSIOND_CACHE_TTL_SECONDS=3600: at most 60")),
        "{problems:?}"
    );
    assert!(from_maps(&env(&[]), &env(&[("SESSIOND_CACHE_TTL_SECONDS", "60")])).is_ok());
}

#[test]
fn trusted_proxies_and_the_metrics_settings_are_checked() {
    let (c, _) = from_maps(
        &env(&[]),
        &env(&[("SESSIOND_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]),
    )
    .unwrap();
    assert!(
        c.server
            .trusted_proxies
            .contains("10.9.8.7".parse().unwrap())
    );
    for (var, bad) in [
        ("SESSIOND_TRUSTED_PROXIES", "10.0.0.0/40"),
        ("SESSIOND_METRICS_BIND", "localhost"),
        ("SESSIOND_METRICS_TOKEN", "short"),
    ] {
        let problems = from_maps(&env(&[]), &env(&[(var, bad)])).unwrap_err();
        assert!(
            problems.iter().any(|p| p.starts_with(var)),
            "{var}: {problems:?}"
        );
    }
}

/// `SESSIOND_LOG=verbose` is, to tracing, a target logged at every level with everything else
/// off: a server that prints nothing. It is refused like any other bad value.
#[test]
fn a_log_filter_is_levels_or_target_equals_level() {
    for good in [
        "info",
        "warn,sessiond_http=debug",
        "sessiond_core::service=TRACE",
        "off",
    ] {
        assert!(
            from_maps(&env(&[]), &env(&[("SESSIOND_LOG", good)])).is_ok(),
            "{good}"
        );
    }
    for bad in ["verbose", "info,loud", "sessiond_http=chatty"] {
        let problems = from_maps(&env(&[]), &env(&[("SESSIOND_LOG", bad)])).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("SESSIOND_LOG={bad:?}"))
                    && p.contains("not a level (trace, debug, info, warn, error, off)")),
            "{bad}: {problems:?}"
        );
    }
}
