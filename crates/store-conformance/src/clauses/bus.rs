//! The invalidation bus, the capability of stores that nodes share
//! ([`sessiond_core::cache::InvalidationBus`]). Each clause opens nodes with `open(namespace)`:
//! handles opened on one namespace are nodes of one deployment, another namespace is another.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessiond_core::cache::{InvalidationBus, InvalidationSink, Notice};
use sessiond_core::{SessionId, Stores};

use crate::fixtures::t0;

/// A subscriber that remembers what it heard.
#[derive(Default)]
struct Recorder {
    heard: Mutex<HashSet<Notice>>,
    live: AtomicBool,
}

impl InvalidationSink for Recorder {
    fn invalidate(&self, notice: &Notice) {
        self.heard.lock().unwrap().insert(*notice);
    }
    fn connected(&self) {
        self.live.store(true, Ordering::SeqCst);
    }
    fn disconnected(&self) {
        self.live.store(false, Ordering::SeqCst);
    }
}

impl Recorder {
    fn heard(&self, id: &SessionId) -> bool {
        self.heard.lock().unwrap().contains(&Notice::Session(*id))
    }
}

fn bus(stores: &Stores) -> Arc<dyn InvalidationBus> {
    stores
        .bus()
        .expect("a store that nodes share hands its bus to the bundle")
        .clone()
}

/// Subscribes a recorder and waits until its feed is live.
async fn listening(stores: &Stores) -> Arc<Recorder> {
    let recorder = Arc::new(Recorder::default());
    bus(stores).subscribe(recorder.clone());
    eventually("the feed to connect", || {
        recorder.live.load(Ordering::SeqCst)
    })
    .await;
    recorder
}

/// Polls `done` until it holds; a delivery that never comes fails after ten seconds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn ids(n: usize) -> Vec<SessionId> {
    (0..n).map(|_| SessionId::generate(t0()).unwrap()).collect()
}

fn namespace() -> String {
    format!(
        "bus_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    )
}

pub async fn a_notice_reaches_every_node_the_publisher_included<F, Fut>(open: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Stores>,
{
    let ns = namespace();
    let (a, b) = (open(ns.clone()).await, open(ns).await);
    let (heard_a, heard_b) = (listening(&a).await, listening(&b).await);
    let [id] = ids(1).try_into().unwrap();
    bus(&a).publish(&Notice::Session(id)).await.unwrap();
    eventually("the other node to hear", || heard_b.heard(&id)).await;
    eventually("the publisher to hear", || heard_a.heard(&id)).await;
    // The API keys' notice too: a revoked key is dropped from every node's cache.
    bus(&b).publish(&Notice::ApiKeys).await.unwrap();
    let keys = |r: &Recorder| r.heard.lock().unwrap().contains(&Notice::ApiKeys);
    eventually("both nodes to hear of the keys", || {
        keys(&heard_a) && keys(&heard_b)
    })
    .await;
}

pub async fn every_notice_of_a_burst_arrives<F, Fut>(open: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Stores>,
{
    let ns = namespace();
    let (a, b) = (open(ns.clone()).await, open(ns).await);
    let heard = listening(&b).await;
    let sent = ids(50);
    for id in &sent {
        bus(&a).publish(&Notice::Session(*id)).await.unwrap();
    }
    eventually("all 50 notices", || sent.iter().all(|id| heard.heard(id))).await;
}

pub async fn a_notice_stays_in_its_namespace<F, Fut>(open: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Stores>,
{
    let (mine, theirs) = (open(namespace()).await, open(namespace()).await);
    let heard = listening(&mine).await;
    let [stray, own] = ids(2).try_into().unwrap();
    bus(&theirs).publish(&Notice::Session(stray)).await.unwrap();
    // Published once the stray one was accepted: the server delivers in the order it accepted,
    // so once `own` has arrived, the stray notice would have too.
    bus(&mine).publish(&Notice::Session(own)).await.unwrap();
    eventually("this namespace's notice", || heard.heard(&own)).await;
    assert!(
        !heard.heard(&stray),
        "a notice of another namespace arrived"
    );
}
