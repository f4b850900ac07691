//! What the server logs of its requests: one line each at `info`, with the route, the status,
//! the duration and the request id a client can quote; never a token.

use super::*;

#[tokio::test]
async fn every_request_is_one_line_with_route_status_duration_and_id() {
    let dir = workdir();
    let (_server, addr, log) = start_with_log(&dir, &[]);
    let token = "b".repeat(43);
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/api/session/check?next=/secret-path"))
        .header("cookie", format!("sessiond={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if let Some(line) = text
            .lines()
            .find(|l| l.contains(&id) && l.contains("\"request\""))
        {
            break serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
        assert!(Instant::now() < deadline, "no line with {id}:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["target"], "sessiond::access");
    assert_eq!(line["route"], "/api/session/check");
    assert_eq!(line["status"], 401);
    assert!(line["duration_ms"].as_f64().is_some(), "{line}");
    assert_eq!(line["span"]["id"], id.as_str());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(&token) && !text.contains("secret-path"),
        "{text}"
    );
}

/// Into a file the log is JSON by default, and text when asked, without a colour code either
/// way: a terminal gets colours, a file gets none.
#[test]
fn a_log_in_a_file_is_json_by_default_and_never_coloured() {
    let dir = workdir();
    let (server, _, log) = start_with_log(&dir, &[]);
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "{first}"
    );
    let (server, _, log) = start_with_log(&dir, &[("SESSIOND_LOG_FORMAT", "text")]);
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("listening on"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI codes in a file: {text:?}"
    );
}

/// An audit line's `details` is a JSON object a log pipeline can query (`details.reason`), not
/// a string of JSON inside the line.
#[tokio::test]
async fn an_audit_lines_details_are_an_object() {
    let dir = workdir();
    let (_server, addr, log) = start_with_log(&dir, &[]);
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/session/login"))
        .header("origin", format!("http://{addr}"))
        .json(&serde_json::json!({"username": "nobody", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if let Some(line) = text.lines().find(|l| l.contains("LOGIN_FAILED")) {
            break serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
        assert!(Instant::now() < deadline, "no LOGIN_FAILED line:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(line["target"], "sessiond::audit", "{line}");
    assert!(line["details"].is_object(), "{line}");
    assert!(line["details"]["reason"].is_string(), "{line}");
}
