//! Accepting connections and serving them: up to a cap, each under the header and idle
//! timeouts, all closed gracefully at shutdown.

use super::ServerOptions;
use super::idle::Activity;
use super::open_files::connection_cap;
use axum::Router;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How long and how many connections are held.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// From a connection's start, or the end of its previous request, to its last header byte.
    pub header_timeout: Duration,
    /// Between requests, with nothing arriving.
    pub idle_timeout: Duration,
    /// Open at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
}

impl Limits {
    /// What `options` ask for, the cap within what `open_files` allows.
    pub(super) fn new(options: &ServerOptions, open_files: u64) -> Limits {
        let limits = Limits {
            header_timeout: options.header_timeout,
            idle_timeout: options.idle_timeout,
            max_connections: connection_cap(options.max_connections, open_files),
        };
        tracing::info!(
            max_connections = limits.max_connections,
            header_timeout = ?limits.header_timeout,
            idle_timeout = ?limits.idle_timeout,
            body_timeout = ?options.body_timeout,
            "connection limits"
        );
        if limits.idle_timeout > limits.header_timeout {
            tracing::warn!(idle_timeout = ?limits.idle_timeout, header_timeout = ?limits.header_timeout, "kept-alive connections are closed at the header timeout, before the idle timeout");
        }
        limits
    }
}

/// Serves `router` on `listener` until `stop` resolves; then takes no more connections, lets each
/// open one finish the request in progress, and returns once all are closed.
pub(super) async fn serve(mut listener: TcpListener, router: Router, limits: Limits, stop: impl Future<Output = ()>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut refused = 0u64;
    let mut stop = std::pin::pin!(stop);
    loop {
        // axum's accept logs a failed accept and waits a second if it was not the peer's doing
        // (out of descriptors), rather than spin.
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut stop => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            // Closed at once, it holds no descriptor, and the connections open go on being served.
            drop(stream);
            if refused == 0 {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connections are at the cap: new ones are closed until some end (--max-connections)"
                );
            }
            refused += 1;
            continue;
        };
        if refused > 0 {
            tracing::info!(refused, "connections are below the cap again");
            refused = 0;
        }
        let activity = Activity::default();
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(activity.watch(stream)), activity.serve(router.clone())));
        tokio::spawn(async move {
            tokio::select! {
                // A header timeout ends here too; at one line each, a flood of them would drown the log.
                served = connection => if let Err(error) = served {
                    tracing::debug!(%peer, %error, "a connection ended with an error");
                },
                () = activity.idle_for(limits.idle_timeout) => tracing::debug!(%peer, "closed an idle connection"),
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
