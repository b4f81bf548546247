//! `serve`: run the integration until Ctrl-C or SIGTERM, then stop in order.

use super::Settings;
use crate::demo::Demo;
use crate::error::Result;
use crate::integration::{Config, Integration};
use crate::server::{Server, ServerOptions};
use std::process::ExitCode;

pub(super) async fn serve<C: Config>(
    integration: Integration<C>,
    settings: &Settings,
    with_demo: bool,
) -> Result<ExitCode> {
    let options = ServerOptions {
        store: settings.store.clone(),
        listen: settings.listen,
        public_url: settings.public_url.clone(),
        drain_timeout: settings.drain_timeout,
        queue_capacity: settings.queue_capacity,
        workers: settings.workers,
    };
    let server = Server::start(integration, options).await?;
    println!("{} serving on http://{} (store {})", integration.name(), server.address(), settings.store);
    if let Some(demo) = integration.demo().filter(|_| with_demo) {
        let handle = Demo::new(server.app().clone());
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
