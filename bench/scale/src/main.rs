//! bench/scale: fills a store with a million sessions (through its own `create_session`, many at
//! once; never through Argon2) and an audit trail, then times what the admin API asks of it: a
//! first page, a deep page, filtered pages, the counts and a session's timeline. Run by
//! `bench/scale/run`; the table it prints is in docs/performance.md.
//!
//! Usage: sessiond-scale STORE_URL SESSIONS   (sqlite://PATH, postgres://..., redis://...)

mod bulk;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sessiond_core::audit::{AuditEvent, AuditKind, AuditQuery};
use sessiond_core::session::EndReason;
use sessiond_core::store::{ListKey, SessionFilter, StateFilter};
use sessiond_core::time::plus_secs;
use sessiond_core::{Session, SessionState, Stores, UserId};
use sessiond_store_conformance::fixtures::{at, session};

const USERS: u64 = 10_000;
const AT_ONCE: u64 = 64;
const AUDIT_EVENTS: u64 = 200_000;

async fn open(url: &str) -> Stores {
    if url.starts_with("sqlite://") {
        sessiond_store_sqlite::SqliteStore::open(url, Default::default())
            .await
            .expect("sqlite")
            .into_stores()
    } else if url.starts_with("postgres") {
        sessiond_store_postgres::PostgresStore::open_in_schema(
            url,
            Default::default(),
            Some("sessiond_scale"),
        )
        .await
        .expect("postgres")
        .into_stores()
    } else {
        let settings = sessiond_store_redis::PoolSettings {
            timeout: Duration::from_secs(10),
        };
        // `BENCH_SCALE_REDIS_PREFIX=sessiond:` fills the keys a server reads (`bench/scale/live`).
        let prefix = std::env::var("BENCH_SCALE_REDIS_PREFIX").unwrap_or_else(|_| "scale:".into());
        sessiond_store_redis::RedisStore::open_with_prefix(url, settings, &prefix)
            .await
            .expect("redis")
            .into_stores()
    }
}

/// With `BENCH_SCALE_EXPIRED=1`, how far each session is moved back: its first starts 60 days
/// before the real clock's now, so every one is past its deadlines for a live server's cleanup
/// to expire (`bench/scale/live`, "Cleanup" in docs/performance.md).
static EXPIRED: std::sync::LazyLock<Option<i64>> = std::sync::LazyLock::new(|| {
    std::env::var_os("BENCH_SCALE_EXPIRED").map(|_| {
        use sessiond_core::time::{Clock as _, SystemClock};
        let now = SystemClock.now().as_second();
        now - 60 * 86_400 - at(0).as_second()
    })
});

/// Session `i`: one of `USERS` users, a second apart, from one of 65,536 addresses; every 1,000th
/// revoked, every 7th in the context `lab`.
fn nth(i: u64, users: &[UserId]) -> Session {
    let user = users[(i % USERS) as usize];
    let (mut s, _) = session(Some(user), i as i64);
    s.username = Some(format!("user{}", i % USERS));
    s.client.ip = Some(format!(
        "10.{}.{}.{}",
        (i >> 16) & 255,
        (i >> 8) & 255,
        i & 255
    ));
    s.context = (i % 7 == 0).then(|| "lab".to_owned());
    // Live for a day from its start, so every one counts as active at the bench's `now`.
    s.idle_expires_at = plus_secs(s.created_at, 86_400 * 30);
    s.absolute_expires_at = s.idle_expires_at;
    s.lookup_until = plus_secs(s.idle_expires_at, 60);
    if let Some(back) = *EXPIRED {
        for t in [
            &mut s.created_at,
            &mut s.last_activity,
            &mut s.renewed_at,
            &mut s.idle_expires_at,
            &mut s.absolute_expires_at,
            &mut s.lookup_until,
        ] {
            *t = plus_secs(*t, back);
        }
        return s;
    }
    if i % 1000 == 0 {
        s.state = SessionState::Revoked;
        s.end_reason = Some(EndReason::AdminRevoked);
        s.ended_at = Some(s.created_at);
        s.ended_by = Some("admin:root".into());
    }
    s
}

/// Sessions made through `create_session` on a SQL store; the rest are copies of them.
const TEMPLATES: u64 = 2_000;

async fn fill(url: &str, stores: &Stores, n: u64) -> (Vec<UserId>, Vec<sessiond_core::SessionId>) {
    let sql = !url.starts_with("redis");
    let made = if sql { TEMPLATES.min(n) } else { n };
    let users: Arc<Vec<UserId>> = Arc::new(
        (0..USERS)
            .map(|_| UserId::generate(at(0)).unwrap())
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (stores, users, next) = (stores.clone(), users.clone(), next.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= made {
                        return ids;
                    }
                    let s = nth(i, &users);
                    stores.sessions.create_session(&s).await.expect("create");
                    if i % 97 == 0 {
                        ids.push(s.id);
                    }
                    if i % 100_000 == 0 && i > 0 {
                        eprintln!(
                            "  {i} sessions, {:.0}/s",
                            i as f64 / started.elapsed().as_secs_f64()
                        );
                    }
                }
            })
        })
        .collect();
    let mut sampled = Vec::new();
    for t in tasks {
        sampled.extend(t.await.unwrap());
    }
    if sql && n > made {
        let copies = n / made - 1;
        if let Some(path) = url.strip_prefix("sqlite://") {
            bulk::sqlite(path, copies, made);
        } else {
            bulk::postgres(url, "sessiond_scale", copies, made).await;
        }
    }
    eprintln!("  {n} sessions in {:.0} s", started.elapsed().as_secs_f64());
    // An audit trail: events spread over the sampled sessions, in batches as the Auditor writes.
    let started = Instant::now();
    let mut batch = Vec::new();
    for k in 0..AUDIT_EVENTS {
        let id = sampled[(k as usize) % sampled.len()];
        let mut e = AuditEvent::new(AuditKind::SessionExtended, at(k as i64));
        e.session_id = Some(id);
        batch.push(e);
        if batch.len() == 256 {
            stores.audit.append_audit(&batch).await.expect("audit");
            batch.clear();
        }
    }
    stores.audit.append_audit(&batch).await.expect("audit");
    eprintln!(
        "  {AUDIT_EVENTS} audit records in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    (users.to_vec(), sampled)
}

/// The median of `runs` timings of `f`, in milliseconds.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut ms: Vec<f64> = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f().await);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, n) = (&args[1], args[2].parse::<u64>().expect("SESSIONS"));
    let stores = open(url).await;
    eprintln!("filling {url} with {n} sessions");
    let (users, sampled) = fill(url, &stores, n).await;
    let now = at(n as i64 + 10);
    let page = |filter: SessionFilter, before: Option<ListKey>| {
        let stores = stores.clone();
        async move {
            stores
                .listing
                .sessions_before(&filter, before, 50)
                .await
                .unwrap()
        }
    };
    let all = SessionFilter {
        now,
        ..Default::default()
    };
    // Nine tenths of the way down the list.
    let deep = ListKey {
        created_at: at((n / 10) as i64),
        id: sessiond_core::SessionId::from_uuid(Default::default()),
    };
    let rows: Vec<(&str, f64)> = vec![
        (
            "first page (50)",
            time(21, || page(all.clone(), None)).await,
        ),
        (
            "deep page (90% down)",
            time(21, || page(all.clone(), Some(deep))).await,
        ),
        (
            "one user's sessions",
            time(21, || {
                page(
                    SessionFilter {
                        user: Some(users[42]),
                        ..all.clone()
                    },
                    None,
                )
            })
            .await,
        ),
        (
            "revoked ones (1 in 1000)",
            time(21, || {
                page(
                    SessionFilter {
                        state: StateFilter::Is(SessionState::Revoked),
                        ..all.clone()
                    },
                    None,
                )
            })
            .await,
        ),
        (
            "a /16 network",
            time(21, || {
                page(
                    SessionFilter {
                        network: Some("10.3.0.0/16".parse().unwrap()),
                        ..all.clone()
                    },
                    None,
                )
            })
            .await,
        ),
        (
            "counts",
            time(21, || {
                let stores = stores.clone();
                async move { stores.listing.tallies().await.unwrap() }
            })
            .await,
        ),
        (
            "a session's timeline (100)",
            time(21, || {
                let stores = stores.clone();
                let id = sampled[sampled.len() / 2];
                async move {
                    stores
                        .audit
                        .audit_events(&AuditQuery {
                            session_id: Some(id),
                            limit: 100,
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                }
            })
            .await,
        ),
    ];
    let kind = stores.health.kind();
    for (what, ms) in rows {
        println!("| {kind} | {n} | {what} | {ms:.1} |");
    }
}
