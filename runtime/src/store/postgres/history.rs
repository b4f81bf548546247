//! Reading runs back: `runs`, `runs show`, `GET /runs/{id}`, and what a replay needs.

use crate::model::{Cause, RunDetail, RunId, RunStatus, RunSummary};
use crate::store::codec::{StoredPayload, decode_request, millis, timestamp};
use crate::store::{Replayable, RunFilter, StoredRun};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

const SUMMARY: &str = "id, flow, instance, cause, status, attempts, created_at, finished_at";
/// A run's payload, if it has one (see the SQLite store's `history.rs`).
const WITH_PAYLOAD: &str = "runs LEFT JOIN payloads ON payloads.run_id = runs.id";

fn summary(row: &PgRow) -> sqlx::Result<RunSummary> {
    let cause: String = row.try_get(3)?;
    let status: String = row.try_get(4)?;
    Ok(RunSummary {
        id: RunId(row.try_get(0)?),
        flow: row.try_get(1)?,
        instance: row.try_get(2)?,
        cause: Cause::parse(&cause).ok_or_else(|| invalid("cause", &cause))?,
        status: RunStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
        attempts: row.try_get::<i32, _>(5)? as u32,
        created_at: timestamp(row.try_get(6)?),
        finished_at: row.try_get::<Option<i64>, _>(7)?.map(timestamp),
    })
}

fn invalid(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unknown value `{value}`; was the database written by a newer aqueduct?").into(),
    }
}

pub(super) async fn list(connection: &mut PgConnection, filter: &RunFilter) -> sqlx::Result<Vec<RunSummary>> {
    sqlx::query(&format!(
        "SELECT {SUMMARY} FROM runs
         WHERE id < $5 AND ($1::text IS NULL OR flow = $1) AND ($2::text IS NULL OR instance = $2)
           AND ($3::text IS NULL OR status = $3) AND created_at >= $6 AND created_at < $7
         ORDER BY id DESC LIMIT $4"
    ))
    .bind(&filter.flow)
    .bind(&filter.instance)
    .bind(filter.status.map(RunStatus::as_str))
    .bind(filter.limit as i64)
    .bind(filter.before.map_or(i64::MAX, |id| id.0))
    .bind(filter.since.map_or(i64::MIN, millis))
    .bind(filter.until.map_or(i64::MAX, millis))
    .fetch_all(connection)
    .await?
    .iter()
    .map(summary)
    .collect()
}

pub(super) async fn queue_depth(connection: &mut PgConnection) -> sqlx::Result<u64> {
    let depth: i64 = sqlx::query_scalar("SELECT count(*) FROM runs WHERE status IN ('queued', 'failed')")
        .fetch_one(connection)
        .await?;
    Ok(depth as u64)
}

pub(super) async fn detail(connection: &mut PgConnection, id: RunId) -> sqlx::Result<Option<RunDetail>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {SUMMARY}, query, body, output, error, due_at, replay_of, replayed_as, history, payload_removed_at,
                progress
         FROM {WITH_PAYLOAD} WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(connection)
    .await?
    else {
        return Ok(None);
    };
    let summary = summary(&row)?;
    let body: Option<Vec<u8>> = row.try_get(9)?;
    let removed: Option<i64> = row.try_get(16)?;
    let output: Option<String> = row.try_get(10)?;
    let history: String = row.try_get(15)?;
    let due_at = (summary.status == RunStatus::Failed).then(|| row.try_get::<i64, _>(12).map(timestamp)).transpose()?;
    Ok(Some(RunDetail {
        query: row.try_get(8)?,
        body: match (body, removed) {
            (Some(body), _) => Some(
                String::from_utf8(body).unwrap_or_else(|body| format!("<{} bytes, not UTF-8>", body.as_bytes().len())),
            ),
            (None, Some(_)) => None,
            (None, None) => Some(String::new()),
        },
        payload_removed_at: removed.map(timestamp),
        progress: row.try_get(17)?,
        output: output.and_then(|text| serde_json::from_str(&text).ok()),
        error: row.try_get(11)?,
        due_at,
        replay_of: row.try_get::<Option<i64>, _>(13)?.map(RunId),
        replayed_as: row.try_get::<Option<i64>, _>(14)?.map(RunId),
        history: history
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|error| sqlx::Error::ColumnDecode { index: "history".into(), source: error.into() })?,
        summary,
    }))
}

/// The runs a bulk replay takes.
pub(super) async fn replayable(connection: &mut PgConnection, selection: &Replayable) -> sqlx::Result<Vec<RunId>> {
    let (sql, flow) = match selection {
        Replayable::Dead { flow } => (
            "SELECT id FROM runs WHERE status = 'dead' AND replayed_as IS NULL
             AND cause NOT IN ('activate', 'deactivate') AND ($1::text IS NULL OR flow = $1) ORDER BY id",
            flow,
        ),
        Replayable::Ignored { endpoint } => (
            "SELECT id FROM runs WHERE status = 'ignored' AND replayed_as IS NULL AND ($1::text IS NULL OR flow = $1)
             ORDER BY id",
            endpoint,
        ),
    };
    let ids: Vec<i64> = sqlx::query_scalar(sql).bind(flow).fetch_all(connection).await?;
    Ok(ids.into_iter().map(RunId).collect())
}

pub(super) async fn stored_run(connection: &mut PgConnection, id: RunId) -> sqlx::Result<Option<StoredRun>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT id, flow, instance, cause, status, replayed_as, method, query, headers, body, payload_removed_at
         FROM {WITH_PAYLOAD} WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(connection)
    .await?
    else {
        return Ok(None);
    };
    let (cause, status): (String, String) = (row.try_get(3)?, row.try_get(4)?);
    let payload: StoredPayload = (row.try_get(6)?, row.try_get(7)?, row.try_get(8)?, row.try_get(9)?);
    let removed: Option<i64> = row.try_get(10)?;
    Ok(Some(StoredRun {
        id: RunId(row.try_get(0)?),
        flow: row.try_get(1)?,
        instance: row.try_get(2)?,
        cause: Cause::parse(&cause).ok_or_else(|| invalid("cause", &cause))?,
        status: RunStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
        replayed_as: row.try_get::<Option<i64>, _>(5)?.map(RunId),
        request: removed.is_none().then(|| decode_request(payload)),
    }))
}
