//! `GET /runs/{id}`: where a run is, and a sync run's answer, for whoever holds its status
//! URL's token or an admin token. Run ids count up, so the id alone opens nothing.

use super::Endpoints;
use super::admin_access::admin;
use super::sync::answer_response;
use super::webhook::unavailable;
use crate::engine::Answer;
use crate::model::{Config, RunId, RunStatus, Trigger};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct StatusQuery {
    token: Option<String>,
}

/// The URL of run `id`'s status with its token, as the sender of its delivery or call is
/// told; `None` (logged) when the key its token is made with cannot be read.
pub(crate) fn status_url<C: Config>(endpoints: &Endpoints<C>, id: RunId) -> Option<String> {
    let token = match endpoints.instances.run_token(id) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!(run = %id, error = %format!("{error:#}"), "cannot make a run's status token");
            return None;
        }
    };
    let mut url = endpoints.engine.public_url().clone();
    url.set_path(&format!("{}runs/{id}", url.path().trim_end_matches('/').to_owned() + "/"));
    url.query_pairs_mut().append_pair("token", &token);
    Some(url.into())
}

/// The run's status, attempts and times, and nothing else: the flow, the customer instance,
/// the input and the output stay with the admin API. A sync run is answered with its reply
/// once it has one (`202` with its status until then), as its caller would have been.
/// Without a token, `401`, whether the run exists or not; with a wrong one, `404`.
pub(super) async fn run_status<C: Config>(
    State(endpoints): State<Arc<Endpoints<C>>>,
    Path(id): Path<String>,
    Query(query): Query<StatusQuery>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<RunId>() else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": format!("`{id}` is not a run id") }))).into_response();
    };
    let token = query.token.as_deref().map(|token| endpoints.instances.is_run_token(id, token));
    let by_admin = match token {
        Some(_) => false,
        None => match admin(&endpoints.admin_tokens, &headers).await {
            Ok(holder) => holder.is_some(),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "reading the admin tokens failed");
                return unavailable("the store cannot be read right now; try again shortly");
            }
        },
    };
    if token.is_none() && !by_admin {
        let error = "a run's status needs the token of its status URL (`?token=…`) or an admin token \
                     (`Authorization: Bearer …`)";
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": error }))).into_response();
    }
    let no_such_run =
        || (StatusCode::NOT_FOUND, Json(json!({ "error": format!("there is no run {id}") }))).into_response();
    let run = match endpoints.store.run(id).await {
        Ok(Some(run)) => run,
        Ok(None) => return no_such_run(),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "reading a run failed");
            return unavailable("the store cannot be read right now; try again shortly");
        }
    };
    let sync = endpoints
        .engine
        .flows()
        .named(&run.summary.flow)
        .is_some_and(|flow| matches!(flow.trigger, Trigger::Sync { .. }));
    // A wrong token finds nothing: which ids exist stays unknown.
    if token == Some(false) {
        return no_such_run();
    }
    let summary = run.summary;
    match summary.status {
        RunStatus::Succeeded if sync => answer_response(id, Answer::Finished(run.output)),
        RunStatus::Dead if sync => answer_response(id, Answer::Failed(run.error.unwrap_or_default())),
        status => {
            let body = json!({
                "id": summary.id,
                "status": status,
                "attempts": summary.attempts,
                "created_at": summary.created_at,
                "finished_at": summary.finished_at,
            });
            let code = if sync { StatusCode::ACCEPTED } else { StatusCode::OK };
            (code, Json(body)).into_response()
        }
    }
}

/// 200 while the server takes deliveries, 503 once it is shutting down.
pub(super) async fn ready<C: Config>(State(endpoints): State<Arc<Endpoints<C>>>) -> Response {
    if endpoints.engine.is_stopping() { unavailable("shutting down") } else { "ready".into_response() }
}
