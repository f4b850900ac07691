//! The access tokens' signing keys, shared by every node through the store (decision 0031):
//! the newest key signs; a key stays in `/.well-known/jwks.json` until every token it can have
//! signed has expired, so a rotation never makes a valid token fail to verify.

use crate::access_token::{ACCESS_LIFETIME_SECS, Jwk, SigningKey};
use crate::audit::{AuditEvent, AuditKind};
use crate::error::CoreError;
use crate::time::{SignedDuration, Timestamp};

use super::{SessionError, SessionResult, SessionService};

/// A key opened from the store, with its creation time.
struct Opened {
    key: SigningKey,
    created_at: Timestamp,
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

    /// Makes a new signing key, which signs from now on; returns its `kid`.
    pub async fn rotate_signing_key(&self) -> SessionResult<String> {
        let key = SigningKey::generate()?;
        let now = self.now();
        // Strictly newer than every stored key, so "the newest" is never a tie, even within
        // one millisecond or under a stopped clock.
        let newest = self.stores.signing_keys.signing_keys().await?.pop();
        let created_at = match newest {
            Some(k) if k.created_at >= now => k.created_at + SignedDuration::from_millis(1),
            _ => now,
        };
        let sealed = key.seal(&self.key, created_at)?;
        self.stores.signing_keys.add_signing_key(&sealed).await?;
        let event =
            AuditEvent::new(AuditKind::SigningKeyRotated, now).detail("kid", key.kid().to_owned());
        self.audit.record(event).await?;
        Ok(key.kid().to_owned())
    }

    /// The key that signs now: the newest, made when there is none. Nodes that make the first
    /// key at once each add one; the newest of them signs on every node.
    pub async fn current_signing_key(&self) -> SessionResult<SigningKey> {
        if let Some(newest) = self.opened_signing_keys().await?.pop() {
            return Ok(newest.key);
        }
        match self.rotate_signing_key().await {
            Ok(_) | Err(SessionError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        self.opened_signing_keys()
            .await?
            .pop()
            .map(|o| o.key)
            .ok_or_else(|| {
                CoreError::Signing("no signing key this server key can open".into()).into()
            })
    }

    /// The public keys a resource server verifies with: the current key and every older key
    /// that was replaced less than an access token's lifetime ago.
    /// The first key is made here when the store has none, so the document is never empty.
    pub async fn jwks(&self) -> SessionResult<Vec<Jwk>> {
        let mut keys = self.opened_signing_keys().await?;
        if keys.is_empty() {
            self.current_signing_key().await?;
            keys = self.opened_signing_keys().await?;
        }
        let now = self.now();
        let lifetime = SignedDuration::from_secs(ACCESS_LIFETIME_SECS);
        let mut shown = Vec::new();
        for (i, opened) in keys.iter().enumerate() {
            let replaced_at = keys.get(i + 1).map(|next| next.created_at);
            let valid = replaced_at.is_none_or(|at| at + lifetime > now);
            if valid {
                shown.push(opened.key.public_key().jwk());
            }
        }
        Ok(shown)
    }
}
