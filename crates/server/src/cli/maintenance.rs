//! `sessiond cleanup` and `sessiond migrate`.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use sessiond_core::service::{CleanupOptions, CleanupPhase, CleanupProgress};
use std::sync::Mutex;

pub(super) async fn cleanup(env_file: &Path, dry_run: bool) -> anyhow::Result<()> {
    let (_, state) = super::tool_state(env_file, super::Reach::Existing).await?;
    let opts = CleanupOptions {
        phases: CleanupPhase::ALL.to_vec(),
        max_batches: None,
        dry_run,
    };
    let style = ProgressStyle::with_template("{msg:<26} [{bar:30}] {pos}/{len}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    // One bar per phase; the callback is called from the cleanup loop, never concurrently.
    let bar: Mutex<Option<(CleanupPhase, ProgressBar)>> = Mutex::new(None);
    let on_progress = |p: CleanupProgress| {
        let mut slot = bar.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_none_or(|(phase, _)| *phase != p.phase) {
            if let Some((_, old)) = slot.take() {
                old.finish();
            }
            let b = ProgressBar::new(p.total)
                .with_style(style.clone())
                .with_message(p.phase.label());
            *slot = Some((p.phase, b));
        }
        if let Some((_, b)) = slot.as_ref() {
            b.set_length(p.total);
            b.set_position(p.done);
        }
    };
    let report = state.service.admin().cleanup(&opts, &on_progress).await?;
    if let Some((_, b)) = bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
        b.finish();
    }
    let verb = if dry_run { "would be" } else { "were" };
    println!("cleanup {}:", if dry_run { "dry run" } else { "done" });
    println!(
        "  {} expired session(s) {verb} marked expired",
        report.expired
    );
    println!(
        "  {} session record(s) past retention {verb} deleted",
        report.purged_sessions
    );
    println!(
        "  {} audit event(s) past retention {verb} deleted",
        report.purged_audit
    );
    if !dry_run {
        println!("  in {} batch(es)", report.batches);
    }
    Ok(())
}

pub(super) async fn migrate(env_file: &Path) -> anyhow::Result<()> {
    let (config, state) = super::tool_state(env_file, super::Reach::MayCreate).await?;
    println!(
        "{} store {} is at the latest schema",
        state.service.admin().store_kind(),
        config.server.store
    );
    Ok(())
}

pub(super) async fn store_check(env_file: &Path) -> anyhow::Result<()> {
    let (config, state) = super::tool_state(env_file, super::Reach::Existing).await?;
    let admin = state.service.admin();
    let kind = admin.store_kind();
    let where_ = config.server.store.to_string();
    let started = std::time::Instant::now();
    admin
        .ping_store()
        .await
        .map_err(|e| anyhow::anyhow!("{kind} store at {where_} is unhealthy: {e}"))?;
    let latency = started.elapsed();
    println!("store:           {kind} ({where_})");
    println!(
        "health:          ok (ping {:.1} ms)",
        latency.as_secs_f64() * 1000.0
    );
    println!("users:           {}", admin.count_users().await?);
    println!("active sessions: {}", admin.count_active_sessions().await?);
    println!("awaiting expiry: {}", admin.count_sessions_due().await?);
    // Seed 004's pool status: this command's own pool, a fresh one; the server's is in
    // /metrics (sessiond_store_pool_*).
    match admin.store_pool() {
        Some(p) => println!(
            "pool:            {} open of {} at most, {} idle, {} waiting",
            p.open, p.max, p.idle, p.waiting
        ),
        None => println!("pool:            none ({kind} multiplexes its connection)"),
    }
    Ok(())
}

/// `sessiond keys rotate`: a new access token signing key; prints its `kid`.
pub(super) async fn rotate_keys(env_file: &Path) -> anyhow::Result<()> {
    let (_, state) = super::tool_state(env_file, super::Reach::Existing).await?;
    let kid = state.service.admin().rotate_signing_key().await?;
    println!("{kid}");
    Ok(())
}

/// `sessiond keys revoke KID`: the key dropped at once.
pub(super) async fn revoke_key(env_file: &Path, kid: &str) -> anyhow::Result<()> {
    let (_, state) = super::tool_state(env_file, super::Reach::Existing).await?;
    if !state.service.admin().revoke_signing_key(kid).await? {
        anyhow::bail!(
            "no signing key {kid:?} (sessiond keys rotate prints a key's id; the JWKS document lists them)"
        );
    }
    println!("revoked signing key {kid}; its tokens are refused from now on");
    Ok(())
}

/// `sessiond keys adopt-secret`: the store's secret check replaced by this node's.
pub(super) async fn adopt_secret(env_file: &Path) -> anyhow::Result<()> {
    let filter = std::env::var("SESSIOND_LOG").unwrap_or_else(|_| "warn".into());
    super::init_tracing(&filter, false, false);
    let (config, _) = super::load_config(env_file)?;
    super::store::reach(&config, super::Reach::Existing)?;
    let stores = crate::open_unchecked(&config).await?;
    let key = crate::load_secret_key(&config)?;
    stores
        .secret_check
        .replace_secret_check(&key.check_value())
        .await?;
    let mut dropped = 0;
    for sealed in stores.signing_keys.signing_keys().await? {
        if sealed.open(&key).is_none()
            && stores.signing_keys.delete_signing_key(&sealed.kid).await?
        {
            dropped += 1;
        }
    }
    println!(
        "the store {} now holds this secret; {dropped} signing key(s) sealed under another were dropped",
        config.server.store
    );
    Ok(())
}
