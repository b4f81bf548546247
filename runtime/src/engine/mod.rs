//! The engine: workers claim due runs from the inbox, execute them and record the outcome.

mod attempt;
mod execute;

pub(crate) use attempt::run_attempt;
pub(crate) use execute::execute;

use crate::app::App;
use crate::integration::Config;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Runs executing at once in this process.
const WORKERS: usize = 64;
/// How long a claimed run is leased; a run still leased past this is taken to be orphaned.
const LEASE: Duration = Duration::from_secs(300);
/// How often to look for runs that no wake-up announced (retries, other processes' runs).
const POLL: Duration = Duration::from_millis(500);

/// Claims and executes runs until the process stops.
pub(crate) async fn work<C: Config>(app: Arc<App<C>>) {
    let slots = Arc::new(Semaphore::new(WORKERS));
    loop {
        // Claim only as many runs as can start now; the rest stay in the inbox for later.
        let free = slots.clone().acquire_many_owned(1).await.expect("the worker semaphore is never closed");
        drop(free);
        let wanted = slots.available_permits().max(1);
        let claimed = match app.store.claim(wanted, LEASE).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(%error, "claiming runs failed; trying again shortly");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        if claimed.is_empty() {
            let _ = tokio::time::timeout(POLL, app.new_runs.notified()).await;
            continue;
        }
        for run in claimed {
            let slot = slots.clone().acquire_owned().await.expect("the worker semaphore is never closed");
            let app = app.clone();
            tokio::spawn(async move {
                let id = run.id;
                if let Err(error) = execute(&app, run).await {
                    tracing::debug!(%id, error = %format!("{error:#}"), "attempt ended with an error");
                }
                drop(slot);
            });
        }
    }
}
