//! The access tokens' signing keys, shared by every node through the store (decision 0031):
//! a new key is in `/.well-known/jwks.json` at once but signs only [`PUBLISH_AHEAD_SECS`] later
//! (one lifetime of the document in a cache), so no resource server meets its `kid` before it
//! could have fetched it; the newest key that old signs; and a key stays in the document until
//! every token it can have signed has expired, so a rotation never makes a valid token fail to
//! verify. Each node keeps the keys it opened for [`RELOAD_SECS`] (decision 0032), so a key
//! rotated anywhere signs on every node within ten seconds. `sessiond keys revoke` drops a key
//! at once, for a suspected leak.

use std::sync::{Arc, Mutex, RwLock};

use crate::access_token::{Jwk, PublicKey, Rejected, SigningKey, VerifiedTokens, Verifier};
use crate::audit::{AuditEvent, AuditKind};
use crate::error::CoreError;
use crate::time::{SignedDuration, Timestamp, plus_secs};

use super::faces::{Admin, Tokens};
use super::{SessionError, SessionResult, SessionService};

/// How long a node signs and verifies with the keys it read before reading them again.
pub(super) const RELOAD_SECS: i64 = 5;

/// How long a new key is published before it signs: the `max-age` of the JWKS document, so a
/// resource server that keeps the document for its lifetime has the key before any token.
pub const PUBLISH_AHEAD_SECS: i64 = 5;

/// A key opened from the store, with its creation time.
struct Opened {
    key: SigningKey,
    created_at: Timestamp,
}

/// The keys a node signs and verifies with, as read at `read_at`.
pub(super) struct Loaded {
    pub(super) signer: SigningKey,
    pub(super) verifier: Verifier,
    public: Vec<PublicKey>,
    read_at: Timestamp,
}

/// This node's copy of the keys, and when an unknown `kid` last made it read them again.
#[derive(Default)]
pub(super) struct KeyRing {
    loaded: RwLock<Option<Arc<Loaded>>>,
    forced_at: Mutex<Option<Timestamp>>,
    /// Access tokens already verified here (decision 0054).
    verified: VerifiedTokens,
}

impl KeyRing {
    fn fresh(&self, now: Timestamp) -> Option<Arc<Loaded>> {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        loaded
            .as_ref()
            .filter(|l| l.read_at <= now && now < plus_secs(l.read_at, RELOAD_SECS))
            .cloned()
    }

    fn forget(&self) {
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Whether an unknown `kid` may make this node read the keys now: once a second at most,
    /// so tokens with made-up `kid`s cannot turn into store reads.
    fn may_force(&self, now: Timestamp) -> bool {
        let mut at = self.forced_at.lock().unwrap_or_else(|p| p.into_inner());
        if at.is_some_and(|at| at <= now && now < plus_secs(at, 1)) {
            return false;
        }
        *at = Some(now);
        true
    }
}

impl SessionService {
    /// The stored keys, oldest first, opened with the server secret. A key this secret cannot
    /// open (another secret's, or a changed record) is left out and logged.
    async fn opened_signing_keys(&self) -> SessionResult<Vec<Opened>> {
        let sealed = self.stores.signing_keys.signing_keys().await?;
        Ok(sealed
            .into_iter()
            .filter_map(|s| match s.open(&self.key) {
                Some(key) => Some(Opened {
                    key,
                    created_at: s.created_at,
                }),
                None => {
                    tracing::error!(kid = %s.kid, "a signing key cannot be opened with this server key");
                    None
                }
            })
            .collect())
    }

    /// How long after its replacement a key may still have signed a valid token.
    fn key_overlap(&self) -> SignedDuration {
        let t = &self.settings.tokens;
        SignedDuration::from_secs(t.access_lifetime_secs + t.leeway_secs)
    }

    /// Adds a key made at `made` (now, or earlier for one that must sign at once).
    async fn add_signing_key(&self, made: Timestamp) -> SessionResult<String> {
        let key = SigningKey::generate()?;
        let now = self.now();
        // Strictly newer than every stored key, so "the newest" is never a tie, even within
        // one millisecond or under a stopped clock.
        let newest = self.stores.signing_keys.signing_keys().await?.pop();
        let created_at = match newest {
            Some(k) if k.created_at >= made => k.created_at + SignedDuration::from_millis(1),
            _ => made,
        };
        let sealed = key.seal(&self.key, created_at)?;
        self.stores.signing_keys.add_signing_key(&sealed).await?;
        self.keyring.forget();
        let event =
            AuditEvent::new(AuditKind::SigningKeyRotated, now).detail("kid", key.kid().to_owned());
        self.audit.record(event).await?;
        Ok(key.kid().to_owned())
    }

    /// The stored keys, the first one made when there is none. Nodes that make the first key
    /// at once each add one; the newest of them signs on every node.
    async fn signing_keys_or_first(&self) -> SessionResult<Vec<Opened>> {
        let keys = self.opened_signing_keys().await?;
        if !keys.is_empty() {
            return Ok(keys);
        }
        match self.admin().rotate_signing_key().await {
            Ok(_) | Err(SessionError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        let keys = self.opened_signing_keys().await?;
        if keys.is_empty() {
            return Err(
                CoreError::Signing("no signing key this server key can open".into()).into(),
            );
        }
        Ok(keys)
    }

    /// Which of `keys` (oldest first) signs at `now`: the newest published at least
    /// [`PUBLISH_AHEAD_SECS`] ago; when none is, the oldest (a first key signs at once).
    fn signer_at(keys: &[Opened], now: Timestamp) -> usize {
        keys.iter()
            .rposition(|k| plus_secs(k.created_at, PUBLISH_AHEAD_SECS) <= now)
            .unwrap_or(0)
    }

    /// The keys whose tokens may be valid or soon will be, oldest first, and the one that
    /// signs: the signer, the newer keys published ahead of it, and every older key that
    /// stopped signing less than an access token's lifetime (and the leeway) ago.
    fn live_keys(
        &self,
        keys: Vec<Opened>,
        now: Timestamp,
    ) -> SessionResult<(Vec<SigningKey>, SigningKey)> {
        let signer = Self::signer_at(&keys, now);
        let signing = keys
            .get(signer)
            .map(|k| k.key.clone())
            .ok_or_else(|| CoreError::Signing("no signing key".into()))?;
        let stopped: Vec<Option<Timestamp>> = keys
            .iter()
            .skip(1)
            .map(|k| Some(plus_secs(k.created_at, PUBLISH_AHEAD_SECS)))
            .chain([None])
            .collect();
        let live = keys
            .into_iter()
            .zip(stopped)
            .enumerate()
            .filter(|(i, (_, at))| {
                *i >= signer || at.is_none_or(|at| at + self.key_overlap() > now)
            })
            .map(|(_, (k, _))| k.key)
            .collect();
        Ok((live, signing))
    }

    /// This node's keys, read again when they are older than [`RELOAD_SECS`].
    pub(super) async fn keys(&self, now: Timestamp) -> SessionResult<Arc<Loaded>> {
        if let Some(loaded) = self.keyring.fresh(now) {
            return Ok(loaded);
        }
        self.read_keys(now).await
    }

    async fn read_keys(&self, now: Timestamp) -> SessionResult<Arc<Loaded>> {
        let (live, signer) = self.live_keys(self.signing_keys_or_first().await?, now)?;
        let t = &self.settings.tokens;
        let mut verifier = Verifier::new(&t.issuer, &t.audience, t.leeway_secs);
        let public: Vec<PublicKey> = live.iter().map(SigningKey::public_key).collect();
        for key in &public {
            verifier.trust(key);
        }
        let loaded = Arc::new(Loaded {
            signer,
            verifier,
            public,
            read_at: now,
        });
        *self
            .keyring
            .loaded
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }

    /// Verifies an access token with this node's keys. A `kid` it does not know may be a key
    /// another node has just made: the keys are read again, at most once a second.
    pub(super) async fn verify_access_token(
        &self,
        jwt: &str,
        now: Timestamp,
    ) -> SessionResult<Result<crate::access_token::AccessClaims, Rejected>> {
        let loaded = self.keys(now).await?;
        let digest = VerifiedTokens::digest(jwt);
        let verified = &self.keyring.verified;
        // Seen before and its key still ours: only the time claims are left to check.
        if let Some(hit) = verified.get(&digest)
            && loaded.verifier.knows(&hit.kid)
        {
            let checked = loaded.verifier.check_time(&hit.claims, now);
            if checked.is_err() {
                verified.remove(&digest);
            }
            return Ok(checked.map(|()| hit.claims.clone()));
        }
        let result = match loaded.verifier.verify_keyed(jwt, now) {
            Err(Rejected::UnknownKey) if self.keyring.may_force(now) => {
                self.read_keys(now).await?.verifier.verify_keyed(jwt, now)
            }
            other => other,
        };
        Ok(result.map(|(kid, claims)| {
            verified.insert(digest, kid, claims.clone());
            claims
        }))
    }
}

impl Admin<'_> {
    /// Makes a new signing key, published at once and signing [`PUBLISH_AHEAD_SECS`] later;
    /// returns its `kid`.
    pub async fn rotate_signing_key(&self) -> SessionResult<String> {
        self.add_signing_key(self.now()).await
    }

    /// Drops the key `kid` from the store, and so from the JWKS document at once and from every
    /// node's keys within [`RELOAD_SECS`]: for a key suspected to have leaked, whose tokens
    /// must stop verifying. When it was the key that signs, a new one signs at once, without
    /// being published ahead (there is no time to wait). Audited `SIGNING_KEY_REVOKED`; `false`
    /// when there is no such key.
    pub async fn revoke_signing_key(&self, kid: &str) -> SessionResult<bool> {
        let now = self.now();
        let keys = self.opened_signing_keys().await?;
        let signed = keys
            .get(SessionService::signer_at(&keys, now))
            .is_some_and(|k| k.key.kid() == kid);
        if !self.stores.signing_keys.delete_signing_key(kid).await? {
            return Ok(false);
        }
        self.keyring.forget();
        let event = AuditEvent::new(AuditKind::SigningKeyRevoked, now).detail("kid", kid);
        self.audit.record(event).await?;
        if signed {
            self.add_signing_key(plus_secs(now, -PUBLISH_AHEAD_SECS))
                .await?;
        }
        Ok(true)
    }

    /// The cleanup job's part for keys: a new key once the newest is older than
    /// `SESSIOND_SIGNING_KEY_ROTATION_SECONDS`, and the deletion of keys no valid token can
    /// need any more. Returns the keys rotated in and retired.
    pub async fn maintain_signing_keys(&self) -> SessionResult<(u32, u32)> {
        let now = self.now();
        let keys = self.signing_keys_or_first().await?;
        let every = self.settings.tokens.key_rotation_secs;
        let mut rotated = 0;
        let newest = keys.last().map(|k| k.created_at);
        if every > 0 && newest.is_some_and(|at| plus_secs(at, every) <= now) {
            self.rotate_signing_key().await?;
            rotated = 1;
        }
        let mut retired = 0;
        // Only keys the sealed records say were replaced: one this secret cannot open is
        // neither shown nor deleted, for an operator to look at.
        let sealed = self.stores.signing_keys.signing_keys().await?;
        for pair in sealed.windows(2) {
            let (old, next) = (&pair[0], &pair[1]);
            let stopped = plus_secs(next.created_at, PUBLISH_AHEAD_SECS);
            if stopped + self.key_overlap() <= now
                && self
                    .stores
                    .signing_keys
                    .delete_signing_key(&old.kid)
                    .await?
            {
                retired += 1;
                let event = AuditEvent::new(AuditKind::SigningKeyRetired, now)
                    .detail("kid", old.kid.clone());
                self.audit.record(event).await?;
            }
        }
        if rotated + retired > 0 {
            self.keyring.forget();
        }
        Ok((rotated, retired))
    }
}

impl Tokens<'_> {
    /// The key that signs now (see [`PUBLISH_AHEAD_SECS`]).
    pub async fn current_signing_key(&self) -> SessionResult<SigningKey> {
        let keys = self.signing_keys_or_first().await?;
        Ok(self.live_keys(keys, self.now())?.1)
    }

    /// The public keys a resource server verifies with (`/.well-known/jwks.json`), read from
    /// the store, so a key just rotated anywhere is in it.
    pub async fn jwks(&self) -> SessionResult<Vec<Jwk>> {
        let keys = self.signing_keys_or_first().await?;
        let (live, _) = self.live_keys(keys, self.now())?;
        Ok(live.iter().map(|k| k.public_key().jwk()).collect())
    }

    /// The kids this node verifies with now.
    pub fn verifying_kids(&self) -> Vec<String> {
        let loaded = self
            .keyring
            .loaded
            .read()
            .unwrap_or_else(|p| p.into_inner());
        loaded
            .iter()
            .flat_map(|l| l.public.iter().map(|k| k.kid().to_owned()))
            .collect()
    }
}
