//! `/admin/instances`: the customer instances with their endpoints; activation and
//! deactivation through the running server, which names its endpoints with its own public URL.

use super::Admin;
use super::problem::Problem;
use crate::lifecycle;
use crate::model::{Config, Error, endpoint_url, parse_config};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use url::Url;

/// `GET /admin/instances`: each instance (never its configuration, which holds secrets) and
/// where each of its endpoints is reached.
pub(super) async fn list<C: Config>(State(admin): State<Arc<Admin<C>>>) -> Result<Json<Value>, Problem> {
    let instances: Vec<Value> = admin
        .store
        .instances()
        .await?
        .into_iter()
        .map(|instance| {
            let endpoints = if instance.active { endpoints(&admin, &instance.name) } else { Vec::new() };
            json!({
                "name": instance.name,
                "active": instance.active,
                "version": instance.version,
                "updated_at": instance.updated_at,
                "endpoints": endpoints,
            })
        })
        .collect();
    Ok(Json(json!({ "instances": instances })))
}

/// `PUT /admin/instances/{name}` with the configuration as JSON: activates the instance, or
/// changes an active one's configuration (`instances activate`).
pub(super) async fn activate<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    // serde_json's message names the place, never the text there (which may be a secret).
    let value: Value = serde_json::from_slice(&body)
        .map_err(|error| Problem::bad_request(format!("the configuration is not JSON: {error}")))?;
    let config = parse_config::<C>(value).map_err(unprocessable)?;
    let activated = lifecycle::activate(&admin.engine, &admin.instances, &name, config).await.map_err(unprocessable)?;
    Ok(Json(json!({ "name": name, "hook_run": activated.hook_run, "endpoints": endpoints(&admin, &name) })))
}

#[derive(Deserialize)]
pub(super) struct Deactivation {
    #[serde(default)]
    force: bool,
}

/// `DELETE /admin/instances/{name}[?force=true]`: runs `on_deactivate` and retires the instance.
pub(super) async fn deactivate<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Path(name): Path<String>,
    Query(deactivation): Query<Deactivation>,
) -> Result<Json<Value>, Problem> {
    if admin.instances.config(&name).await?.is_none() {
        return Err(Problem::not_found(format!("there is no active instance `{name}`")));
    }
    let hook_run =
        lifecycle::deactivate(&admin.engine, &admin.instances, &name, deactivation.force).await.map_err(|error| {
            // What the hook got wrong; `?force=true` deactivates anyway.
            Problem::new(StatusCode::CONFLICT, format!("{error:#}"))
        })?;
    Ok(Json(json!({ "name": name, "hook_run": hook_run })))
}

/// What the configuration or a hook got wrong, said as the command line says it.
fn unprocessable(error: Error) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{error:#}"))
}

fn endpoints<C: Config>(admin: &Admin<C>, instance: &str) -> Vec<Value> {
    let public_url: &Url = admin.engine.public_url();
    admin
        .engine
        .flows()
        .iter()
        .filter_map(|flow| Some(json!({ "flow": flow.name, "url": endpoint_url(public_url, instance, flow.path()?) })))
        .collect()
}
