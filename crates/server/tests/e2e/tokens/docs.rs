//! The docs' token examples, run as written: the curl walk-through and a `jose` verification.

use super::*;

fn docs_example(heading: &str, language: &str) -> String {
    let doc = include_str!("../../../../../docs/api.md");
    let section = doc.split(heading).nth(1).unwrap();
    let fence = format!("```{language}\n");
    let start = section.find(&fence).unwrap() + fence.len();
    let len = section[start..].find("```").unwrap();
    section[start..start + len].to_owned()
}

async fn run(program: &str, args: Vec<String>, dir: &str, env: Vec<(&str, String)>) -> String {
    let (program, dir) = (program.to_owned(), dir.to_owned());
    let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    // The server answers on this runtime; the client runs on a blocking thread beside it.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args(&args)
            .current_dir(dir)
            .envs(env)
            .output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("needed (scripts/test installs it): {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_curl_walk_through_of_docs_api_md_works() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let script = docs_example("### Walk-through with curl", "sh");
    let env = vec![
        ("SESSIOND_URL", srv.base.clone()),
        ("PASSWORD", PASSWORD.to_owned()),
    ];
    let printed = run(
        "bash",
        vec!["-euo".into(), "pipefail".into(), "-c".into(), script],
        ".",
        env,
    )
    .await;
    assert_eq!(printed, "alice\nLogged out\nlogged_out");
}

/// Tokens verify with a JWT library that is not ours (`jose` for Node, the docs' example),
/// through the JWKS document alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_jwt_library_verifies_the_tokens_through_the_jwks() {
    let srv = TestServer::start(&[]).await;
    // jose checks `exp` against the real time.
    srv.clock.set(sessiond_core::Timestamp::now());
    srv.add_user("alice", "oss").await;
    let pair = token_login(&srv, "alice").await;
    let script = docs_example("### Verifying access tokens in a resource server", "js");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../clients/js");
    let env = vec![
        ("SESSIOND_URL", srv.base.clone()),
        ("ACCESS_TOKEN", text(&pair, "access_token")),
        ("SESSION_ID", text(&pair, "session_id")),
    ];
    let args = vec!["--input-type=module".into(), "-e".into(), script.clone()];
    assert_eq!(run("node", args, dir, env.clone()).await, "alice true");

    // And it refuses what it should: a token signed by a key the document does not hold.
    let mut forged = text(&pair, "access_token").into_bytes();
    let i = forged.len() - 10;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let env = vec![
        ("SESSIOND_URL", srv.base.clone()),
        ("ACCESS_TOKEN", forged),
        ("SESSION_ID", text(&pair, "session_id")),
    ];
    let args = vec!["--input-type=module".into(), "-e".into(), script];
    let (program, dir) = ("node".to_owned(), dir.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program)
            .args(args)
            .current_dir(dir)
            .envs(env)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(!out.status.success(), "jose accepted a changed signature");
}
