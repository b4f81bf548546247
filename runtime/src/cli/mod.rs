//! The generated binary's command line: `serve`, `flows`, `check`, `instances`, `invoke`,
//! `runs`, `replay`, `admin` (the README's "The binary's command line" is their reference). Each
//! option sits on the command that reads it.

mod admin;
mod flows;
mod instances;
mod invoke;
mod prune;
mod public_url;
mod replay;
mod runs;
mod serve;

use crate::engine::Engine;
use crate::instances::{Instances, Sealer};
use crate::integration::Integration;
use crate::model::{Config, Result};
use crate::outbound;
use crate::store::{self, Role, Store};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use url::Url;

#[derive(Parser)]
#[command(version, about = "An aqueduct integration: serve its flows, manage customer instances, inspect runs.")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    /// Where runs and instances are kept.
    #[arg(long, global = true, env = "AQUEDUCT_STORE", default_value = "sqlite:aqueduct.db")]
    store: String,
    /// With no command: serve, and run the integration's demo if it has one.
    #[command(flatten)]
    serve: serve::ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the webhook server, the scheduler and the workers (the default when no command is given).
    Serve(serve::ServeArgs),
    /// List the flows: kind, path or schedule, next fire times; pause and resume schedules.
    Flows(flows::FlowsArgs),
    /// Check the integration and the store, and print the manifest.
    Check,
    /// Manage customer instances.
    Instances(instances::InstancesArgs),
    /// Run one flow once, here and now, and print its result.
    Invoke(invoke::InvokeArgs),
    /// List runs, newest first, or show one.
    Runs(runs::RunsArgs),
    /// Run a finished run again with its original input, or every dead run.
    Replay(replay::ReplayArgs),
    /// Manage the tokens of the admin API and dashboard (`/admin`).
    Admin(admin::AdminArgs),
}

/// The generated `main`: parses the command line and runs the command.
#[doc(hidden)]
pub fn run_main<C: Config>(integration: Integration<C>) -> ExitCode {
    let command = Cli::command().name(integration.name()).bin_name(integration.name());
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let serving = matches!(cli.command, None | Some(Command::Serve(_)));
    init_tracing(if serving { "info" } else { "warn" });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("starting the tokio runtime");
    match runtime.block_on(dispatch(integration, cli)) {
        Ok(code) => code,
        // The reader of the output went away (`runs | head`): what it wanted, it has.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch<C: Config>(integration: Integration<C>, cli: Cli) -> Result<ExitCode> {
    let store = cli.store;
    match cli.command {
        None => serve::serve(integration, &store, cli.serve, true).await,
        Some(Command::Serve(args)) => serve::serve(integration, &store, args, false).await,
        Some(Command::Flows(args)) => flows::run(&integration, &store, args).await,
        Some(Command::Check) => flows::check(&integration, &store).await,
        Some(Command::Instances(args)) => instances::run(integration, &store, args).await,
        Some(Command::Invoke(args)) => invoke::invoke(integration, &store, args).await,
        Some(Command::Runs(args)) => runs::run(integration, &store, args).await,
        Some(Command::Replay(args)) => replay::replay(integration, &store, args).await,
        Some(Command::Admin(args)) => admin::run(&store, args).await,
    }
}

fn is_broken_pipe(error: &crate::model::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The handles a command works with: its store, instances and an engine without workers, so
/// a run it admits for a worker waits in the inbox for a server.
struct CommandContext<C: 'static> {
    store: Arc<dyn Store>,
    instances: Arc<Instances<C>>,
    engine: Arc<Engine<C>>,
}

impl<C: Config> CommandContext<C> {
    /// For a command that names no endpoints.
    async fn open(integration: &Integration<C>, store_url: &str) -> Result<CommandContext<C>> {
        let store = store::open(store_url, Role::Command).await?;
        let public_url = public_url::recorded_or_default(store.as_ref()).await?;
        CommandContext::with(integration, store, public_url, store_url)
    }

    /// For a command whose hooks name endpoints (`instances activate`, `deactivate`).
    async fn naming_endpoints(
        integration: &Integration<C>,
        store_url: &str,
        public_url: &public_url::PublicUrlArg,
    ) -> Result<CommandContext<C>> {
        let store = store::open(store_url, Role::Command).await?;
        let public_url = public_url.resolve(store.as_ref()).await?;
        CommandContext::with(integration, store, public_url, store_url)
    }

    fn with(
        integration: &Integration<C>,
        store: Arc<dyn Store>,
        public_url: Url,
        store_url: &str,
    ) -> Result<CommandContext<C>> {
        let sealer = Arc::new(Sealer::for_store(store_url));
        let instances = Arc::new(Instances::new(store.clone(), sealer));
        let http = outbound::runs_client()?;
        let engine = Engine::new(
            integration.flows(),
            store.clone(),
            instances.clone(),
            http,
            public_url,
            0,
            integration.retention(),
        );
        Ok(CommandContext { store, instances, engine })
    }
}

/// Logs go to stderr, so that command output on stdout stays parseable, at `default` or as
/// `AQUEDUCT_LOG` (a tracing filter such as `debug` or `aqueduct=debug`) says; a run's own
/// log keeps its events at INFO and above whatever the console shows.
pub fn init_tracing(default: &str) {
    crate::engine::init_tracing(default, false);
}
