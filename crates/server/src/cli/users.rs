//! `sessiond users ...`.

use std::io::BufRead as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use sessiond_core::SessionError;
use sessiond_core::service::NewUser;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a local user; the password is read from standard input.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// A context (platform) the user may switch to; repeat for several.
        #[arg(long = "context")]
        contexts: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user and end all their sessions.
    Disable { name: String },
    /// Enable a disabled user again: they may log in.
    Enable { name: String },
    /// Rename a user and end their sessions (the old name is in their headers and tokens).
    Rename { name: String, new_name: String },
    /// Delete a user and end their sessions. Their audit records stay (the trail is a hash
    /// chain, and who did what outlives the account) until SESSION_AUDIT_RETENTION_DAYS. The
    /// last superadmin cannot be deleted.
    Delete {
        name: String,
        /// Confirm: the account cannot be brought back.
        #[arg(long, required = true)]
        yes: bool,
    },
    /// Set a user's password (from standard input) and end their sessions.
    SetPassword {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Give a user another role and end their sessions (they log in again with it).
    SetRole { name: String, role: String },
    /// Replace the contexts (platforms) a user may switch between; none clears them.
    SetContexts {
        name: String,
        /// A context; repeat for several. The first is where new sessions start.
        #[arg(long = "context")]
        contexts: Vec<String>,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!(
            "no password on standard input (try: echo 'a long password' | sessiond users add ...)"
        );
    }
    Ok(password)
}

fn explain(e: SessionError, name: &str, store: &str) -> anyhow::Error {
    match e {
        SessionError::NotFound => anyhow::anyhow!("no user named {name:?} in the store {store}"),
        SessionError::Invalid(m) | SessionError::Conflict(m) => anyhow::anyhow!(m),
        e => anyhow::Error::new(e),
    }
}

pub(super) async fn run(env_file: &Path, cmd: UsersCommand) -> anyhow::Result<()> {
    let reach = match cmd {
        UsersCommand::Add { .. } => super::Reach::MayCreate,
        _ => super::Reach::Existing,
    };
    let (config, state) = super::tool_state(env_file, reach).await?;
    let store = super::store::named(&config);
    let service = &state.service;
    match cmd {
        UsersCommand::Add {
            name,
            role,
            display_name,
            contexts,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let user = service
                .admin()
                .create_user(NewUser {
                    username: name.clone(),
                    display_name,
                    role,
                    password,
                    contexts,
                })
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!(
                "created user {} ({}, role {})",
                user.username, user.id, user.role
            );
        }
        UsersCommand::List => {
            let users = service.admin().list_users().await?;
            println!(
                "{:<24} {:<12} {:<8} {:<8} DISPLAY NAME",
                "USERNAME", "ROLE", "AUTH", "ENABLED"
            );
            for u in users {
                let enabled = if u.enabled { "yes" } else { "no" };
                println!(
                    "{:<24} {:<12} {:<8} {:<8} {}",
                    u.username,
                    u.role,
                    u.auth_method.as_str(),
                    enabled,
                    u.display_name
                );
            }
        }
        UsersCommand::Disable { name } => {
            let ended = service
                .admin()
                .disable_user(&name)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!("disabled {name}; ended {ended} active session(s)");
        }
        UsersCommand::Enable { name } => {
            let user = service
                .admin()
                .enable_user(&name)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!("enabled {}", user.username);
        }
        UsersCommand::Rename { name, new_name } => {
            let ended = service
                .admin()
                .rename_user(&name, &new_name)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!("renamed {name} to {new_name}; ended {ended} active session(s)");
        }
        UsersCommand::Delete { name, yes: _ } => {
            let ended = service
                .admin()
                .delete_user(&name)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!("deleted {name}; ended {ended} active session(s); their audit records stay");
        }
        UsersCommand::SetPassword {
            name,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let ended = service
                .admin()
                .set_password(&name, &password)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!("password of {name} changed; ended {ended} active session(s)");
        }
        UsersCommand::SetRole { name, role } => {
            let ended = service
                .admin()
                .set_role(&name, &role)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!("{name} is now {role}; ended {ended} active session(s)");
        }
        UsersCommand::SetContexts { name, contexts } => {
            let (user, moved) = service
                .admin()
                .set_contexts(&name, contexts)
                .await
                .map_err(|e| explain(e, &name, &store))?;
            println!(
                "contexts of {name}: {}; moved {moved} active session(s) out of removed contexts",
                user.contexts.join(", ")
            );
        }
    }
    Ok(())
}
