//! Configuration: seed 001's `SESSION_*` variables and sessiond's `SESSIOND_*` server settings,
//! parsed raw (strings with their source), then checked once into a typed [`Config`] that lists
//! every problem together.

#[cfg(test)]
mod feature_tests;
mod ldap;
mod raw;
mod reader;
mod seed_notes;
mod server;
mod shown;
#[cfg(test)]
mod tests;
mod typed;
pub mod vars;

pub use raw::{RawConfig, Source, process_env, read_dotenv};
pub use seed_notes::seed_notes;
pub use server::ServerConfig;
pub use server::{Secret, StoreUrl, redact_url};
pub use shown::{Shown, shown};
pub use typed::{Config, Features, Monitoring, Security, SyncConfig};
pub use vars::Environment;

use std::collections::BTreeMap;
use std::path::Path;

/// Loads the configuration from `dotenv_path` and the process environment.
pub fn load(dotenv_path: &Path) -> Result<(Config, RawConfig), Vec<String>> {
    let dotenv = read_dotenv(dotenv_path).map_err(|e| vec![e])?;
    from_maps(&dotenv, &process_env())
}

/// The same from explicit maps (tests use this: no process state involved).
pub fn from_maps(
    dotenv: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> Result<(Config, RawConfig), Vec<String>> {
    let raw = RawConfig::layered(dotenv, env);
    Config::from_raw(&raw).map(|c| (c, raw))
}
