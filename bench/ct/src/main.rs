//! dudect (Reparaz, Balasch, Verbauwhede 2017) on sessiond's secret comparisons. Each benchmark
//! times one operation on two classes of input and reports Welch's t: |t| < 5 after millions
//! of runs means no timing difference was found.
//!
//!     cargo run --release --manifest-path bench/ct/Cargo.toml -- --continuous csrf_right_vs_near_miss
//!
//! Not a CI test: timings depend on the machine. The figure is reported in docs/security.md.

use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};
use rand::RngExt;
use sessiond_core::time::ManualClock;
use sessiond_core::{Clock, SecretKey, SessionId, Token};

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

ctbench_main!(csrf_near_miss_vs_random, csrf_right_vs_random);
