//! `sessiond api-keys ...`: keys of the backend API (docs/api.md, "Backend API").

use std::path::Path;

use anyhow::bail;
use clap::Subcommand;
use sessiond_core::SessionError;
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key; it is printed once, and only its hash is stored.
    Create {
        name: String,
        /// sessions:read, sessions:write or admin; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// A sessions:write key asserts identities: the roles it may create sessions and
        /// users for (comma-separated or repeated). Never superadmin: that takes admin.
        #[arg(long = "roles", value_delimiter = ',')]
        roles: Vec<String>,
        /// With --roles: the only users it may create sessions for (default: any user with
        /// one of the roles).
        #[arg(long = "users", value_delimiter = ',')]
        users: Vec<String>,
    },
    /// List the keys: names, scopes, roles and users, dates; never a secret.
    List,
    /// Revoke a key at once, on every node.
    Revoke { name: String },
    /// Replace the roles (and users) a sessions:write key may assert, at once on every node.
    SetRoles {
        name: String,
        #[arg(long = "roles", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        #[arg(long = "users", value_delimiter = ',')]
        users: Vec<String>,
    },
}

fn explain(e: SessionError) -> anyhow::Error {
    match e {
        SessionError::Invalid(m) => anyhow::anyhow!(m),
        e => anyhow::Error::new(e),
    }
}

fn trimmed(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
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
    let reach = match cmd {
        ApiKeysCommand::Create { .. } => super::Reach::MayCreate,
        _ => super::Reach::Existing,
    };
    let (config, state) = super::tool_state(env_file, reach).await?;
    let store = super::store::named(&config);
    let service = &state.service;
    match cmd {
        ApiKeysCommand::Create {
            name,
            scopes: names,
            roles,
            users,
        } => {
            let new = NewApiKey {
                name: name.clone(),
                scopes: scopes(&names)?,
                roles: trimmed(roles),
                users: trimmed(users),
            };
            let asserts_nobody = new.roles.is_empty()
                && new.scopes.contains(&Scope::SessionsWrite)
                && !new.scopes.contains(&Scope::Admin);
            let secret = service.admin().create_api_key(new).await.map_err(explain)?;
            eprintln!("created API key {name:?}; it is shown this once, keep it secret:");
            if asserts_nobody {
                eprintln!(
                    "note: without --roles it creates no session and no user; give it the roles \
                     it may assert: sessiond api-keys set-roles {name} --roles ROLE,..."
                );
            }
            println!("{}", secret.expose());
        }
        ApiKeysCommand::List => {
            println!(
                "{:<24} {:<30} {:<30} {:<26} status",
                "name", "scopes", "roles (users)", "created"
            );
            for key in service.admin().api_keys().await? {
                let scopes: Vec<_> = key.scopes.iter().map(|s| s.as_str()).collect();
                let status = key
                    .revoked_at
                    .map_or("active".to_owned(), |at| format!("revoked {at}"));
                let mut asserts = if key.scopes.contains(&Scope::Admin) {
                    "any".to_owned()
                } else if key.roles.is_empty() {
                    "-".to_owned()
                } else {
                    key.roles.join(",")
                };
                if !key.users.is_empty() {
                    asserts = format!("{asserts} ({})", key.users.join(","));
                }
                println!(
                    "{:<24} {:<30} {:<30} {:<26} {status}",
                    key.name,
                    scopes.join(","),
                    asserts,
                    key.created_at.to_string()
                );
            }
        }
        ApiKeysCommand::SetRoles { name, roles, users } => {
            let changed = service
                .admin()
                .set_api_key_roles(&name, trimmed(roles), trimmed(users))
                .await
                .map_err(explain)?;
            if !changed {
                bail!("no active API key named {name:?} in the store {store}");
            }
            println!("API key {name:?} may now assert the roles given");
        }
        ApiKeysCommand::Revoke { name } => {
            if !service.admin().revoke_api_key(&name).await? {
                bail!("no active API key named {name:?} in the store {store}");
            }
            println!("revoked API key {name:?}");
        }
    }
    Ok(())
}
