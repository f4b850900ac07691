//! Where Argon2 runs: a few threads of its own (about one per core), each with a reused block of
//! Argon2 memory, behind a bounded queue.
//!
//! Each Argon2 check takes 19 MiB and tens of milliseconds of CPU. On tokio's blocking pool
//! (up to 512 threads) a flood of logins allocated that much per request at once and left the
//! memory with the allocator: 200 parallel logins held 3.7 GiB. Here at most `workers` hashes
//! run at a time, their buffers are reused and freed after a second without work, and a
//! request that finds `workers + queue` places taken is told to come back later
//! ([`Busy`], 503 with `Retry-After`) instead of waiting without bound.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::CoreError;
use crate::random;

/// A worker frees its Argon2 memory after this long without work.
const IDLE_RELEASE: Duration = Duration::from_secs(1);

/// Every place in the hashing queue is taken.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the password hashing queue is full")]
pub struct Busy;

/// Blocks (1 KiB each) reserved for a buffer, whatever Argon2 needs of them: just over 32 MiB.
/// glibc serves a request this large with a mapping of its own whatever its dynamic mmap
/// threshold has become (the threshold stops rising at 32 MiB), so freeing the buffer gives the
/// memory back to the system. A buffer of exactly the 19 MiB Argon2 uses would come from the
/// heap after the first one is freed, and stay with the process. Only the pages Argon2 touches
/// are resident.
const RESERVED_BLOCKS: usize = 32 * 1024 + 1;

/// Argon2 memory that workers reuse between hashes.
#[derive(Default)]
pub struct Scratch(Vec<Block>);

impl Scratch {
    /// `n` blocks, allocated on first use and reused after.
    pub fn blocks(&mut self, n: usize) -> &mut [Block] {
        if self.0.len() < n {
            let mut blocks = Vec::with_capacity(n.max(RESERVED_BLOCKS));
            blocks.resize(n, Block::default());
            self.0 = blocks;
        }
        &mut self.0[..n]
    }
}

type Job = Box<dyn FnOnce(&Passwords, &mut Scratch) + Send>;

/// Threads that hash and check passwords, with a bounded queue.
#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    places: Arc<Semaphore>,
}

/// A place in the queue, taken before the work is known (a login takes it before it counts
/// its attempt, so a full queue refuses the attempt before the lockout has counted it).
pub struct Reservation {
    jobs: mpsc::Sender<Job>,
    place: OwnedSemaphorePermit,
}

impl HashPool {
    /// `workers` threads (at least one), and room for `queue` more requests waiting.
    pub fn new(passwords: Passwords, workers: usize, queue: usize) -> Result<Self, CoreError> {
        let workers = workers.max(1);
        let (jobs, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let spares = Arc::new(Spares::default());
        for i in 0..workers {
            let (rx, spares, passwords) = (rx.clone(), spares.clone(), passwords.clone());
            std::thread::Builder::new()
                .name(format!("sessiond-argon2-{i}"))
                .spawn(move || work(&rx, &spares, &passwords))
                .map_err(|e| CoreError::PasswordHash(Box::new(e)))?;
        }
        Ok(Self {
            jobs,
            places: Arc::new(Semaphore::new(workers + queue)),
        })
    }

    /// One worker per core the process may use.
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }

    /// A place in the queue, or [`Busy`] when every place is taken.
    pub fn reserve(&self) -> Result<Reservation, Busy> {
        let place = self.places.clone().try_acquire_owned().map_err(|_| Busy)?;
        Ok(Reservation {
            jobs: self.jobs.clone(),
            place,
        })
    }
}

impl Reservation {
    /// Checks `password` against `hash` (against a dummy hash when there is none, so that the
    /// answer takes as long).
    pub async fn verify(self, password: String, hash: Option<String>) -> bool {
        self.run(move |p, scratch| p.verify_with(&password, hash.as_deref(), scratch))
            .await
            .unwrap_or(false)
    }

    /// Hashes `password` (Argon2id, PHC string) on a pool thread.
    pub async fn hash(self, password: String) -> Result<String, CoreError> {
        self.run(move |p, scratch| p.hash_with(&password, scratch))
            .await
            .unwrap_or_else(|| Err(CoreError::PasswordHash("the hashing thread stopped".into())))
    }

    /// Runs `f` on a worker. The place is given back when the work is done, not when the
    /// caller stops waiting: a request that went away still held its share of the CPU.
    async fn run<T: Send + 'static>(
        self,
        f: impl FnOnce(&Passwords, &mut Scratch) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let place = self.place;
        let job: Job = Box::new(move |p, scratch| {
            let done = f(p, scratch);
            drop(place);
            let _ = tx.send(done);
        });
        self.jobs.send(job).ok()?;
        rx.await.ok()
    }
}

/// Buffers not in use. Kept apart from the workers so that whichever worker finds the queue
/// idle frees them all: the one waiting on the queue is not always the same.
type Spares = Mutex<Vec<Scratch>>;

fn work(rx: &Mutex<mpsc::Receiver<Job>>, spares: &Spares, passwords: &Passwords) {
    let take = || spares.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        // One idle worker waits on the queue at a time; the others wait for the lock.
        let next = rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .recv_timeout(IDLE_RELEASE);
        match next {
            Ok(job) => {
                let mut scratch = take().pop().unwrap_or_default();
                job(passwords, &mut scratch);
                take().push(scratch);
            }
            Err(RecvTimeoutError::Timeout) => take().clear(),
            // The pool is gone (its service was dropped): so is this thread.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Argon2id hashing with OWASP's parameters (19 MiB, 2 passes).
#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    /// A hash of a random password: unknown users are verified against it so that their
    /// answer takes as long as a wrong password's.
    dummy_hash: String,
}

impl Passwords {
    /// The Argon2id parameters sessiond uses, and a dummy hash for unknown users.
    pub fn new() -> Result<Self, CoreError> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
        let mut me = Self {
            argon,
            dummy_hash: String::new(),
        };
        let dummy = random::bytes::<24>()?;
        me.dummy_hash = me.hash(&String::from_utf8_lossy(&dummy))?;
        Ok(me)
    }

    /// Hashes `password` (Argon2id, PHC string).
    pub fn hash(&self, password: &str) -> Result<String, CoreError> {
        let salt = SaltString::encode_b64(&random::bytes::<16>()?)
            .map_err(|e| CoreError::PasswordHash(Box::new(e)))?;
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::PasswordHash(Box::new(e)))
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is none.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let real = hash.is_some();
        let Ok(parsed) = PasswordHash::new(hash.unwrap_or(&self.dummy_hash)) else {
            return false;
        };
        self.argon
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && real
    }
}

impl Passwords {
    /// Like `hash`, with the Argon2 memory of `scratch` (the hashing pool's workers keep one).
    pub fn hash_with(&self, password: &str, scratch: &mut Scratch) -> Result<String, CoreError> {
        let fail = |e: argon2::password_hash::Error| CoreError::PasswordHash(Box::new(e));
        let salt_bytes = random::bytes::<16>()?;
        let salt = SaltString::encode_b64(&salt_bytes).map_err(fail)?;
        let params = self.argon.params();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt_bytes,
                &mut out,
                scratch.blocks(params.block_count()),
            )
            .map_err(|e| CoreError::PasswordHash(Box::new(e)))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params).map_err(fail)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(fail)?),
        };
        Ok(phc.to_string())
    }

    /// Like `verify`, with the Argon2 memory of `scratch`. The parameters, salt and length come
    /// from the stored hash, so hashes made with other parameters still verify.
    pub fn verify_with(&self, password: &str, hash: Option<&str>, scratch: &mut Scratch) -> bool {
        let real = hash.is_some();
        let Ok(parsed) = PasswordHash::new(hash.unwrap_or(&self.dummy_hash)) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(params)) = (
            Algorithm::try_from(parsed.algorithm),
            Params::try_from(&parsed),
        ) else {
            return false;
        };
        let version = parsed
            .version
            .map_or(Ok(Version::V0x13), Version::try_from)
            .unwrap_or(Version::V0x13);
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let blocks = params.block_count();
        let argon = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        if argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                scratch.blocks(blocks),
            )
            .is_err()
        {
            return false;
        }
        let same: bool = subtle::ConstantTimeEq::ct_eq(out.as_slice(), expected.as_bytes()).into();
        same && real
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_a_full_queue_is_busy() {
        let pool = HashPool::new(Passwords::new().unwrap(), 1, 1).unwrap();
        let hash = pool
            .reserve()
            .unwrap()
            .hash("a long password".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let first = pool.reserve().unwrap();
        let second = pool.reserve().unwrap();
        assert!(pool.reserve().is_err(), "one working, one waiting: full");
        assert!(
            first
                .verify("a long password".into(), Some(hash.clone()))
                .await
        );
        assert!(!second.verify("wrong".into(), Some(hash.clone())).await);
        assert!(
            pool.reserve().is_ok(),
            "places come back when the work is done"
        );
        assert!(
            !pool
                .reserve()
                .unwrap()
                .verify("a long password".into(), None)
                .await
        );
    }

    #[test]
    fn hashes_of_the_pool_and_of_the_argon2_crate_agree() {
        use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
        let p = Passwords::new().unwrap();
        let mut scratch = Scratch::default();
        let ours = p.hash_with("correct horse", &mut scratch).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        let theirs = p.hash("correct horse").unwrap();
        assert!(p.verify_with("correct horse", Some(&theirs), &mut scratch));
        assert!(!p.verify_with("correct horsf", Some(&theirs), &mut scratch));
    }

    #[test]
    fn hash_verifies_only_the_right_password() {
        let p = Passwords::new().unwrap();
        let h = p.hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("correct horse", Some(&h)));
        assert!(!p.verify("wrong", Some(&h)));
        assert!(!p.verify("correct horse", None));
    }
}
