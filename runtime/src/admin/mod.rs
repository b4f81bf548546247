//! The operator's view: the admin API under `/admin` (JSON) and the dashboard at `/admin/ui`
//! that reads it, both behind admin tokens (`access.rs`). What the API does, the command
//! line does too, through the same functions (`flows.rs`) and the engine's replay.

mod access;
mod flows;
mod instances;
mod problem;
mod runs;
mod ui;

pub(crate) use flows::{configured, describe, set_paused, write_table};

use crate::engine::Engine;
use crate::instances::{AdminTokens, Instances};
use crate::model::Config;
use crate::store::Store;
use axum::Router;
use axum::routing::{get, post, put};
use std::sync::Arc;

/// What the admin handlers use.
pub(crate) struct Admin<C: 'static> {
    pub engine: Arc<Engine<C>>,
    pub instances: Arc<Instances<C>>,
    pub store: Arc<dyn Store>,
    pub tokens: Arc<AdminTokens>,
}

/// Every admin route, each refused (`401`) without a valid admin token; signing in to the
/// dashboard is the one route open to all.
pub(crate) fn router<C: Config>(admin: Admin<C>) -> Router {
    let admin = Arc::new(admin);
    Router::new()
        .route("/admin/flows", get(flows::list::<C>))
        .route("/admin/flows/{flow}/pause", post(flows::pause::<C>))
        .route("/admin/flows/{flow}/resume", post(flows::resume::<C>))
        .route("/admin/instances", get(instances::list::<C>))
        .route("/admin/instances/{name}", put(instances::activate::<C>).delete(instances::deactivate::<C>))
        .route("/admin/runs", get(runs::list::<C>))
        .route("/admin/runs/{id}", get(runs::detail::<C>))
        .route("/admin/runs/{id}/replay", post(runs::replay::<C>))
        .route("/admin/replay", post(runs::replay_many::<C>))
        .route("/admin/ui", get(ui::page))
        .route("/admin/ui/app.js", get(ui::script))
        .route("/admin/ui/style.css", get(ui::style))
        .route("/admin/ui/logout", post(ui::logout))
        .route_layer(axum::middleware::from_fn_with_state(admin.clone(), access::require_admin::<C>))
        .route("/admin/ui/login", post(ui::login::<C>))
        .with_state(admin)
}
