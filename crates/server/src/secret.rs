//! The server's secret key: from `SESSIOND_SECRET_KEY`, from `SESSIOND_SECRET_KEY_FILE`, or,
//! outside production, generated once into the data directory and reused.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use sessiond_core::{SecretKey, Stores};

use crate::config::{Config, Environment};

const GENERATED_FILE: &str = "secret.key";

pub fn load_secret_key(config: &Config) -> anyhow::Result<SecretKey> {
    let s = &config.server;
    if let Some(key) = &s.secret_key {
        return key_from(key.expose().as_bytes(), "SESSIOND_SECRET_KEY");
    }
    if let Some(path) = &s.secret_key_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?;
        return key_from(text.trim().as_bytes(), "SESSIOND_SECRET_KEY_FILE");
    }
    if config.environment == Environment::Production {
        bail!("SESSIOND_SECRET_KEY or SESSIOND_SECRET_KEY_FILE is required in production");
    }
    let path = s.data_dir.join(GENERATED_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("could not read {}", path.display()))?;
        return key_from(text.trim().as_bytes(), &path.display().to_string());
    }
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sessiond_core::random::bytes::<32>()?);
    write_private(&path, &key)?;
    tracing::info!(path = %path.display(), "generated a new secret key");
    key_from(key.as_bytes(), "generated key")
}

fn key_from(bytes: &[u8], what: &str) -> anyhow::Result<SecretKey> {
    match SecretKey::new(bytes.to_vec()) {
        Some(k) => Ok(k),
        None => bail!(
            "{what}: the key must have at least {} characters",
            SecretKey::MIN_LEN
        ),
    }
}

/// Creates `path` readable by its owner only.
pub(crate) fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// A node whose secret is not the one the store was first opened with: every CSRF token,
/// access token and signing key the other nodes made would fail on it. The CLI exits 2.
#[derive(Debug)]
pub struct SecretMismatch {
    pub store: String,
}

impl std::fmt::Display for SecretMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the store {} was first opened with another server secret. Give every node, and \
             the CLI, the same SESSIOND_SECRET_KEY (or SESSIOND_SECRET_KEY_FILE): a node \
             started from another folder generates a secret of its own into its data folder. \
             To change the secret on purpose, stop every node, run `sessiond keys adopt-secret` \
             with the new one, then start the nodes with it (docs/deployment.md, \"One secret\")",
            self.store
        )
    }
}

impl std::error::Error for SecretMismatch {}

/// Holds the store to the secret it was first opened with (`SecretCheck`): the first node to
/// open a store leaves the check value of its secret there. A store from before the check has
/// none, but its signing keys tell: a secret that opens none of them is another one.
pub(crate) async fn check_secret(
    stores: &Stores,
    key: &SecretKey,
    store: &str,
) -> anyhow::Result<()> {
    let mismatch = || SecretMismatch {
        store: store.to_owned(),
    };
    let sealed = stores.signing_keys.signing_keys().await?;
    if !sealed.is_empty() && sealed.iter().all(|k| k.open(key).is_none()) {
        return Err(mismatch().into());
    }
    let mine = key.check_value();
    let kept = stores
        .secret_check
        .claim_secret_check(&mine)
        .await
        .with_context(|| format!("could not read the secret check of the store {store}"))?;
    if kept != mine {
        return Err(mismatch().into());
    }
    Ok(())
}
