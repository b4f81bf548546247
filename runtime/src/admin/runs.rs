//! `/admin/runs`: runs filtered and paged newest first, one run with everything it recorded,
//! and replays of one run or of every dead or ignored one.

use super::Admin;
use super::problem::Problem;
use crate::engine::Unreplayable;
use crate::model::{Config, RunId, RunStatus};
use crate::store::{Replayable, RunFilter};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Runs on a page unless asked otherwise, and at most.
const PAGE: usize = 50;
const MAX_PAGE: usize = 500;

/// `GET /admin/runs`'s query: every part optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunQuery {
    flow: Option<String>,
    instance: Option<String>,
    status: Option<String>,
    /// RFC 3339 times: created at or after `since`, before `until`.
    since: Option<String>,
    until: Option<String>,
    /// The cursor a page's `next` gave.
    before: Option<String>,
    limit: Option<usize>,
}

/// `GET /admin/runs`: `{"runs": […], "next": cursor}`, newest first; `next` (the cursor of the
/// following, older page) is `null` on the last page.
pub(super) async fn list<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Query(query): Query<RunQuery>,
) -> Result<Json<Value>, Problem> {
    let status = query
        .status
        .map(|status| {
            RunStatus::parse(&status).ok_or_else(|| {
                let known: Vec<&str> = RunStatus::ALL.map(RunStatus::as_str).to_vec();
                Problem::bad_request(format!("`{status}` is not a status; one of {}", known.join(", ")))
            })
        })
        .transpose()?;
    let time = |name: &str, value: Option<String>| {
        value
            .map(|value| {
                value.parse::<jiff::Timestamp>().map_err(|_| {
                    Problem::bad_request(format!(
                        "`{name}` is `{value}`, not an RFC 3339 time such as 2026-12-01T09:00:00Z"
                    ))
                })
            })
            .transpose()
    };
    let before = query
        .before
        .map(|cursor| {
            cursor
                .parse::<RunId>()
                .map_err(|_| Problem::bad_request(format!("`{cursor}` is not a cursor this API gave")))
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::bad_request(format!("`limit` is {limit}; ask for 1 to {MAX_PAGE} runs a page")));
    }
    // One more than asked: whether there is a next page, without counting.
    let filter = RunFilter {
        flow: query.flow,
        instance: query.instance,
        status,
        before,
        since: time("since", query.since)?,
        until: time("until", query.until)?,
        limit: limit + 1,
    };
    let mut runs = admin.store.runs(&filter).await?;
    let more = runs.len() > limit;
    runs.truncate(limit);
    let next = runs.last().filter(|_| more).map(|last| last.id.to_string());
    Ok(Json(json!({ "runs": runs, "next": next })))
}

/// `GET /admin/runs/{id}`: the run with its input, attempts, steps, logs, errors and output.
pub(super) async fn detail<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = run_id(&id)?;
    let run = admin.store.run(id).await?.ok_or_else(|| Problem::not_found(format!("there is no run {id}")))?;
    Ok(Json(serde_json::to_value(run).map_err(crate::model::Error::from)?))
}

#[derive(Deserialize)]
pub(super) struct ReplayQuery {
    #[serde(default)]
    fresh: bool,
}

/// `POST /admin/runs/{id}/replay[?fresh=true]`: `202 {"replay_of", "run_id"}`, or `409` with
/// why the run cannot be replayed.
pub(super) async fn replay<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Path(id): Path<String>,
    Query(query): Query<ReplayQuery>,
) -> Result<Response, Problem> {
    let id = run_id(&id)?;
    match admin.engine.replay(id, true, query.fresh).await? {
        Ok(replay) => Ok((StatusCode::ACCEPTED, Json(json!({ "replay_of": id, "run_id": replay }))).into_response()),
        Err(reason @ Unreplayable::NoSuchRun(_)) => Err(Problem::not_found(reason.to_string())),
        Err(reason) => Err(Problem::new(StatusCode::CONFLICT, reason.to_string())),
    }
}

/// `POST /admin/replay`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayMany {
    status: String,
    /// Only runs of this flow (for ignored runs, of this pre-process endpoint).
    flow: Option<String>,
    #[serde(default)]
    fresh: bool,
}

/// `POST /admin/replay` with `{"status": "dead" | "ignored", "flow"?}`: replays every such run
/// not replayed yet, and says which were and which could not be, and why.
pub(super) async fn replay_many<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let asked: ReplayMany = serde_json::from_slice(&body).map_err(|error| {
        Problem::bad_request(format!("the body is not `{{\"status\": \"dead\" | \"ignored\", \"flow\": …}}`: {error}"))
    })?;
    let selection = match asked.status.as_str() {
        "dead" => Replayable::Dead { flow: asked.flow },
        "ignored" => Replayable::Ignored { endpoint: asked.flow },
        other => {
            return Err(Problem::bad_request(format!(
                "`{other}` runs are not replayed in bulk; `dead` or `ignored` are"
            )));
        }
    };
    let (mut replayed, mut refused) = (Vec::new(), Vec::new());
    for id in admin.engine.replayable(selection).await? {
        match admin.engine.replay(id, false, asked.fresh).await? {
            Ok(replay) => replayed.push(json!({ "replay_of": id, "run_id": replay })),
            Err(reason) => refused.push(json!({ "run_id": id, "error": reason.to_string() })),
        }
    }
    Ok(Json(json!({ "replayed": replayed, "refused": refused })))
}

fn run_id(id: &str) -> Result<RunId, Problem> {
    id.parse().map_err(|_| Problem::bad_request(format!("`{id}` is not a run id")))
}
