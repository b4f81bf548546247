//! `admin token create NAME | revoke NAME | list`: who may use the admin API and dashboard.

use crate::instances::AdminTokens;
use crate::model::{Error, Result};
use crate::report::table;
use crate::store::{self, Role};
use clap::{Args, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub(super) struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Admin API tokens (`Authorization: Bearer …`, or signing in to `/admin/ui`).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token and print it; it is shown this once (only its digest is stored).
    Create {
        /// A name to revoke it by: lowercase letters, digits, `-` and `_`.
        name: String,
    },
    /// Revoke a token: every server refuses it from its next request.
    Revoke { name: String },
    /// List the tokens' names, revoked ones too (their values are not stored).
    List,
}

pub(super) async fn run(store_url: &str, args: AdminArgs) -> Result<ExitCode> {
    let tokens = AdminTokens::new(store::open(store_url, Role::Command).await?);
    let out = &mut std::io::stdout().lock();
    let AdminCommand::Token(command) = args.command;
    match command {
        TokenCommand::Create { name } => match tokens.create(&name).await? {
            Some(token) => writeln!(out, "{token}")?,
            None => {
                return Err(Error::msg(format!(
                    "there is a token `{name}` already; revoke it first or pick another name"
                )));
            }
        },
        TokenCommand::Revoke { name } => {
            if !tokens.revoke(&name).await? {
                return Err(Error::msg(format!("there is no token `{name}`; `admin token list` shows them")));
            }
            writeln!(out, "revoked {name}")?;
        }
        TokenCommand::List => {
            let rows: Vec<Vec<String>> = tokens
                .list()
                .await?
                .into_iter()
                .map(|token| {
                    let revoked = token.revoked_at.map(|at| at.to_string()).unwrap_or_default();
                    vec![token.name, token.created_at.to_string(), revoked]
                })
                .collect();
            table::write(out, &["NAME", "CREATED", "REVOKED"], &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
