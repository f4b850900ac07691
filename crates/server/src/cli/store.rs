//! Which store a tool command reaches, and how its errors name it: the CLI run from another
//! folder, or without the server's `SESSIOND_STORE_URL`, must not quietly make an empty store
//! of its own and then find nothing in it.

use std::path::PathBuf;

use anyhow::bail;

use super::Reach;
use crate::config::{Config, StoreUrl};

/// Checks that `config`'s store can be reached as `reach` allows. Returns the path of a SQLite
/// file the command is about to create.
pub(super) fn reach(config: &Config, reach: Reach) -> anyhow::Result<Option<PathBuf>> {
    match &config.server.store {
        StoreUrl::Memory => bail!(
            "SESSIOND_STORE_URL=memory:// keeps the store inside the running server, where the \
             CLI cannot reach it: use SQLite, PostgreSQL or Redis to manage users, keys and the \
             audit trail from the command line"
        ),
        StoreUrl::Sqlite(url) => {
            let path = sessiond_store_sqlite::path_of(url).map_err(anyhow::Error::msg)?;
            if path.exists() {
                return Ok(None);
            }
            let shown = absolute(&path);
            if reach == Reach::Existing {
                bail!(
                    "no store at {} (SESSIOND_STORE_URL={url}): run the command where the server \
                     runs, with its .env (--env-file), or start `sessiond serve` once to create it",
                    shown.display()
                );
            }
            Ok(Some(shown))
        }
        StoreUrl::Postgres(_) | StoreUrl::Redis(_) => Ok(None),
    }
}

/// The store as an error names it: its URL (with any password redacted), and for SQLite the
/// file's full path.
pub(super) fn named(config: &Config) -> String {
    match &config.server.store {
        StoreUrl::Sqlite(url) => match sessiond_store_sqlite::path_of(url) {
            Ok(path) => format!("{url} ({})", absolute(&path).display()),
            Err(_) => url.clone(),
        },
        other => other.to_string(),
    }
}

fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
