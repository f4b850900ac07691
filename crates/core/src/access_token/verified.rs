//! [`VerifiedTokens`]: the access tokens whose signature this node has verified, so that a
//! client sending the same bearer again costs a hash and a lookup instead of an Ed25519
//! verification (decision 0054). What it may skip is the signature and nothing else: the time
//! claims are checked at every use, the `kid` must still be one of the node's keys, and the
//! session the token names is read at every use as before.

use std::sync::Arc;

use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use super::AccessClaims;

/// A token verified once: the key that verified it and its claims.
#[derive(Debug)]
pub struct Verified {
    /// The `kid` whose key verified the signature.
    pub kid: String,
    /// What the token says.
    pub claims: AccessClaims,
}

/// At most `capacity` verified tokens, by the SHA-256 of the whole token: a token differing
/// in any byte (another signature) is another entry, so nothing unverified is ever found.
pub struct VerifiedTokens {
    cache: Cache<[u8; 32], Arc<Verified>>,
}

/// Tokens a node keeps by default: at about 600 bytes each, 6 MB at most.
const VERIFIED_TOKENS: usize = 10_000;

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::new(VERIFIED_TOKENS)
    }
}

impl VerifiedTokens {
    /// Room for `capacity` tokens (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: Cache::new(capacity.max(1)),
        }
    }

    /// The key a token is kept under.
    pub fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The token kept under `digest`, if any.
    pub fn get(&self, digest: &[u8; 32]) -> Option<Arc<Verified>> {
        self.cache.get(digest)
    }

    /// Keeps a token whose signature `kid` verified.
    pub fn insert(&self, digest: [u8; 32], kid: String, claims: AccessClaims) {
        self.cache
            .insert(digest, Arc::new(Verified { kid, claims }));
    }

    /// Forgets one token (it expired).
    pub fn remove(&self, digest: &[u8; 32]) {
        self.cache.remove(digest);
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}
