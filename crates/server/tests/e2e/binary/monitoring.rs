//! The binary's monitoring as an operator sees it: an alert logged once when it fires and once
//! when it clears (and on the console when asked), the configuration logged in debug mode with
//! its secrets redacted, and the start-up note of sessions kept in memory.

use std::fs::File;

use super::*;

/// Waits until `path` holds `wanted` `times` times (or more), and answers its text.
fn wait_for(path: &Path, wanted: &str, times: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.matches(wanted).count() >= times {
            return text;
        }
        assert!(Instant::now() < deadline, "no {wanted:?} in\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_alert_is_logged_once_when_it_fires_and_once_when_it_clears() {
    let dir = workdir();
    let secret = "a-server-secret-no-log-may-show-0123456789";
    let vars = [
        ("SESSIOND_SECRET_KEY", secret),
        ("SESSIOND_BIND", "127.0.0.1:0"),
        // A sample a second; above half a session, one session fires it.
        ("SESSION_METRICS_INTERVAL_SECONDS", "1"),
        ("SESSION_ALERT_CONCURRENT_SESSIONS", "0.5"),
        ("SESSION_ENABLE_CONSOLE_ALERTS", "true"),
        ("SESSION_DEBUG_MODE", "true"),
    ];
    sessiond_fed(
        &dir,
        &vars,
        &["users", "add", "carol", "--role", "oss", "--password-stdin"],
        "a long enough password\n",
    );
    let (log, console) = (dir.join("out.log"), dir.join("err.log"));
    let child = sessiond(&dir, &vars)
        .arg("serve")
        .stdout(File::create(&log).unwrap())
        .stderr(File::create(&console).unwrap())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let text = wait_for(&log, "listening on http://", 1);
    let addr = text
        .split("listening on http://")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("configuration: SESSION_DEBUG_MODE=true"),
        "{text}"
    );
    assert!(
        text.contains("configuration: SESSIOND_SECRET_KEY=<redacted>"),
        "{text}"
    );

    let login = raw_http::login(
        &addr,
        "{\"username\":\"carol\",\"password\":\"a long enough password\"}",
    );
    assert_eq!(raw_http::status(&login), 200, "{login}");
    let fired = "alert firing: SESSION_ALERT_CONCURRENT_SESSIONS exceeded";
    wait_for(&log, fired, 1);
    // Three more samples see it still firing: said once.
    std::thread::sleep(Duration::from_millis(3200));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches(fired).count(), 1, "{text}");
    let shown = wait_for(
        &console,
        "sessiond alert FIRING: concurrent_sessions = 1.00",
        1,
    );
    assert_eq!(shown.matches("FIRING").count(), 1, "{shown}");

    // Disabling carol ends her session: the next sample clears it, once.
    sessiond_ok_with(&dir, &vars, &["users", "disable", "carol"]);
    let cleared = "alert cleared: SESSION_ALERT_CONCURRENT_SESSIONS";
    wait_for(&log, cleared, 1);
    std::thread::sleep(Duration::from_millis(2200));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches(cleared).count(), 1, "{text}");
    assert_eq!(text.matches(fired).count(), 1, "{text}");
    wait_for(&console, "sessiond alert cleared: concurrent_sessions", 1);
    for file in [&log, &console] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!text.contains(secret), "the secret in {}", file.display());
    }
}

/// `sessiond args...` with `vars`, run to completion; the test fails unless it succeeds.
fn sessiond_ok_with(dir: &Path, vars: &[(&str, &str)], args: &[&str]) {
    let out = sessiond(dir, vars).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "sessiond {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn without_persistence_the_server_says_its_sessions_live_in_memory() {
    let dir = workdir();
    let (_server, addr, log) = start_with_log(&dir, &[("SESSION_FEATURE_PERSISTENCE", "false")]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("SESSION_FEATURE_PERSISTENCE=false: sessions, users and the audit trail live in this process's memory"),
        "{text}"
    );
    let ready = raw_http::send(&addr, "GET /readyz HTTP/1.1", "");
    assert!(ready.contains("\"store\":\"memory\""), "{ready}");
    assert!(
        !dir.join("data/sessiond.db").exists(),
        "no SQLite file made"
    );
}
