//! `instances activate | deactivate | rotate-key | list | schema`.

use super::CommandContext;
use super::public_url::PublicUrlArg;
use crate::integration::Integration;
use crate::lifecycle::{self, config_file};
use crate::model::{Config, Error, Result};
use crate::report::table;
use crate::store::{self, Role};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(super) struct InstancesArgs {
    #[command(subcommand)]
    command: InstancesCommand,
}

#[derive(Subcommand)]
enum InstancesCommand {
    /// Activate (or re-configure) a customer instance: check its configuration, store it, run on_activate.
    Activate {
        /// The instance's name: lowercase letters, digits, `-` and `_`.
        name: String,
        /// The configuration file, TOML (`.toml`) or JSON.
        #[arg(long)]
        config: PathBuf,
        #[command(flatten)]
        public_url: PublicUrlArg,
    },
    /// Run on_deactivate and retire the instance.
    Deactivate {
        name: String,
        /// Deactivate even if on_deactivate fails.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        public_url: PublicUrlArg,
    },
    /// Encrypt every instance's configuration again with a new key, which replaces the old
    /// one in the key file (back the new one up).
    RotateKey,
    /// List the instances.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the configuration type as JSON Schema, for a form that collects a customer's
    /// configuration; secret fields are marked `"writeOnly": true, "x-secret": true`.
    Schema,
}

pub(super) async fn run<C: Config>(
    integration: Integration<C>,
    store_url: &str,
    args: InstancesArgs,
) -> Result<ExitCode> {
    // Locked only to write: a hook may print while it runs.
    let out = || std::io::stdout().lock();
    match args.command {
        InstancesCommand::Activate { name, config, public_url } => {
            let config = config_file::read::<C>(&config)?;
            let context = CommandContext::naming_endpoints(&integration, store_url, &public_url).await?;
            let activated = lifecycle::activate(&context.engine, &context.instances, &name, config).await?;
            let out = &mut out();
            match activated.hook_run {
                Some(run) => writeln!(out, "activated {name} (on_activate ran as run {run})")?,
                None => writeln!(out, "activated {name}")?,
            }
            let rows: Vec<Vec<String>> =
                activated.endpoints.iter().map(|(flow, url)| vec![flow.to_string(), url.to_string()]).collect();
            if !rows.is_empty() {
                table::write(out, &["FLOW", "ENDPOINT"], &rows)?;
            }
        }
        InstancesCommand::Deactivate { name, force, public_url } => {
            let context = CommandContext::naming_endpoints(&integration, store_url, &public_url).await?;
            match lifecycle::deactivate(&context.engine, &context.instances, &name, force).await? {
                Some(run) => writeln!(out(), "deactivated {name} (on_deactivate ran as run {run})")?,
                None => writeln!(out(), "deactivated {name}")?,
            }
        }
        InstancesCommand::RotateKey => {
            let context = CommandContext::open(&integration, store_url).await?;
            let (sealed_again, key) = context.instances.rotate_key().await?;
            let key_file = context.instances.key_file().display().to_string();
            writeln!(out(), "encrypted {sealed_again} instance configurations with the new key {key}")?;
            eprintln!("the key file {key_file} holds the new key alone now: back it up, the old one opens nothing");
        }
        InstancesCommand::List { json } => {
            let instances = store::open(store_url, Role::Command).await?.instances().await?;
            let out = &mut out();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&instances)?)?;
            } else {
                let rows: Vec<Vec<String>> = instances
                    .iter()
                    .map(|instance| {
                        let status = if instance.active { "active" } else { "inactive" };
                        vec![
                            instance.name.clone(),
                            status.into(),
                            instance.version.to_string(),
                            instance.updated_at.to_string(),
                        ]
                    })
                    .collect();
                table::write(out, &["NAME", "STATUS", "VERSION", "UPDATED"], &rows)?;
            }
        }
        InstancesCommand::Schema => {
            let schema = integration.config_schema().ok_or_else(|| {
                Error::msg(format!(
                    "the configuration type `{}` has no JSON Schema: derive `JsonSchema` for it (and for the types \
                     of its fields), `#[derive(Deserialize, JsonSchema)]`, with `schemars = \"1\"` among your \
                     dependencies",
                    std::any::type_name::<C>()
                ))
            })?;
            writeln!(out(), "{}", serde_json::to_string_pretty(&schema)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
