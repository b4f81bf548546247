//! `serve`: the webhook server, the scheduler and the workers in one process.

use super::Settings;
use crate::app::App;
use crate::demo::Demo;
use crate::error::{Error, Result};
use crate::integration::{Config, Integration};
use crate::{engine, ingress, schedule, store};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How often the instance cache is brought in line with the store.
const INSTANCE_REFRESH: Duration = Duration::from_secs(1);

pub(super) async fn serve<C: Config>(
    integration: Integration<C>,
    settings: &Settings,
    with_demo: bool,
) -> Result<ExitCode> {
    let store = store::open(&settings.store).await?;
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
    tokio::spawn(engine::work(app.clone()));
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
    axum::serve(listener, ingress::router(app)).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
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
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
