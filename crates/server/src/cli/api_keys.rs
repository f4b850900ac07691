//! `sessiond api-keys ...`: keys of the backend API (docs/api.md, "Backend API").

use std::path::Path;

use anyhow::bail;
use clap::Subcommand;
use sessiond_core::SessionError;
use sessiond_core::api_key::Scope;

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key; it is printed once, and only its hash is stored.
    Create {
        name: String,
        /// sessions:read, sessions:write or admin; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// List the keys: names, scopes, dates; never a secret.
    List,
    /// Revoke a key at once, on every node.
    Revoke { name: String },
}

fn scopes(names: &[String]) -> anyhow::Result<Vec<Scope>> {
    names
        .iter()
        .flat_map(|n| n.split(','))
        .map(|n| {
            Scope::parse(n.trim()).ok_or_else(|| {
                let all: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                anyhow::anyhow!("unknown scope {n:?}: choose from {}", all.join(", "))
            })
        })
        .collect()
}

pub(super) async fn run(env_file: &Path, cmd: ApiKeysCommand) -> anyhow::Result<()> {
    let (_, state) = super::tool_state(env_file).await?;
    let service = &state.service;
    match cmd {
        ApiKeysCommand::Create {
            name,
            scopes: names,
        } => {
            let secret = service
                .create_api_key(&name, scopes(&names)?)
                .await
                .map_err(|e| match e {
                    SessionError::Invalid(m) => anyhow::anyhow!(m),
                    e => anyhow::Error::new(e),
                })?;
            eprintln!("created API key {name:?}; it is shown this once, keep it secret:");
            println!("{}", secret.expose());
        }
        ApiKeysCommand::List => {
            println!("{:<24} {:<36} {:<26} status", "name", "scopes", "created");
            for key in service.api_keys().await? {
                let scopes: Vec<_> = key.scopes.iter().map(|s| s.as_str()).collect();
                let status = key
                    .revoked_at
                    .map_or("active".to_owned(), |at| format!("revoked {at}"));
                println!(
                    "{:<24} {:<36} {:<26} {status}",
                    key.name,
                    scopes.join(","),
                    key.created_at.to_string()
                );
            }
        }
        ApiKeysCommand::Revoke { name } => {
            if !service.revoke_api_key(&name).await? {
                bail!("no active API key named {name:?}");
            }
            println!("revoked API key {name:?}");
        }
    }
    Ok(())
}
