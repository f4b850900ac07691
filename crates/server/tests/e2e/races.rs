//! Logins against what should stop them, on every store, with many parallel requests and two
//! nodes: a login in flight against the revocation it raced, parallel guesses against the
//! lockout, and the owner's device cookie past a lock (docs/security.md, "The outside review").

use std::sync::Arc;

use serde_json::json;
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{Browser, PASSWORD, TestServer, config_with};
use tokio::task::JoinHandle;

const NEW_PASSWORD: &str = "a brand new password";

/// Logins of `name` that run while the caller does something else.
fn spawn_logins(srv: &TestServer, name: &str, n: usize) -> Vec<(Arc<Browser>, JoinHandle<u16>)> {
    (0..n)
        .map(|_| {
            let b = Arc::new(srv.browser());
            let (browser, name) = (b.clone(), name.to_owned());
            let handle = tokio::spawn(async move { browser.login(&name, PASSWORD).await.status });
            (b, handle)
        })
        .collect()
}

/// Runs `command` on `name` while eight logins of `name` are in flight: it starts once the
/// first login has answered, so the others are between their password check and their
/// create. Returns the browsers that logged in.
async fn race(srv: &TestServer, name: &str, command: &str) -> Vec<Arc<Browser>> {
    let changer = match command {
        "own-password" => Some(srv.logged_in(name).await),
        _ => None,
    };
    let mut logins = spawn_logins(srv, name, 8);
    let (first, handle) = logins.remove(0);
    handle.await.unwrap();
    let service = &srv.state.service;
    match command {
        "disable" => drop(service.admin().disable_user(name).await.unwrap()),
        "set-password" => drop(
            service
                .admin()
                .set_password(name, NEW_PASSWORD)
                .await
                .unwrap(),
        ),
        "set-role" => drop(service.admin().set_role(name, "netadmin").await.unwrap()),
        "rename" => drop(
            service
                .admin()
                .rename_user(name, &format!("{name}.new"))
                .await
                .unwrap(),
        ),
        "delete" => drop(service.admin().delete_user(name).await.unwrap()),
        _ => {
            let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
            let r = changer
                .as_ref()
                .unwrap()
                .post("/api/session/password", Some(body))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
    let mut browsers = vec![first];
    for (b, handle) in logins {
        handle.await.unwrap();
        browsers.push(b);
    }
    browsers.retain(|b| b.token().is_some());
    browsers
}

/// After `users disable`, `set-password`, `set-role`, `rename`, `delete` or the user's own
/// password change returns, no session of the user created before it answers 200, whatever the interleaving.
async fn no_login_survives_the_revocation_it_raced(backend: Backend) {
    let store = SharedStore::new(backend);
    let vars = [
        ("SESSIOND_LOGIN_RATE_LIMIT", "10000"),
        ("SESSION_MAX_CONCURRENT_PER_USER", "100"),
    ];
    let srv = TestServer::start_with(config_with(&vars), store.open().await).await;
    for round in 0..3 {
        for command in [
            "disable",
            "set-password",
            "set-role",
            "rename",
            "delete",
            "own-password",
        ] {
            let name = format!("u{round}-{command}");
            srv.add_user(&name, "oss").await;
            for b in race(&srv, &name, command).await {
                let r = b.check().await;
                let survived = r.status == 200 && r.body["role"] != "netadmin";
                assert!(
                    !survived,
                    "{backend:?}, round {round}: a session of {name} opened before `{command}` \
                     returned still answers: {}",
                    r.body
                );
            }
        }
    }
}

mod a_login_in_flight_never_survives_the_revocation_it_raced {
    sessiond_testkit::on_every_store!(super::no_login_survives_the_revocation_it_raced);
}

/// Two nodes on `store` that lock an account after three failures (and never rate-limit the
/// test's one address), and the user alice.
async fn two_nodes_locking_at_three(store: &SharedStore) -> (TestServer, TestServer) {
    let vars = [
        ("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3"),
        ("SESSIOND_LOGIN_RATE_LIMIT", "10000"),
    ];
    let a = TestServer::start_with(config_with(&vars), store.open().await).await;
    let b = TestServer::start_with(config_with(&vars), store.open().await).await;
    a.add_user("alice", "oss").await;
    (a, b)
}

/// With a threshold of 3, sixteen parallel wrong guesses split over two nodes on one store
/// have at most three passwords checked, and then the right password is refused too.
async fn parallel_guesses_never_beat_the_lockout(backend: Backend) {
    let store = SharedStore::new(backend);
    let (a, b) = two_nodes_locking_at_three(&store).await;
    let guesses: Vec<JoinHandle<u16>> = (0..16)
        .map(|i| {
            let browser = if i % 2 == 0 { a.browser() } else { b.browser() };
            tokio::spawn(async move { browser.login("alice", "wrong guess!").await.status })
        })
        .collect();
    for g in guesses {
        assert_eq!(g.await.unwrap(), 401);
    }
    let failed = a.audited("LOGIN_FAILED").await;
    let checked = failed
        .iter()
        .filter(|e| e.details["reason"] == "wrong_password")
        .count();
    assert!(
        checked <= 3,
        "{backend:?}: {checked} guesses were checked against the real hash"
    );
    assert_eq!(a.audited("ACCOUNT_LOCKED").await.len(), 1, "{backend:?}");
    for srv in [&a, &b] {
        let r = srv.browser().login("alice", PASSWORD).await;
        assert_eq!(r.status, 401, "{backend:?}: the locked account logged in");
    }
}

mod parallel_guesses_never_beat_the_lockout {
    sessiond_testkit::on_every_store!(super::parallel_guesses_never_beat_the_lockout);
}

/// The device-cookie exemption holds across nodes and stores: strangers lock the account
/// through node A and B alike, and the owner's browser, whose device cookie node A issued,
/// still logs in on node B.
async fn the_owners_device_gets_past_a_lock_on_any_node(backend: Backend) {
    let store = SharedStore::new(backend);
    let (a, b) = two_nodes_locking_at_three(&store).await;
    let device_cookie = format!("{}_device", a.state.cookie.name);
    let owner = a.logged_in("alice").await;
    let device = owner.cookie(&device_cookie).unwrap();
    for i in 0..4 {
        let srv = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            srv.browser().login("alice", "guess!guess").await.status,
            401
        );
    }
    for srv in [&a, &b] {
        let r = srv.browser().login("alice", PASSWORD).await;
        assert_eq!(r.status, 401, "{backend:?}: locked for strangers");
    }
    let on_b = b.browser();
    on_b.set_cookie(&device_cookie, Some(&device));
    let r = on_b.login("alice", PASSWORD).await;
    assert_eq!(
        r.status, 200,
        "{backend:?}: the owner's browser: {}",
        r.body
    );
}

mod the_owners_device_gets_past_a_lock_on_any_node {
    sessiond_testkit::on_every_store!(super::the_owners_device_gets_past_a_lock_on_any_node);
}
