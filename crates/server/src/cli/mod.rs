//! The command line: `serve`, and the operator's tools (users, audit, cleanup, config,
//! migrate). `anyhow` lives here and in `main` only.

mod api_keys;
pub mod audit;
mod config_cmd;
mod json_log;
mod maintenance;
mod reload;
mod serve;
mod store;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use sessiond_core::SystemClock;
use sessiond_http::AppState;

use crate::config::{self, Config, RawConfig};

#[derive(Debug, Parser)]
#[command(
    name = "sessiond",
    version,
    about = "A session service for web applications"
)]
pub struct Cli {
    /// The .env file to read (a missing file is fine).
    #[arg(long, global = true, default_value = ".env")]
    pub env_file: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the session service.
    Serve,
    /// Manage users.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Manage the keys of the backend API.
    #[command(subcommand)]
    ApiKeys(api_keys::ApiKeysCommand),
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Manage the access tokens' signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Expire, purge and trim now, as the background job does.
    Cleanup {
        /// Count what would be done, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Apply the store's schema migrations (also done at start).
    Migrate,
    /// Inspect the configured store.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Inspect and manage the configuration.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key: in the JWKS document at once, signing on every node within
    /// ten seconds; the old ones still verify until their tokens have expired. Prints the new
    /// key's id.
    Rotate,
    /// Drop the key KID at once, for a suspected leak: out of the JWKS document now, and its
    /// tokens refused by every node within five seconds. A new key signs at once when it was
    /// the one that signed.
    Revoke { kid: String },
    /// Make this node's server secret the store's, for a secret changed on purpose, with every
    /// node stopped: the store then refuses nodes with the old one. Signing keys sealed under
    /// the old secret are dropped (their tokens stop verifying, a new key signs); sessions
    /// stay, and their CSRF tokens change at the next check.
    AdoptSecret,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Say what the store is and whether it is healthy (exit code 1 when it is not).
    Check,
}

/// An error the CLI reports with a specific exit code.
#[derive(Debug)]
pub struct ConfigInvalid(pub Vec<String>);

impl std::fmt::Display for ConfigInvalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "the configuration is invalid:")?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigInvalid {}

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve => serve::run(&cli.env_file).await,
        Command::Users(cmd) => users::run(&cli.env_file, cmd).await,
        Command::ApiKeys(cmd) => api_keys::run(&cli.env_file, cmd).await,
        Command::Audit(cmd) => audit::run(&cli.env_file, cmd).await,
        Command::Keys(KeysCommand::Rotate) => maintenance::rotate_keys(&cli.env_file).await,
        Command::Keys(KeysCommand::Revoke { kid }) => {
            maintenance::revoke_key(&cli.env_file, &kid).await
        }
        Command::Keys(KeysCommand::AdoptSecret) => maintenance::adopt_secret(&cli.env_file).await,
        Command::Cleanup { dry_run } => maintenance::cleanup(&cli.env_file, dry_run).await,
        Command::Migrate => maintenance::migrate(&cli.env_file).await,
        Command::Store(StoreCommand::Check) => maintenance::store_check(&cli.env_file).await,
        Command::Config(cmd) => config_cmd::run(&cli.env_file, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<ConfigInvalid>().is_some()
                || e.downcast_ref::<crate::SecretMismatch>().is_some() =>
        {
            eprintln!("sessiond: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("sessiond: {}", said_once(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes, each said once: a wrapper that repeats its source in its own text
/// (a pool's "...: db error" around the driver's "db error", around PostgreSQL's "FATAL: ...")
/// would otherwise print `db error: db error: FATAL: ...`.
fn said_once(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Loads and checks the configuration.
pub(crate) fn load_config(env_file: &std::path::Path) -> anyhow::Result<(Config, RawConfig)> {
    Ok(config::load(env_file).map_err(ConfigInvalid)?)
}

/// Warns about `SESSION_*`/`SESSIOND_*` variables nobody reads: usually typos.
pub(crate) fn warn_unknown(raw: &RawConfig) {
    for name in &raw.unknown {
        tracing::warn!(variable = %name, "unknown variable ignored (typo?)");
    }
}

/// Sets up logging. CLI tools log warnings only, to stderr, unless `SESSIOND_LOG` says
/// otherwise; the server logs at the configured level to stdout.
pub(crate) fn init_tracing(filter: &str, json: bool, to_stdout: bool) {
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours for a person at a terminal only: never in a file, a pipe, or with NO_COLOR set
    // (no-color.org).
    let terminal = if to_stdout {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour);
    let json_lines = |span: bool| {
        // The request's span (its id, method and path) rides on every line logged in it.
        let format = tracing_subscriber::fmt::format()
            .json()
            .flatten_event(true)
            .with_current_span(span)
            .with_span_list(false);
        json_log::ObjectDetails(format)
    };
    // Each shape of subscriber has a handle of its own type; the one installed leaves a
    // closure that replaces its filter (SIGHUP, `reload_log_filter`).
    macro_rules! install {
        ($builder:expr) => {{
            let builder = $builder.with_filter_reloading();
            let handle = builder.reload_handle();
            let result = builder.try_init();
            if result.is_ok() {
                let _ = LOG_FILTER.set(Box::new(move |f: &str| {
                    let filter = EnvFilter::try_new(f).map_err(|e| e.to_string())?;
                    handle.reload(filter).map_err(|e| e.to_string())
                }));
            }
            result
        }};
    }
    let result = match (json, to_stdout) {
        (true, true) => install!(
            builder
                .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                .event_format(json_lines(true))
        ),
        (true, false) => install!(
            builder
                .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                .event_format(json_lines(false))
                .with_writer(std::io::stderr)
        ),
        (false, true) => install!(builder),
        (false, false) => install!(builder.with_writer(std::io::stderr)),
    };
    // A second init (tests) keeps the first subscriber, which is fine.
    drop(result);
}

type FilterReload = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Replaces the installed subscriber's filter: set by [`init_tracing`].
static LOG_FILTER: std::sync::OnceLock<FilterReload> = std::sync::OnceLock::new();

/// Puts `filter` (`SESSIOND_LOG`'s syntax) in force, as [`init_tracing`] installed it.
pub(crate) fn reload_log_filter(filter: &str) -> Result<(), String> {
    match LOG_FILTER.get() {
        Some(reload) => reload(filter),
        None => Err("no log subscriber of sessiond's is installed".into()),
    }
}

/// Whether a tool command may create the store it is pointed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// It makes the first records (`users add`, `api-keys create`, `migrate`): a store that
    /// does not exist yet is created, and the CLI says where.
    MayCreate,
    /// It reads or changes records that must already be there: a missing store is an error
    /// that names where it looked, never a new empty one.
    Existing,
}

/// Configuration, logging and the service, for the tool commands.
pub(crate) async fn tool_state(
    env_file: &std::path::Path,
    reach: Reach,
) -> anyhow::Result<(Config, AppState)> {
    let filter = std::env::var("SESSIOND_LOG").unwrap_or_else(|_| "warn".into());
    init_tracing(&filter, false, false);
    let (config, raw) = load_config(env_file)?;
    warn_unknown(&raw);
    let created = store::reach(&config, reach)?;
    let state = crate::build(&config, Arc::new(SystemClock)).await?;
    if let Some(path) = created {
        eprintln!(
            "sessiond: created a new store at {} (SESSIOND_STORE_URL={}); the server must use \
             the same one",
            path.display(),
            config.server.store
        );
    }
    Ok((config, state))
}
