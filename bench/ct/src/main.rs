//! dudect (Reparaz, Balasch, Verbauwhede 2017) on sessiond's secret comparisons. Each benchmark
//! times one operation on two classes of input and reports Welch's t: |t| < 5 after millions
//! of runs means no timing difference was found.
//!
//!     cargo run --release --manifest-path bench/ct/Cargo.toml -- --continuous csrf_right_vs_random
//!     cargo run --release --manifest-path bench/ct/Cargo.toml -- --continuous login_unknown_vs_wrong_password
//!     cargo run --release --manifest-path bench/ct/Cargo.toml -- --continuous api_key_near_miss_vs_decoy
//!
//! Not a CI test: timings depend on the machine. The figure is reported in docs/security.md.

use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};
use rand::RngExt;
use std::sync::Arc;

use sessiond_core::api_key::Scope;
use sessiond_core::audit::Auditor;
use sessiond_core::memory::MemoryStore;
use sessiond_core::service::{NewApiKey, NewUser, Read};
use sessiond_core::time::ManualClock;
use sessiond_core::{ClientInfo, Clock, SecretKey, SessionId, SessionService, Settings, Token};

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn random_token(rng: &mut BenchRng, len: usize) -> String {
    (0..len)
        .map(|_| BASE64URL[rng.random_range(0..BASE64URL.len())] as char)
        .collect()
}

/// Class Left: a CSRF token that differs from the right one only in its last character (the
/// longest matching prefix). Class Right: a random token of the same length. A comparison that
/// stopped at the first difference would take longer on Left.
fn csrf_near_miss_vs_random(runner: &mut CtRunner, rng: &mut BenchRng) {
    let key = SecretKey::generate().unwrap();
    let id = SessionId::generate(ManualClock::at_epoch().now()).unwrap();
    let hash = Token::generate().unwrap().hash();
    let right = key.csrf_token(&id, &hash);
    let mut near = right.clone().into_bytes();
    let last = near.len() - 1;
    near[last] = if near[last] == b'A' { b'B' } else { b'A' };
    let near = String::from_utf8(near).unwrap();
    let inputs: Vec<(Class, String)> = (0..100_000)
        .map(|_| {
            if rng.random::<bool>() {
                (Class::Left, near.clone())
            } else {
                (Class::Right, random_token(rng, right.len()))
            }
        })
        .collect();
    for (class, presented) in inputs {
        runner.run_one(class, || key.verify_csrf(&id, &hash, &presented));
    }
}

/// Class Left: the right CSRF token. Class Right: a random one. Accepting and refusing must
/// take the same time too.
fn csrf_right_vs_random(runner: &mut CtRunner, rng: &mut BenchRng) {
    let key = SecretKey::generate().unwrap();
    let id = SessionId::generate(ManualClock::at_epoch().now()).unwrap();
    let hash = Token::generate().unwrap().hash();
    let right = key.csrf_token(&id, &hash);
    let inputs: Vec<(Class, String)> = (0..100_000)
        .map(|_| {
            if rng.random::<bool>() {
                (Class::Left, right.clone())
            } else {
                (Class::Right, random_token(rng, right.len()))
            }
        })
        .collect();
    for (class, presented) in inputs {
        runner.run_one(class, || key.verify_csrf(&id, &hash, &presented));
    }
}

/// docs/security.md row 42: a login for an unknown user and one for a known user with the wrong
/// password must take the same time, or the time tells which usernames exist. The whole
/// `SessionService::login` runs (store lookup, Argon2id on the real or the dummy hash, audit),
/// on a memory store. Argon2 makes each sample slow, so a run has 2,000 of them.
fn login_unknown_vs_wrong_password(runner: &mut CtRunner, rng: &mut BenchRng) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stores = MemoryStore::stores();
    let settings = Settings {
        logins_per_ip_per_minute: u32::MAX,
        lockout_threshold: u32::MAX,
        ..Settings::default()
    };
    let service = SessionService::new(
        stores.clone(),
        Arc::new(ManualClock::at_epoch()),
        settings,
        SecretKey::generate().unwrap(),
        Auditor::new(stores.audit.clone(), true),
    )
    .unwrap();
    rt.block_on(service.admin().create_user(NewUser {
        username: "alice".into(),
        display_name: None,
        role: "oss".into(),
        password: "the right password".into(),
        contexts: vec![],
    }))
    .unwrap();
    let client = ClientInfo::default();
    let inputs: Vec<(Class, &str)> = (0..2_000)
        .map(|_| {
            if rng.random::<bool>() {
                (Class::Left, "nobody")
            } else {
                (Class::Right, "alice")
            }
        })
        .collect();
    for (class, username) in inputs {
        runner.run_one(class, || {
            rt.block_on(service.browser().login(
                username,
                "a wrong password",
                false,
                &client,
                None,
                None,
            ))
            .is_err()
        });
    }
}

/// The backend API's key check (`SessionService::backend_api`'s gate, on a memory store):
/// Class Left, keys that share all but their last two characters with the real key; Class
/// Right, keys that share as much with a decoy key the store does not hold. Keys are found by
/// their SHA-256, so resembling the real key must gain nothing. (Against fully random keys the
/// near misses run about 1.5% faster: their 41 shared characters train the branch predictor of
/// the form check. Any shared prefix does that, the decoy's too, so that is not about the key.)
fn api_key_near_miss_vs_decoy(runner: &mut CtRunner, rng: &mut BenchRng) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stores = MemoryStore::stores();
    let settings = Settings {
        unknown_tokens_per_ip_per_minute: u32::MAX,
        ..Settings::default()
    };
    let service = SessionService::new(
        stores.clone(),
        Arc::new(ManualClock::at_epoch()),
        settings,
        SecretKey::generate().unwrap(),
        // Not stored: the audit writer's batching would time the other class's requests too.
        Auditor::new(stores.audit.clone(), false),
    )
    .unwrap();
    let secret = rt
        .block_on(
            service
                .admin()
                .create_api_key(NewApiKey::new("app", &[Scope::SessionsRead])),
        )
        .unwrap();
    let right = secret.expose().to_owned();
    let decoy = format!("sk_{}", random_token(rng, right.len() - 3));
    let client = ClientInfo::default();
    // A different tail each time: one fixed input against varied ones would measure the CPU
    // cache, not the comparison.
    let near = |of: &str, rng: &mut BenchRng| loop {
        let candidate = format!("{}{}", &of[..of.len() - 2], random_token(rng, 2));
        if candidate != right {
            return candidate;
        }
    };
    let inputs: Vec<(Class, String)> = (0..100_000)
        .map(|_| {
            if rng.random::<bool>() {
                (Class::Left, near(&right, rng))
            } else {
                (Class::Right, near(&decoy, rng))
            }
        })
        .collect();
    for (class, presented) in inputs {
        runner.run_one(class, || {
            let gate = service.backend_api::<Read>(Some(&presented), "ct", &client);
            rt.block_on(gate).is_err()
        });
    }
}

ctbench_main!(
    csrf_near_miss_vs_random,
    csrf_right_vs_random,
    login_unknown_vs_wrong_password,
    api_key_near_miss_vs_decoy
);
