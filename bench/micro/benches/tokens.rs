//! What checking a request's credential costs (docs/performance.md, "Tokens"):
//! - `access_token/verify_local`: a resource server's local verification of an access token
//!   (signature, header and claims; no store);
//! - `access_token/resolve_on_sessiond`: sessiond's own check of a bearer (the verification and
//!   the session read by id from SQLite);
//! - `cookie/check`: the passive cookie check (hash, lookup by token in SQLite, drift scoring).
//!
//! Run: `cargo bench --manifest-path bench/micro/Cargo.toml`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use sessiond_core::access_token::Verifier;
use sessiond_core::audit::Auditor;
use sessiond_core::service::{NewUser, Presented, TokenLogin};
use sessiond_core::{ClientInfo, SecretKey, SessionService, Settings, SystemClock};
use sessiond_store_sqlite::{PoolSettings, SqliteStore};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("sessiond-micro-{}", std::process::id()));
    let url = format!("sqlite://{}/bench.db", dir.display());
    let client = ClientInfo {
        ip: Some("192.0.2.1".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
    };
    let (service, pair, cookie) = rt.block_on(async {
        let stores = SqliteStore::open(&url, PoolSettings::default())
            .await
            .unwrap()
            .into_stores();
        let audit = Auditor::new(stores.audit.clone(), true);
        let key = SecretKey::new(vec![7; 32]).unwrap();
        let service = SessionService::new(
            stores,
            Arc::new(SystemClock),
            Settings::default(),
            key,
            audit,
        )
        .unwrap();
        let user = NewUser {
            username: "alice".into(),
            display_name: None,
            role: "oss".into(),
            password: "correct horse battery".into(),
            contexts: vec![],
        };
        service.admin().create_user(user).await.unwrap();
        let pair = service
            .tokens()
            .token_login(
                TokenLogin {
                    username: "alice",
                    password: "correct horse battery",
                    context: None,
                    device: None,
                },
                &client,
            )
            .await
            .unwrap();
        let cookie = service
            .browser()
            .login("alice", "correct horse battery", false, &client, None, None)
            .await
            .unwrap();
        (service, pair, cookie)
    });
    let mut verifier = Verifier::new("sessiond", "sessiond", 5);
    for jwk in rt.block_on(service.tokens().jwks()).unwrap() {
        verifier.trust_jwk(&jwk);
    }
    let now = service.now();
    assert!(verifier.verify(&pair.access_token, now).is_ok());

    c.bench_function("access_token/verify_local", |b| {
        b.iter(|| verifier.verify(&pair.access_token, now).unwrap())
    });
    c.bench_function("access_token/resolve_on_sessiond", |b| {
        b.iter(|| {
            rt.block_on(
                service
                    .browser()
                    .check(Presented::Bearer(&pair.access_token), &client),
            )
            .unwrap()
        })
    });
    c.bench_function("cookie/check", |b| {
        b.iter(|| {
            rt.block_on(service.browser().check(Some(&cookie.token), &client))
                .unwrap()
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
