//! The inbox: runs waiting, leased and finished.

use super::codec::{decode_headers, encode_headers, millis, now};
use crate::ingress::Request;
use crate::store::{ClaimedRun, Enqueued, FinishedAttempt, NewRun, RunId, RunStatus};
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use std::time::Duration;

pub(super) fn enqueue(connection: &Connection, run: &NewRun, lease: Duration) -> rusqlite::Result<Enqueued> {
    let now = now();
    let (status, attempts, lease_until) =
        if run.start_now { ("running", 1, Some(now + lease.as_millis() as i64)) } else { ("queued", 0, None) };
    // The instance check is part of the insert, so a run is never stored for an instance that
    // was deactivated a moment before. Lifecycle hooks run while the instance is not active.
    let id: Option<i64> = connection
        .prepare_cached(
            "INSERT INTO runs (flow, instance, cause, status, attempts, created_at, due_at, lease_until, query, headers, body)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10
             WHERE ?11 OR EXISTS (SELECT 1 FROM instances WHERE name = ?2 AND active)
             RETURNING id",
        )?
        .query_row(
            params![
                run.flow,
                run.instance,
                run.cause.as_str(),
                status,
                attempts,
                now,
                lease_until,
                run.request.query(),
                encode_headers(run.request.headers()),
                &run.request.body()[..],
                run.cause.is_lifecycle(),
            ],
            |row| row.get(0),
        )
        .optional()?;
    Ok(id.map_or(Enqueued::InstanceInactive, |id| Enqueued::Created(RunId(id))))
}

pub(super) fn enqueue_tick(connection: &Connection, flow: &str, tick: jiff::Timestamp) -> rusqlite::Result<Vec<RunId>> {
    let now = now();
    let tick = millis(tick);
    let instances: Vec<String> = connection
        .prepare_cached(
            "SELECT name FROM instances WHERE active
             AND NOT EXISTS (SELECT 1 FROM ticks WHERE flow = ?1 AND instance = name AND tick = ?2)",
        )?
        .query_map(params![flow, tick], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut created = Vec::with_capacity(instances.len());
    for instance in instances {
        let id: i64 = connection
            .prepare_cached(
                "INSERT INTO runs (flow, instance, cause, status, created_at, due_at, headers, body)
                 VALUES (?1, ?2, 'schedule', 'queued', ?3, ?3, x'', x'') RETURNING id",
            )?
            .query_row(params![flow, instance, now], |row| row.get(0))?;
        connection
            .prepare_cached("INSERT INTO ticks (flow, instance, tick, run_id) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![flow, instance, tick, id])?;
        created.push(RunId(id));
    }
    Ok(created)
}

pub(super) fn claim(connection: &Connection, limit: usize, lease: Duration) -> rusqlite::Result<Vec<ClaimedRun>> {
    let now = now();
    // Due runs first, then runs whose worker's lease ran out (it crashed or hung).
    connection
        .prepare_cached(
            "UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = ?2
             WHERE id IN (
                 SELECT id FROM (SELECT id FROM runs WHERE status IN ('queued', 'failed') AND due_at <= ?1 ORDER BY due_at LIMIT ?3)
                 UNION ALL
                 SELECT id FROM (SELECT id FROM runs WHERE status = 'running' AND lease_until < ?1 LIMIT ?3)
                 LIMIT ?3
             )
             RETURNING id, flow, instance, attempts, query, headers, body",
        )?
        .query_map(params![now, now + lease.as_millis() as i64, limit as i64], |row| {
            let headers: Vec<u8> = row.get(5)?;
            let body: Vec<u8> = row.get(6)?;
            let query: Option<String> = row.get(4)?;
            Ok(ClaimedRun {
                id: RunId(row.get(0)?),
                flow: row.get(1)?,
                instance: row.get(2)?,
                attempt: row.get(3)?,
                request: Request::new(query.as_deref(), decode_headers(&headers), Bytes::from(body)),
            })
        })?
        .collect()
}

pub(super) fn finish(connection: &Connection, attempt: &FinishedAttempt) -> rusqlite::Result<()> {
    let now = now();
    let output = attempt.output.as_ref().map(|value| value.to_string());
    let finished_at = (attempt.status != RunStatus::Failed).then_some(now);
    // `attempts = ?` keeps a worker whose lease ran out from overwriting the newer attempt.
    connection
        .prepare_cached(
            "UPDATE runs SET status = ?3, output = ?4, error = ?5, finished_at = ?6, lease_until = NULL
             WHERE id = ?1 AND attempts = ?2",
        )?
        .execute(params![attempt.id.0, attempt.attempt, attempt.status.as_str(), output, attempt.error, finished_at])?;
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO attempts (run_id, attempt, started_at, finished_at, error) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![attempt.id.0, attempt.attempt, millis(attempt.started_at), now, attempt.error])?;
    let mut insert_step = connection.prepare_cached(
        "INSERT OR REPLACE INTO steps (run_id, attempt, seq, name, started_at, duration_us, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (seq, step) in attempt.steps.iter().enumerate() {
        insert_step.execute(params![
            attempt.id.0,
            attempt.attempt,
            seq as i64,
            step.name,
            millis(step.started_at),
            step.duration.as_micros() as i64,
            step.error
        ])?;
    }
    Ok(())
}
