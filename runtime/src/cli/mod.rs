//! The generated binary's command line (the contract is in DESIGN.md, "The binary's contract").

mod flows;
mod instances;
mod invoke;
mod replay;
mod runs;
mod serve;
mod table;

pub(crate) use runs::print_list as print_runs;

use crate::error::Result;
use crate::integration::{Config, Integration};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;
use url::Url;

#[derive(Parser)]
#[command(version, about = "An aqueduct integration: serve its flows, manage customer instances, inspect runs.")]
struct Cli {
    /// Where runs and instances are kept.
    #[arg(long, global = true, env = "AQUEDUCT_STORE", default_value = "sqlite:aqueduct.db")]
    store: String,
    /// The address `serve` listens on.
    #[arg(long, global = true, env = "AQUEDUCT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The URL third parties reach the server at; endpoint URLs start with it [default: http://LISTEN].
    #[arg(long, global = true, env = "AQUEDUCT_PUBLIC_URL")]
    public_url: Option<Url>,
    /// How long `serve` waits at shutdown for runs to finish; the rest resume at the next start.
    #[arg(long, global = true, env = "AQUEDUCT_DRAIN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    drain_timeout: std::time::Duration,
    /// Deliveries that may wait to be written before `serve` answers 503.
    #[arg(long, global = true, env = "AQUEDUCT_QUEUE_CAPACITY", default_value_t = 4096)]
    queue_capacity: usize,
    /// Runs `serve` executes at once; a flow's `concurrency = N` limits within it.
    #[arg(long, global = true, env = "AQUEDUCT_WORKERS", default_value_t = crate::engine::DEFAULT_WORKERS,
          value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the webhook server, the scheduler and the workers (the default when no command is given).
    Serve,
    /// List the flows: kind, path or schedule, next fire times.
    Flows {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check the integration and the store, and print the manifest.
    Check,
    /// Manage customer instances.
    Instances {
        #[command(subcommand)]
        command: instances::InstancesCommand,
    },
    /// Run one flow once, here and now, and print its result.
    Invoke(invoke::InvokeArgs),
    /// List runs, newest first, or show one.
    Runs(runs::RunsArgs),
    /// Run a finished run again with its original input, or every dead run.
    Replay(replay::ReplayArgs),
}

/// Global settings every command shares.
pub(crate) struct Settings {
    pub store: String,
    pub listen: SocketAddr,
    pub public_url: Option<Url>,
    pub drain_timeout: std::time::Duration,
    pub queue_capacity: usize,
    pub workers: usize,
}

impl Settings {
    /// The public URL, or the one `serve` would have on its default listen address.
    pub(crate) fn public_url(&self) -> Url {
        self.public_url
            .clone()
            .unwrap_or_else(|| Url::parse(&format!("http://{}", self.listen)).expect("an address is a URL"))
    }
}

/// The generated `main`: parses the command line and runs the command.
#[doc(hidden)]
pub fn run_main<C: Config>(integration: Integration<C>) -> ExitCode {
    let command = Cli::command().name(integration.name()).bin_name(integration.name());
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let serving = matches!(cli.command, None | Some(Command::Serve));
    init_tracing(if serving { "info" } else { "warn" });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("starting the tokio runtime");
    match runtime.block_on(dispatch(integration, cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch<C: Config>(integration: Integration<C>, cli: Cli) -> Result<ExitCode> {
    let settings = Settings {
        store: cli.store,
        listen: cli.listen,
        public_url: cli.public_url,
        drain_timeout: cli.drain_timeout,
        queue_capacity: cli.queue_capacity,
        workers: usize::from(cli.workers),
    };
    match cli.command {
        None => serve::serve(integration, &settings, true).await,
        Some(Command::Serve) => serve::serve(integration, &settings, false).await,
        Some(Command::Flows { json }) => flows::flows(&integration, json),
        Some(Command::Check) => flows::check(&integration, &settings).await,
        Some(Command::Instances { command }) => instances::run(integration, &settings, command).await,
        Some(Command::Invoke(args)) => invoke::invoke(integration, &settings, args).await,
        Some(Command::Runs(args)) => runs::run(&settings, args).await,
        Some(Command::Replay(args)) => replay::replay(integration, &settings, args).await,
    }
}

/// Logs go to stderr, so that command output on stdout stays parseable; `AQUEDUCT_LOG`
/// (a tracing filter such as `debug` or `aqueduct=debug`) overrides the default level.
/// Logs to stderr at `default` (or `AQUEDUCT_LOG`); a run's own log keeps its events at INFO
/// and above whatever the console shows.
pub fn init_tracing(default: &str) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("AQUEDUCT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only on a terminal: a log file or journal would keep the escape codes.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let console = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(colours).with_filter(filter);
    let run_log = crate::recorder::RunLog.with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = tracing_subscriber::registry().with(console).with(run_log).try_init();
}
