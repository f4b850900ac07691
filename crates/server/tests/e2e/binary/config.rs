//! The binary's configuration: refused with every problem listed (exit 2), `.env` and the
//! environment, `config show`, `template`, `optimize-for`, `set-env` and `validate`.

use super::*;

#[test]
fn invalid_configuration_exits_2_listing_every_problem() {
    let dir = workdir();
    let vars = [
        ("SESSION_IDLE_TIMEOUT_SECONDS", "999999"),
        ("SESSION_CLEANUP_BATCH_SIZE", "0"),
        ("SESSION_ENVIRONMENT", "prod"),
    ];
    for args in [&["config", "validate"][..], &["serve"][..]] {
        let out = sessiond(&dir, &vars).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        for needle in [
            "SESSION_IDLE_TIMEOUT_SECONDS=999999",
            "SESSION_CLEANUP_BATCH_SIZE=0",
            "SESSION_ENVIRONMENT=\"prod\"",
        ] {
            assert!(err.contains(needle), "{args:?}: missing {needle} in {err}");
        }
    }
    let out = sessiond(&dir, &[])
        .args(["config", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn dotenv_is_read_and_the_environment_wins() {
    let dir = workdir();
    std::fs::write(
        dir.join(".env"),
        "SESSION_CLEANUP_BATCH_SIZE=0\nSESSION_CUSTOM_MODE=blue\n",
    )
    .unwrap();
    let out = sessiond(&dir, &[])
        .args(["config", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the .env value is read");
    let out = sessiond(&dir, &[("SESSION_CLEANUP_BATCH_SIZE", "5")])
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("SESSION_CLEANUP_BATCH_SIZE")
                && l.contains(" 5 ")
                && l.contains("[env]")),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("SESSION_CUSTOM_MODE") && l.contains("blue")),
        "a custom setting under its variable's name: {shown}"
    );
}

#[test]
fn config_show_redacts_the_secret_key_and_a_store_urls_password() {
    let dir = workdir();
    let key = "super-secret-key-value-0123456789abcdef";
    let vars = [
        ("SESSIOND_SECRET_KEY", key),
        (
            "SESSIOND_STORE_URL",
            "postgres://app:hunter2@db.internal/sessions",
        ),
    ];
    let out = sessiond(&dir, &vars)
        .args(["config", "show"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("<redacted>") && !shown.contains(key) && !shown.contains("hunter2"),
        "{shown}"
    );
    assert!(
        shown.contains("postgres://app:<redacted>@db.internal/sessions"),
        "{shown}"
    );
}

#[test]
fn config_template_optimize_and_set_env() {
    let dir = workdir();
    let out = sessiond(&dir, &[])
        .args(["config", "template", "--output", "session.env"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let template = std::fs::read_to_string(dir.join("session.env")).unwrap();
    assert!(template.contains("# SESSION_IDLE_TIMEOUT_SECONDS=86400"));
    let out = sessiond(&dir, &[])
        .args(["config", "optimize-for", "production"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("SESSION_MAX_CLEANUP_BATCHES=20"));
    let out = sessiond(&dir, &[])
        .args(["config", "set-env", "testing"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join(".env")).unwrap(),
        "SESSION_ENVIRONMENT=testing\n"
    );
    let out = sessiond(&dir, &[])
        .args(["config", "set-env", "moon"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap refuses an unknown environment"
    );
}

/// `config validate` says when a variable is set as only a seed's meaning of it would make
/// sense: the lifetime raised to keep sessions longer (seed 001's advice), a long expiration
/// grace, and seed 000's 5-minute timeout without its 1-minute warning.
#[test]
fn config_validate_explains_settings_that_follow_a_seeds_meaning() {
    let dir = workdir();
    let out = sessiond(
        &dir,
        &[
            ("SESSION_LIFETIME_SECONDS", "259200"),
            ("SESSION_EXPIRATION_GRACE_SECONDS", "1800"),
        ],
    )
    .args(["config", "validate"])
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("note: SESSION_LIFETIME_SECONDS=259200"),
        "{text}"
    );
    assert!(
        text.contains("note: SESSION_EXPIRATION_GRACE_SECONDS=1800"),
        "{text}"
    );

    let out = sessiond(&dir, &[("SESSION_IDLE_TIMEOUT_SECONDS", "300")])
        .args(["config", "validate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SESSION_WARNING_THRESHOLD_SECONDS=60"),
        "{err}"
    );
}

/// An error whose causes repeat each other is said once (it used to read `db error: db error:
/// FATAL: ...`).
#[test]
fn a_store_error_says_each_cause_once() {
    let dir = workdir();
    let base = sessiond_testkit::stores::postgres_url();
    let (server, _) = base.rsplit_once('@').unwrap();
    let (scheme, _) = server.split_once("://").unwrap();
    let url = format!(
        "{scheme}://no_such_role_here@{}",
        base.rsplit_once('@').unwrap().1
    );
    let out = sessiond(&dir, &[("SESSIOND_STORE_URL", &url)])
        .args(["users", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no_such_role_here"), "{stderr}");
    assert_eq!(stderr.matches("db error").count(), 1, "{stderr}");
}

/// `SIGHUP` reads `.env` again: the alerts' thresholds, the log filter and the custom settings
/// take effect at once; any other change is named as waiting for a restart; a broken file is
/// refused and the configuration in force stays.
#[cfg(unix)]
#[test]
fn sighup_reloads_what_it_can_and_names_what_waits_for_a_restart() {
    use std::time::{Duration, Instant};
    let dir = workdir();
    let env = dir.join(".env");
    std::fs::write(
        &env,
        "SESSION_ALERT_FAILURE_RATE=10\nSESSION_CUSTOM_PUBLIC_MOTD=hello\n",
    )
    .unwrap();
    let (server, addr, log) = start_with_log(&dir, &[]);
    let get = |path: &str| raw_http::send(&addr, &format!("GET {path} HTTP/1.1"), "");
    let threshold = |value: &str| {
        let line = format!("sessiond_alert_threshold{{alert=\"failure_rate\"}} {value}");
        get("/metrics").lines().any(|l| l == line)
    };
    assert!(threshold("10.0"), "{}", get("/metrics"));
    assert!(get("/api/session/client-config").contains("\"motd\":\"hello\""));

    let hangup_until = |wanted: &str, seen_before: usize| {
        let pid = server.0.id().to_string();
        let ok = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&log).unwrap();
            if text.matches(wanted).count() > seen_before {
                return text;
            }
            assert!(Instant::now() < deadline, "no {wanted:?} in\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    std::fs::write(
        &env,
        "SESSION_ALERT_FAILURE_RATE=3\nSESSION_CUSTOM_PUBLIC_MOTD=bye\nSESSIOND_COOKIE_NAME=other\n",
    )
    .unwrap();
    let text = hangup_until("SIGHUP: configuration reloaded", 0);
    assert!(threshold("3.0"), "{}", get("/metrics"));
    assert!(get("/api/session/client-config").contains("\"motd\":\"bye\""));
    assert!(
        text.contains("SESSIOND_COOKIE_NAME changed; it takes effect when sessiond restarts"),
        "{text}"
    );
    assert!(
        !text.contains("SESSION_ALERT_FAILURE_RATE changed"),
        "{text}"
    );
    assert!(!text.contains("the log filter stays"), "{text}");

    std::fs::write(&env, "SESSION_ALERT_FAILURE_RATE=many\n").unwrap();
    hangup_until("the configuration was not reloaded", 0);
    assert!(threshold("3.0"), "the one in force stays");
    assert!(
        raw_http::status(&get("/healthz")) == 200,
        "still serving after a refused reload"
    );
}
