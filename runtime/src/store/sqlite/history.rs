//! Reading runs back: `runs`, `runs show`, `GET /runs/{id}`.

use super::codec::timestamp;
use crate::store::{AttemptRecord, Cause, RunDetail, RunFilter, RunId, RunStatus, RunSummary, StepRecord};
use rusqlite::{Connection, OptionalExtension, Row, params};

const SUMMARY: &str = "id, flow, instance, cause, status, attempts, created_at, finished_at";

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
             WHERE (?1 IS NULL OR flow = ?1) AND (?2 IS NULL OR instance = ?2) AND (?3 IS NULL OR status = ?3)
             ORDER BY id DESC LIMIT ?4"
        ))?
        .query_map(
            params![filter.flow, filter.instance, filter.status.map(RunStatus::as_str), filter.limit as i64],
            summary,
        )?
        .collect()
}

pub(super) fn detail(connection: &Connection, id: RunId) -> rusqlite::Result<Option<RunDetail>> {
    let found = connection
        .prepare_cached(&format!("SELECT {SUMMARY}, query, body, output, error FROM runs WHERE id = ?1"))?
        .query_row([id.0], |row| {
            let body: Vec<u8> = row.get(9)?;
            let output: Option<String> = row.get(10)?;
            Ok(RunDetail {
                summary: summary(row)?,
                query: row.get(8)?,
                body: String::from_utf8(body)
                    .unwrap_or_else(|body| format!("<{} bytes, not UTF-8>", body.as_bytes().len())),
                output: output.and_then(|text| serde_json::from_str(&text).ok()),
                error: row.get(11)?,
                history: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut detail) = found else { return Ok(None) };
    detail.history = connection
        .prepare_cached(
            "SELECT attempt, started_at, finished_at, error FROM attempts WHERE run_id = ?1 ORDER BY attempt",
        )?
        .query_map([id.0], |row| {
            Ok(AttemptRecord {
                attempt: row.get(0)?,
                started_at: timestamp(row.get(1)?),
                finished_at: timestamp(row.get(2)?),
                error: row.get(3)?,
                steps: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut steps = connection.prepare_cached(
        "SELECT name, started_at, duration_us, error FROM steps WHERE run_id = ?1 AND attempt = ?2 ORDER BY seq",
    )?;
    for attempt in &mut detail.history {
        attempt.steps = steps
            .query_map(params![id.0, attempt.attempt], |row| {
                Ok(StepRecord {
                    name: row.get(0)?,
                    started_at: timestamp(row.get(1)?),
                    duration_ms: row.get::<_, i64>(2)? as f64 / 1000.0,
                    error: row.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(Some(detail))
}
