//! No acknowledged write is lost: the real binary is killed with SIGKILL under login/logout
//! load, restarted, and every login or logout that was answered 2xx is checked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::binary::{sessiond_fed, start_with, workdir};

const PASSWORD: &str = "durable password";

/// A request as the app's own page sends it (same-origin), with the session cookie if any.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, Option<String>, String)> {
    let origin = format!("http://{addr}");
    let cookie = token.map(|t| format!("sessiond={t}"));
    let mut headers = vec![("Origin", origin.as_str())];
    if let Some(cookie) = &cookie {
        headers.push(("Cookie", cookie.as_str()));
    }
    crate::binary::exchange(addr, method, path, &headers, body)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Acked {
    LoggedIn,
    /// The logout was sent but not answered before the kill: it may or may not have committed.
    LogoutInFlight,
    LoggedOut,
}

fn kill_under_load(vars: &[(&str, &str)]) {
    let dir = workdir();
    let mut vars = vars.to_vec();
    vars.push(("SESSION_MAX_CONCURRENT_PER_USER", "100000"));
    sessiond_fed(
        &dir,
        &vars,
        &["users", "add", "alice", "--role", "oss", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );

    let (mut server, addr, _) = start_with(&dir, &vars);
    let acked: Arc<Mutex<HashMap<String, Acked>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, acked, stop) = (addr.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let login = format!("{{\"username\":\"alice\",\"password\":\"{PASSWORD}\"}}");
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let Some((200, Some(token), _)) =
                        request(&addr, "POST", "/api/session/login", None, &login)
                    else {
                        break;
                    };
                    acked.lock().unwrap().insert(token.clone(), Acked::LoggedIn);
                    n += 1;
                    if n % 2 == 0 {
                        acked
                            .lock()
                            .unwrap()
                            .insert(token.clone(), Acked::LogoutInFlight);
                        match request(&addr, "POST", "/api/session/logout", Some(&token), "") {
                            Some((200, _, _)) => {
                                acked.lock().unwrap().insert(token, Acked::LoggedOut);
                            }
                            _ => break,
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.0.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.0.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 4,
        "the load produced acknowledged writes ({})",
        acked.len()
    );
    assert!(acked.values().any(|a| *a == Acked::LoggedOut));
    let (_server, addr, _) = start_with(&dir, &vars);
    for (token, state) in &acked {
        let (status, _, body) =
            request(&addr, "POST", "/api/session/check", Some(token), "").unwrap();
        match state {
            Acked::LoggedIn => assert_eq!(status, 200, "an acknowledged login was lost: {body}"),
            Acked::LogoutInFlight => assert!(
                status == 200 || body.contains("logged_out"),
                "{status} {body}"
            ),
            Acked::LoggedOut => {
                assert_eq!(status, 401, "an acknowledged logout was lost: {body}");
                assert!(body.contains("logged_out"), "{body}");
            }
        }
    }
}

#[test]
fn no_acknowledged_write_is_lost_on_sigkill_with_sqlite() {
    kill_under_load(&[]);
}

#[test]
fn no_acknowledged_write_is_lost_on_sigkill_with_postgres() {
    let db = crate::binary::FreshDatabase::create("sessiond_kill");
    kill_under_load(&[("SESSIOND_STORE_URL", &db.url)]);
}
