//! Reading runs back: `runs`, `runs show`, `GET /runs/{id}`.

use super::codec::{decode_headers, timestamp};
use crate::ingress::Request;
use crate::store::{Cause, IgnoredRun, RunDetail, RunFilter, RunId, RunStatus, RunSummary};
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
    connection
        .prepare_cached(&format!(
            "SELECT {SUMMARY}, query, body, output, error, due_at, replay_of, replayed_as, history FROM runs WHERE id = ?1"
        ))?
        .query_row([id.0], |row| {
            let summary = summary(row)?;
            let body: Vec<u8> = row.get(9)?;
            let output: Option<String> = row.get(10)?;
            let history: String = row.get(15)?;
            let due_at = (summary.status == RunStatus::Failed).then(|| row.get::<_, i64>(12).map(timestamp)).transpose()?;
            Ok(RunDetail {
                query: row.get(8)?,
                body: String::from_utf8(body).unwrap_or_else(|body| format!("<{} bytes, not UTF-8>", body.as_bytes().len())),
                output: output.and_then(|text| serde_json::from_str(&text).ok()),
                error: row.get(11)?,
                due_at,
                replay_of: row.get::<_, Option<i64>>(13)?.map(RunId),
                replayed_as: row.get::<_, Option<i64>>(14)?.map(RunId),
                history: history
                    .lines()
                    .map(serde_json::from_str)
                    .collect::<Result<_, _>>()
                    .map_err(|error| rusqlite::Error::FromSqlConversionFailure(15, rusqlite::types::Type::Text, error.into()))?,
                summary,
            })
        })
        .optional()
}

pub(super) fn ignored(
    connection: &Connection,
    only: Option<RunId>,
    flow: Option<&str>,
) -> rusqlite::Result<Vec<IgnoredRun>> {
    // Two statements, so each uses its index: the row id, or `runs_ignored`.
    let mut statement = connection.prepare_cached(if only.is_some() {
        "SELECT id, flow, query, headers, body FROM runs
         WHERE id = ?1 AND status = 'ignored' AND replayed_as IS NULL AND (?2 IS NULL OR flow = ?2)"
    } else {
        "SELECT id, flow, query, headers, body FROM runs
         WHERE status = 'ignored' AND replayed_as IS NULL AND ?1 IS NULL AND (?2 IS NULL OR flow = ?2) ORDER BY id"
    })?;
    statement
        .query_map(params![only.map(|id| id.0), flow], |row| {
            let (query, headers, body): (Option<String>, Vec<u8>, Vec<u8>) = (row.get(2)?, row.get(3)?, row.get(4)?);
            Ok(IgnoredRun {
                id: RunId(row.get(0)?),
                flow: row.get(1)?,
                request: Request::new(query.as_deref(), decode_headers(&headers), body),
            })
        })?
        .collect()
}
