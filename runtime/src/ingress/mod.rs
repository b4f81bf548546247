//! Ingress: the HTTP server that takes deliveries into the inbox, answers providers'
//! handshakes, tells a run's status, and gives the metrics.

mod admin_access;
mod body;
mod handshake;
mod metrics;
mod status;
mod sync;
mod webhook;

pub(crate) use admin_access::{ADMIN_COOKIE, presented};

use crate::engine::Engine;
use crate::instances::{AdminTokens, Instances};
use crate::model::{Config, Handshake, SyncMethod};
use crate::store::Store;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use std::sync::Arc;

/// What the HTTP handlers use.
pub(crate) struct Endpoints<C: 'static> {
    pub engine: Arc<Engine<C>>,
    pub instances: Arc<Instances<C>>,
    /// Reads runs for `GET /runs/{id}`.
    pub store: Arc<dyn Store>,
    /// Whoever holds one may read any run's status.
    pub admin_tokens: Arc<AdminTokens>,
    /// For URLs a request names (SNS's `SubscribeURL`): no redirects, a short timeout.
    pub handshakes: reqwest::Client,
    /// How long a delivery's body may take to arrive.
    pub body_timeout: std::time::Duration,
}

/// The router: every endpoint at `/hooks/{instance}{path}`, run status, health checks.
pub(crate) fn router<C: Config>(endpoints: Endpoints<C>) -> Router {
    let flows = endpoints.engine.flows();
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(status::ready::<C>))
        .route("/runs/{id}", get(status::run_status::<C>))
        .route("/metrics", get(metrics::scrape::<C>));
    for (endpoint, path) in flows.endpoints() {
        let handler = move |State(endpoints): State<Arc<Endpoints<C>>>, Path(instance): Path<String>, request| {
            webhook::receive(endpoints, endpoint, instance, request)
        };
        // A GET is answered only where a provider's handshake uses one.
        let methods = match endpoint.handshake {
            Some(Handshake::HubChallenge { .. }) => post(handler).get(handler),
            _ => post(handler),
        };
        router = router.route(&format!("/hooks/{{instance}}{path}"), methods);
    }
    for (flow, path, method) in flows.sync_endpoints() {
        let handler = move |State(endpoints): State<Arc<Endpoints<C>>>, Path(instance): Path<String>, request| {
            sync::call(endpoints, flow, instance, request)
        };
        let methods = match method {
            SyncMethod::Get => get(handler),
            SyncMethod::Post => post(handler),
        };
        router = router.route(&format!("/hooks/{{instance}}{path}"), methods);
    }
    // Before the recorder is first needed: a scrape before any delivery shows the metrics.
    crate::model::telemetry::prometheus();
    router
        .route_layer(axum::middleware::from_fn(metrics::count_deliveries))
        .fallback(webhook::not_found)
        .with_state(Arc::new(endpoints))
}
