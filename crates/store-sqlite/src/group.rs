//! Group commit of session writes. SQLite makes each transaction durable with an fsync, and one
//! writer runs them one after another, so concurrent writes (a cleanup batch's expiries, many
//! keep-alives) each waited for a sync of their own. Here a write joins a queue; whoever takes
//! the writer runs every queued write, up to [`GROUP`], in one transaction, and tells each
//! caller its own result once the commit is durable. Each statement's result is its own (a
//! version conflict fails only its write); a commit that fails fails every write in it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;
use sessiond_core::StoreError;
use tokio::sync::oneshot;

use crate::store_error;

/// The most writes one transaction takes: a bound on how long one commit holds the writer.
const GROUP: usize = 64;

/// What a queued write hands back after its statement ran: the delivery of its result, given
/// the commit's outcome (`None` when durable, or why not).
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;
type Job = Box<dyn FnOnce(&mut Connection) -> Deliver + Send>;

/// Writes waiting for the writer. Its length is bounded by the writes in flight: each caller
/// queues one and waits for it.
#[derive(Default)]
pub(crate) struct Queue {
    jobs: Mutex<VecDeque<(u64, Job)>>,
    next: AtomicU64,
}

impl Queue {
    /// Queues `f`; the receiver gets its result once a group ran it. The number names the job
    /// for [`Self::withdraw`].
    pub(crate) fn push<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> (u64, oneshot::Receiver<Result<T, StoreError>>) {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            Box::new(move |failed: Option<&str>| {
                let result = match failed {
                    None => result.map_err(store_error),
                    Some(why) => Err(StoreError::unavailable(std::io::Error::other(format!(
                        "the transaction was not committed: {why}"
                    )))),
                };
                let _ = tx.send(result);
            })
        });
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push_back((id, job));
        (id, rx)
    }

    /// Takes job `id` back if no group took it yet: a caller that stopped waiting must not
    /// have its write done behind its back.
    pub(crate) fn withdraw(&self, id: u64) -> bool {
        let mut jobs = self.lock();
        let before = jobs.len();
        jobs.retain(|(j, _)| *j != id);
        jobs.len() < before
    }

    /// Runs up to [`GROUP`] queued writes in one transaction on the writer `conn`; whether it
    /// committed one.
    pub(crate) fn run(&self, conn: &mut Connection) -> bool {
        let jobs: Vec<Job> = {
            let mut queued = self.lock();
            let n = queued.len().min(GROUP);
            queued.drain(..n).map(|(_, job)| job).collect()
        };
        if jobs.is_empty() {
            return false;
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Not run: dropping a job closes its channel, which its caller reads as the
            // writer's failure.
            tracing::warn!(error = %e, "a group of session writes could not begin");
            return false;
        }
        // Some errors (a full disk, an I/O error) roll the whole transaction back: then no
        // write in it happened, whatever its own statement said, and the writes after it are
        // not run (they would each commit alone): dropped, their callers hear of a failure.
        let mut delivered: Vec<Deliver> = Vec::with_capacity(jobs.len());
        for job in jobs {
            if conn.is_autocommit() {
                break;
            }
            delivered.push(job(conn));
        }
        let outcome = if conn.is_autocommit() {
            Some("rolled back by an error".to_owned())
        } else {
            match conn.execute_batch("COMMIT") {
                Ok(()) => None,
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Some(e.to_string())
                }
            }
        };
        let committed = outcome.is_none();
        for deliver in delivered {
            deliver(outcome.as_deref());
        }
        committed
    }

    /// Writes queued and not yet taken by a group.
    pub(crate) fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, Job)>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use sessiond_core::store::Sessions as _;
    use sessiond_core::{Session, StoreError};
    use sessiond_store_conformance::fixtures::session;

    use crate::SqliteStore;

    /// Writes in flight together share commits, and each keeps its own result: a stale
    /// version fails its write alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_session_writes_share_commits_and_keep_their_own_results() {
        const N: usize = 48;
        let dir = std::env::temp_dir().join(format!("sessiond-group-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}", dir.join("s.db").display());
        let store = Arc::new(SqliteStore::open(&url, Default::default()).await.unwrap());
        let mut sessions: Vec<Session> = Vec::new();
        for _ in 0..N {
            let (s, _) = session(None, 0);
            store.create_session(&s).await.unwrap();
            sessions.push(s);
        }
        let before = store
            .pool
            .commits
            .load(std::sync::atomic::Ordering::Relaxed);
        let writes: Vec<_> = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (store, mut s) = (store.clone(), s.clone());
                tokio::spawn(async move {
                    if i % 3 == 0 {
                        s.version += 7;
                    }
                    s.data.insert("n".into(), serde_json::json!(i));
                    store.update_session(&s).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for write in writes {
            results.push(write.await);
        }
        let commits = store
            .pool
            .commits
            .load(std::sync::atomic::Ordering::Relaxed)
            - before;
        for (i, result) in results.into_iter().enumerate() {
            let result = result.unwrap();
            let stored = store.session_by_id(&sessions[i].id).await.unwrap().unwrap();
            if i % 3 == 0 {
                assert!(
                    matches!(result, Err(StoreError::Conflict(_))),
                    "{i}: {result:?}"
                );
                assert_eq!(stored.version, sessions[i].version, "{i} unchanged");
            } else {
                assert!(result.is_ok(), "{i}: {result:?}");
                assert_eq!(stored.data.get("n"), Some(&serde_json::json!(i)));
            }
        }
        assert!(
            commits <= (N / 4) as u64,
            "{commits} commits for {N} writes"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
