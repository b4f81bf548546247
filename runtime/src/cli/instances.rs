//! `instances activate | deactivate | list`.

use super::{Settings, table};
use crate::app::App;
use crate::error::Result;
use crate::integration::{Config, Integration};
use crate::lifecycle::{self, config_file};
use crate::store;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub(super) enum InstancesCommand {
    /// Activate (or re-configure) a customer instance: check its configuration, run on_activate, store it.
    Activate {
        /// The instance's name: lowercase letters, digits, `-` and `_`.
        name: String,
        /// The configuration file, TOML (`.toml`) or JSON.
        #[arg(long)]
        config: PathBuf,
    },
    /// Run on_deactivate and retire the instance.
    Deactivate {
        name: String,
        /// Deactivate even if on_deactivate fails.
        #[arg(long)]
        force: bool,
    },
    /// List the instances.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn run<C: Config>(
    integration: Integration<C>,
    settings: &Settings,
    command: InstancesCommand,
) -> Result<ExitCode> {
    let store = store::open(&settings.store, store::Role::Command).await?;
    let app = App::new(integration, store, settings.public_url(), settings.workers)?;
    match command {
        InstancesCommand::Activate { name, config } => {
            let config = config_file::read::<C>(&config)?;
            let activated = lifecycle::activate(&app, &name, config).await?;
            match activated.hook_run {
                Some(run) => println!("activated {name} (on_activate ran as run {run})"),
                None => println!("activated {name}"),
            }
            let rows: Vec<Vec<String>> =
                activated.endpoints.iter().map(|(flow, url)| vec![flow.to_string(), url.to_string()]).collect();
            if !rows.is_empty() {
                table::print(&["FLOW", "ENDPOINT"], &rows);
            }
        }
        InstancesCommand::Deactivate { name, force } => match lifecycle::deactivate(&app, &name, force).await? {
            Some(run) => println!("deactivated {name} (on_deactivate ran as run {run})"),
            None => println!("deactivated {name}"),
        },
        InstancesCommand::List { json } => {
            let instances = app.store.instances().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&instances)?);
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
                table::print(&["NAME", "STATUS", "VERSION", "UPDATED"], &rows);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
