//! `serve`: the webhook server, the scheduler and the workers in one process, and their
//! orderly stop.

use super::Settings;
use crate::app::App;
use crate::demo::Demo;
use crate::error::{Error, Result};
use crate::integration::{Config, Integration};
use crate::store::Role;
use crate::{engine, ingress, schedule, store};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How often the instance cache is brought in line with the store.
const INSTANCE_REFRESH: Duration = Duration::from_secs(1);

pub(super) async fn serve<C: Config>(integration: Integration<C>, settings: &Settings, with_demo: bool) -> Result<ExitCode> {
    let store = store::open(&settings.store, Role::Server { queue_capacity: settings.queue_capacity }).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen).await.map_err(|error| {
        Error::msg(format!(
            "cannot listen on {}: {error}; choose another address with --listen or AQUEDUCT_LISTEN",
            settings.listen
        ))
    })?;
    let address = listener.local_addr()?;
    let public_url = match &settings.public_url {
        Some(url) => url.clone(),
        None => Url::parse(&format!("http://{address}")).expect("an address is a URL"),
    };
    let demo = integration.demo.filter(|_| with_demo);
    let app = App::new(integration, store, public_url)?;
    app.instances.refresh(app.store.as_ref()).await?;
    schedule::start(&app)?;
    tokio::spawn(engine::claim_loop(app.clone()));
    tokio::spawn(engine::maintenance_loop(app.clone()));
    tokio::spawn(refresh_instances(app.clone()));

    println!("{} serving on http://{address} (store {})", app.integration.name, settings.store);
    if let Some(demo) = demo {
        let demo_app = app.clone();
        tokio::spawn(async move {
            if let Err(error) = demo(Demo::new(demo_app)).await {
                eprintln!("the demo failed: {error:#}");
            }
        });
    }

    let (stopped, stop) = tokio::sync::oneshot::channel::<()>();
    let stopping_app = app.clone();
    let server = axum::serve(listener, ingress::router(app.clone())).with_graceful_shutdown(async move {
        shutdown_signal().await;
        // From here on deliveries are refused with 503 and /readyz fails.
        stopping_app.engine.stop();
        let _ = stopped.send(());
    });
    let server = tokio::spawn(server.into_future());
    let _ = stop.await;
    stop_within(&app, server, settings.drain_timeout).await;
    Ok(ExitCode::SUCCESS)
}

/// Stops within `drain`: lets requests in progress end (each is committed before it is
/// answered), lets runs finish, puts back in the inbox those that do not, and flushes the store.
async fn stop_within<C: Config>(app: &Arc<App<C>>, server: tokio::task::JoinHandle<std::io::Result<()>>, drain: Duration) {
    let deadline = tokio::time::Instant::now() + drain;
    if tokio::time::timeout_at(deadline, server).await.is_err() {
        tracing::warn!("connections still open at the drain timeout are closed");
    }
    engine::drain(app, deadline.saturating_duration_since(tokio::time::Instant::now())).await;
    app.store.close().await;
    tracing::info!("stopped");
}

async fn refresh_instances<C: Config>(app: Arc<App<C>>) {
    loop {
        tokio::time::sleep(INSTANCE_REFRESH).await;
        if let Err(error) = app.instances.refresh(app.store.as_ref()).await {
            tracing::warn!(error = %format!("{error:#}"), "refreshing instances failed");
        }
    }
}

/// Resolves at Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
