//! `serve`: run the integration until Ctrl-C or SIGTERM, then stop in order.

use crate::engine::DEFAULT_WORKERS;
use crate::integration::Integration;
use crate::model::{Config, Result};
use crate::server::{Server, ServerOptions};
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use url::Url;

/// What only `serve` reads.
#[derive(Args)]
pub(super) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "AQUEDUCT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The URL third parties reach the server at; endpoint URLs start with it, and commands run
    /// beside the server use it too [default: http://LISTEN].
    #[arg(long, env = "AQUEDUCT_PUBLIC_URL")]
    public_url: Option<Url>,
    /// How long to wait at shutdown for runs to finish; the rest resume at the next start.
    #[arg(long, env = "AQUEDUCT_DRAIN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    drain_timeout: Duration,
    /// Deliveries that may wait to be written before webhooks are answered 503.
    #[arg(long, env = "AQUEDUCT_QUEUE_CAPACITY", default_value_t = 4096)]
    queue_capacity: usize,
    /// Runs executed at once; a flow's `concurrency = N` limits within it.
    #[arg(long, env = "AQUEDUCT_WORKERS", default_value_t = DEFAULT_WORKERS, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
    /// How long a client has to send a request's headers, from connecting or from the previous
    /// answer on a kept-alive connection; then the connection is closed.
    #[arg(long, env = "AQUEDUCT_HEADER_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    header_timeout: Duration,
    /// How long a delivery's body has to arrive; a slower one is answered 408 and not stored.
    #[arg(long, env = "AQUEDUCT_BODY_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    body_timeout: Duration,
    /// How long a kept-alive connection may stay silent between requests before it is closed
    /// (the header timeout bounds the wait too).
    #[arg(long, env = "AQUEDUCT_IDLE_TIMEOUT", default_value = "5s", value_parser = positive_duration)]
    idle_timeout: Duration,
    /// Connections open at once; beyond it, new ones are closed at once while those open are
    /// served [default: 10000, or half the open-file limit if lower].
    #[arg(long, env = "AQUEDUCT_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// An OpenTelemetry collector's OTLP/HTTP address (e.g. `http://127.0.0.1:4318`): each run
    /// attempt is sent there as a span, its action calls as child spans [default: none].
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    otlp_endpoint: Option<Url>,
}

/// A duration such as `10s` or `500ms`, longer than zero: a zero timeout would close every
/// connection before its first request.
fn positive_duration(text: &str) -> std::result::Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err("a timeout must be longer than zero".into()),
        Ok(duration) => Ok(duration),
        Err(error) => Err(error.to_string()),
    }
}

pub(super) async fn serve<C: Config>(
    integration: Integration<C>,
    store: &str,
    args: ServeArgs,
    with_demo: bool,
) -> Result<ExitCode> {
    let options = ServerOptions {
        store: store.to_owned(),
        listen: args.listen,
        public_url: args.public_url,
        drain_timeout: args.drain_timeout,
        queue_capacity: args.queue_capacity,
        workers: usize::from(args.workers),
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        idle_timeout: args.idle_timeout,
        max_connections: args.max_connections.map(|cap| usize::try_from(cap).unwrap_or(usize::MAX)),
        otlp_endpoint: args.otlp_endpoint,
        // AQUEDUCT_KEY_FILE, else beside the store; commands find it the same way.
        key_file: None,
    };
    let server = Server::start(integration, options).await?;
    // Nobody may be reading standard output; the server serves regardless.
    let out = &mut std::io::stdout();
    // Before the line that says the server is up, so whoever waits for it knows both.
    if let Some(token) = server.first_admin_token().await? {
        let _ = writeln!(
            out,
            "admin token (shown this once; `admin token create NAME` makes more): {token}\n\
             dashboard: http://{}/admin/ui",
            server.address()
        );
    }
    let _ = writeln!(out, "{} serving on http://{} (store {store})", integration.name(), server.address());
    if let Some(demo) = integration.demo().filter(|_| with_demo) {
        let handle = server.demo();
        tokio::spawn(async move {
            if let Err(error) = demo(handle).await {
                eprintln!("the demo failed: {error:#}");
            }
        });
    }
    shutdown_signal().await;
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves at Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
