//! Reading runs back: `runs`, `runs show`, `GET /runs/{id}`, and what a replay needs.

use super::codec::{StoredPayload, decode_request, millis, timestamp};
use crate::model::{Cause, RunDetail, RunId, RunStatus, RunSummary};
use crate::store::{Replayable, RunFilter, StoredRun};
use rusqlite::{Connection, OptionalExtension, Row, params};

const SUMMARY: &str = "id, flow, instance, cause, status, attempts, created_at, finished_at";
/// A run's payload, if it has one: runs without a request (ticks, hooks) and runs whose payload
/// was pruned have no row in `payloads`.
const WITH_PAYLOAD: &str = "runs LEFT JOIN payloads ON payloads.run_id = runs.id";

fn summary(row: &Row) -> rusqlite::Result<RunSummary> {
    let cause: String = row.get(3)?;
    let status: String = row.get(4)?;
    Ok(RunSummary {
        id: RunId(row.get(0)?),
        flow: row.get(1)?,
        instance: row.get(2)?,
        cause: Cause::parse(&cause).ok_or_else(|| invalid(3, &cause))?,
        status: RunStatus::parse(&status).ok_or_else(|| invalid(4, &status))?,
        attempts: row.get(5)?,
        created_at: timestamp(row.get(6)?),
        finished_at: row.get::<_, Option<i64>>(7)?.map(timestamp),
    })
}

fn invalid(column: usize, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown value `{value}`; was the database written by a newer aqueduct?").into(),
    )
}

pub(super) fn list(connection: &Connection, filter: &RunFilter) -> rusqlite::Result<Vec<RunSummary>> {
    connection
        .prepare_cached(&format!(
            "SELECT {SUMMARY} FROM runs
             WHERE id < ?5 AND (?1 IS NULL OR flow = ?1) AND (?2 IS NULL OR instance = ?2)
               AND (?3 IS NULL OR status = ?3) AND created_at >= ?6 AND created_at < ?7
             ORDER BY id DESC LIMIT ?4"
        ))?
        .query_map(
            params![
                filter.flow,
                filter.instance,
                filter.status.map(RunStatus::as_str),
                filter.limit as i64,
                filter.before.map_or(i64::MAX, |id| id.0),
                filter.since.map_or(i64::MIN, millis),
                filter.until.map_or(i64::MAX, millis),
            ],
            summary,
        )?
        .collect()
}

pub(super) fn queue_depth(connection: &Connection) -> rusqlite::Result<u64> {
    connection
        .prepare_cached("SELECT count(*) FROM runs WHERE status IN ('queued', 'failed')")?
        .query_row([], |row| row.get::<_, i64>(0))
        .map(|depth| depth as u64)
}

pub(super) fn detail(connection: &Connection, id: RunId) -> rusqlite::Result<Option<RunDetail>> {
    connection
        .prepare_cached(&format!(
            "SELECT {SUMMARY}, query, body, output, error, due_at, replay_of, replayed_as, history, payload_removed_at,
                progress
             FROM {WITH_PAYLOAD} WHERE id = ?1"
        ))?
        .query_row([id.0], |row| {
            let summary = summary(row)?;
            let body: Option<Vec<u8>> = row.get(9)?;
            let removed: Option<i64> = row.get(16)?;
            let output: Option<String> = row.get(10)?;
            let history: String = row.get(15)?;
            let due_at =
                (summary.status == RunStatus::Failed).then(|| row.get::<_, i64>(12).map(timestamp)).transpose()?;
            Ok(RunDetail {
                query: row.get(8)?,
                body: match (body, removed) {
                    (Some(body), _) => Some(
                        String::from_utf8(body)
                            .unwrap_or_else(|body| format!("<{} bytes, not UTF-8>", body.as_bytes().len())),
                    ),
                    (None, Some(_)) => None,
                    (None, None) => Some(String::new()),
                },
                payload_removed_at: removed.map(timestamp),
                progress: row.get(17)?,
                output: output.and_then(|text| serde_json::from_str(&text).ok()),
                error: row.get(11)?,
                due_at,
                replay_of: row.get::<_, Option<i64>>(13)?.map(RunId),
                replayed_as: row.get::<_, Option<i64>>(14)?.map(RunId),
                history: history.lines().map(serde_json::from_str).collect::<Result<_, _>>().map_err(|error| {
                    rusqlite::Error::FromSqlConversionFailure(15, rusqlite::types::Type::Text, error.into())
                })?,
                summary,
            })
        })
        .optional()
}

/// The runs a bulk replay takes. Two statements, so each uses its partial index.
pub(super) fn replayable(connection: &Connection, selection: &Replayable) -> rusqlite::Result<Vec<RunId>> {
    let (sql, flow) = match selection {
        Replayable::Dead { flow } => (
            "SELECT id FROM runs WHERE status = 'dead' AND replayed_as IS NULL
             AND cause NOT IN ('activate', 'deactivate') AND (?1 IS NULL OR flow = ?1) ORDER BY id",
            flow,
        ),
        Replayable::Ignored { endpoint } => (
            "SELECT id FROM runs WHERE status = 'ignored' AND replayed_as IS NULL AND (?1 IS NULL OR flow = ?1) ORDER BY id",
            endpoint,
        ),
    };
    connection.prepare_cached(sql)?.query_map([flow], |row| Ok(RunId(row.get(0)?)))?.collect()
}

pub(super) fn stored_run(connection: &Connection, id: RunId) -> rusqlite::Result<Option<StoredRun>> {
    connection
        .prepare_cached(&format!(
            "SELECT id, flow, instance, cause, status, replayed_as, method, query, headers, body, payload_removed_at
             FROM {WITH_PAYLOAD} WHERE id = ?1"
        ))?
        .query_row([id.0], |row| {
            let (cause, status): (String, String) = (row.get(3)?, row.get(4)?);
            let payload: StoredPayload = (row.get(6)?, row.get(7)?, row.get(8)?, row.get(9)?);
            let removed: Option<i64> = row.get(10)?;
            Ok(StoredRun {
                id: RunId(row.get(0)?),
                flow: row.get(1)?,
                instance: row.get(2)?,
                cause: Cause::parse(&cause).ok_or_else(|| invalid(3, &cause))?,
                status: RunStatus::parse(&status).ok_or_else(|| invalid(4, &status))?,
                replayed_as: row.get::<_, Option<i64>>(5)?.map(RunId),
                request: removed.is_none().then(|| decode_request(payload)),
            })
        })
        .optional()
}
