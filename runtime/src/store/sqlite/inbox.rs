//! The inbox: runs added, claimed, finished, leased, released and replayed.

use super::codec::{decode_headers, millis};
use crate::ingress::Request;
use crate::store::{
    AttemptRecord, ClaimedRun, Enqueued, FinishedAttempt, FlowClaim, NewRun, Outcome, ReplaySelection, Replayed,
    Reroute, RunId, Start, StepRecord,
};
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;
use std::time::Duration;

/// How long a schedule tick is remembered, so it fires once per instance.
const TICK_MEMORY: Duration = Duration::from_secs(24 * 3600);

fn later(now: i64, duration: Duration) -> i64 {
    now.saturating_add(duration.as_millis().try_into().unwrap_or(i64::MAX))
}

/// `headers` are the request's, encoded beforehand so the writer thread does only SQL.
pub(super) fn enqueue(connection: &Connection, run: &NewRun, headers: &[u8], now: i64) -> rusqlite::Result<Enqueued> {
    if let Some(dedupe) = &run.dedupe {
        let seen: Option<i64> = connection
            .prepare_cached(
                "SELECT run_id FROM deliveries WHERE flow = ?1 AND instance = ?2 AND key = ?3 AND expires_at > ?4",
            )?
            .query_row(params![run.flow, run.instance, dedupe.key, now], |row| row.get(0))
            .optional()?;
        if let Some(run_id) = seen {
            return Ok(Enqueued::Duplicate(RunId(run_id)));
        }
    }
    let (status, attempts, lease_until, finished_at, reason) = match &run.start {
        Start::Queued => ("queued", 0, None, None, None),
        Start::Leased(lease) => ("running", 1, Some(later(now, *lease)), None, None),
        Start::Ignored { reason } => ("ignored", 0, None, Some(now), Some(reason.as_str())),
    };
    // The instance check is part of the insert, so a run is never stored for an instance that
    // was deactivated a moment before. Lifecycle hooks run while the instance is not active.
    let id: Option<i64> = connection
        .prepare_cached(
            "INSERT INTO runs (flow, instance, cause, status, attempts, created_at, due_at, lease_until,
                               delivery_id, query, headers, body, replay_of, ordered, finished_at, error)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15, ?16
             WHERE ?13 OR EXISTS (SELECT 1 FROM instances WHERE name = ?2 AND active)
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
                run.dedupe.as_ref().map(|dedupe| &dedupe.key),
                run.request.query(),
                headers,
                &run.request.body()[..],
                run.replay_of.map(|id| id.0),
                run.cause.is_lifecycle(),
                run.ordered,
                finished_at,
                reason,
            ],
            |row| row.get(0),
        )
        .optional()?;
    let Some(id) = id else { return Ok(Enqueued::InstanceInactive) };
    if let Some(dedupe) = &run.dedupe {
        remember_delivery(connection, &run.flow, &run.instance, &dedupe.key, id, later(now, dedupe.window))?;
    }
    Ok(Enqueued::Created(RunId(id)))
}

fn remember_delivery(
    connection: &Connection,
    flow: &str,
    instance: &str,
    key: &str,
    run_id: i64,
    expires_at: i64,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO deliveries (flow, instance, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![flow, instance, key, run_id, expires_at])?;
    Ok(())
}

pub(super) fn enqueue_tick(
    connection: &Connection,
    flow: &str,
    ordered: bool,
    tick: jiff::Timestamp,
    now: i64,
) -> rusqlite::Result<Vec<RunId>> {
    let key = format!("tick:{}", millis(tick));
    let instances: Vec<String> = connection
        .prepare_cached(
            "SELECT name FROM instances WHERE active
             AND NOT EXISTS (SELECT 1 FROM deliveries WHERE flow = ?1 AND instance = name AND key = ?2)",
        )?
        .query_map(params![flow, key], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut created = Vec::with_capacity(instances.len());
    for instance in instances {
        let id: i64 = connection
            .prepare_cached(
                "INSERT INTO runs (flow, instance, cause, status, created_at, due_at, delivery_id, headers, body, ordered)
                 VALUES (?1, ?2, 'schedule', 'queued', ?3, ?3, ?4, x'', x'', ?5) RETURNING id",
            )?
            .query_row(params![flow, instance, now, key, ordered], |row| row.get(0))?;
        remember_delivery(connection, flow, &instance, &key, id, later(millis(tick), TICK_MEMORY))?;
        created.push(RunId(id));
    }
    Ok(created)
}

/// A claimed run as stored; [`ClaimedRow::decode`] turns it into a [`ClaimedRun`] off the
/// writer thread.
pub(super) struct ClaimedRow {
    id: i64,
    flow: String,
    instance: String,
    attempt: u32,
    query: Option<String>,
    headers: Vec<u8>,
    body: Vec<u8>,
}

impl ClaimedRow {
    pub(super) fn decode(self) -> ClaimedRun {
        ClaimedRun {
            id: RunId(self.id),
            flow: self.flow,
            instance: self.instance,
            attempt: self.attempt,
            request: Arc::new(Request::new(
                self.query.as_deref(),
                decode_headers(&self.headers),
                Bytes::from(self.body),
            )),
        }
    }
}

// `LIMIT CAST(?4 …)` rather than `LIMIT ?4`: SQLite prepares a statement again whenever a
// new value is bound to a plain `LIMIT ?`, and the claimed count changes from call to call
// (re-preparing the claim took a tenth of the writer thread under load).
const CLAIM: &str = "UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = ?3
     WHERE id IN (
         SELECT id FROM runs WHERE flow = ?1 AND status IN ('queued', 'failed') AND due_at <= ?2
         ORDER BY due_at, id LIMIT CAST(?4 AS INTEGER))
     RETURNING id, flow, instance, attempts, query, headers, body";

/// An ordered flow's run is eligible only when no earlier run of its instance is unfinished.
const CLAIM_ORDERED: &str = "UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = ?3
     WHERE id IN (
         SELECT id FROM runs AS candidate
         WHERE flow = ?1 AND status IN ('queued', 'failed') AND due_at <= ?2
           AND NOT EXISTS (
               SELECT 1 FROM runs AS earlier
               WHERE earlier.flow = candidate.flow AND earlier.instance = candidate.instance AND earlier.ordered
                 AND earlier.id < candidate.id AND earlier.status IN ('queued', 'running', 'failed'))
         ORDER BY due_at, id LIMIT CAST(?4 AS INTEGER))
     RETURNING id, flow, instance, attempts, query, headers, body";

pub(super) fn claim(
    connection: &Connection,
    flows: &[FlowClaim],
    total: usize,
    lease: Duration,
    now: i64,
) -> rusqlite::Result<Vec<ClaimedRow>> {
    let mut claimed = Vec::new();
    for flow in flows {
        let mut limit = flow.limit.min(total - claimed.len());
        if let Some(concurrency) = flow.concurrency {
            let running: i64 = connection
                .prepare_cached("SELECT count(*) FROM runs WHERE flow = ?1 AND status = 'running'")?
                .query_row([flow.flow], |row| row.get(0))?;
            limit = limit.min((i64::from(concurrency) - running).max(0) as usize);
        }
        if limit == 0 {
            continue;
        }
        // Two statements rather than a parameter in the condition: SQLite prepares a statement
        // again at every execution when a bound value decides whether a partial index applies.
        let mut statement = connection.prepare_cached(if flow.ordered { CLAIM_ORDERED } else { CLAIM })?;
        let runs = statement.query_map(params![flow.flow, now, later(now, lease), limit as i64], |row| {
            Ok(ClaimedRow {
                id: row.get(0)?,
                flow: row.get(1)?,
                instance: row.get(2)?,
                attempt: row.get(3)?,
                query: row.get(4)?,
                headers: row.get(5)?,
                body: row.get(6)?,
            })
        })?;
        for run in runs {
            claimed.push(run?);
        }
    }
    Ok(claimed)
}

/// The attempt as one line of the run's history (JSON and a newline), made off the writer thread.
pub(super) fn history_line(attempt: &FinishedAttempt, finished_at: i64) -> String {
    let error = match &attempt.outcome {
        Outcome::Succeeded(_) => None,
        Outcome::Retry { error, .. } | Outcome::Dead { error } => Some(error.clone()),
    };
    let record = AttemptRecord {
        attempt: attempt.attempt,
        started_at: attempt.started_at,
        finished_at: super::codec::timestamp(finished_at),
        error,
        steps: attempt
            .steps
            .iter()
            .map(|step| StepRecord {
                name: step.name.clone(),
                started_at: step.started_at,
                duration_ms: step.duration.as_secs_f64() * 1000.0,
                error: step.error.clone(),
            })
            .collect(),
        logs: attempt.logs.clone(),
    };
    let mut line = serde_json::to_string(&record).expect("an attempt record serializes");
    line.push('\n');
    line
}

pub(super) fn finish(
    connection: &Connection,
    attempt: &FinishedAttempt,
    history_line: &str,
    now: i64,
) -> rusqlite::Result<()> {
    let (status, output, error, due_at, finished_at) = match &attempt.outcome {
        Outcome::Succeeded(output) => {
            ("succeeded", output.as_ref().map(|value| value.to_string()), None, None, Some(now))
        }
        Outcome::Retry { error, due_at } => ("failed", None, Some(error.as_str()), Some(millis(*due_at)), None),
        Outcome::Dead { error } => ("dead", None, Some(error.as_str()), None, Some(now)),
    };
    // `attempts = ?` keeps a worker whose lease ran out from overwriting a newer attempt.
    connection
        .prepare_cached(
            "UPDATE runs SET status = ?3, output = ?4, error = ?5, due_at = coalesce(?6, due_at), finished_at = ?7,
                             lease_until = NULL, history = history || ?8
             WHERE id = ?1 AND attempts = ?2",
        )?
        .execute(params![attempt.id.0, attempt.attempt, status, output, error, due_at, finished_at, history_line])?;
    Ok(())
}

pub(super) fn heartbeat(connection: &Connection, runs: &[RunId], lease: Duration, now: i64) -> rusqlite::Result<()> {
    let mut extend =
        connection.prepare_cached("UPDATE runs SET lease_until = ?2 WHERE id = ?1 AND status = 'running'")?;
    for run in runs {
        extend.execute(params![run.0, later(now, lease)])?;
    }
    Ok(())
}

/// Back to the inbox, the interrupted attempt not counted.
pub(super) fn release(connection: &Connection, runs: &[RunId], now: i64) -> rusqlite::Result<()> {
    let mut requeue = connection.prepare_cached(
        "UPDATE runs SET status = 'queued', attempts = attempts - 1, due_at = ?2, lease_until = NULL
         WHERE id = ?1 AND status = 'running'",
    )?;
    for run in runs {
        requeue.execute(params![run.0, now])?;
    }
    Ok(())
}

/// A server starting on its own store: whatever its predecessor was running is orphaned.
pub(super) fn recover(connection: &Connection, now: i64) -> rusqlite::Result<usize> {
    connection
        .prepare_cached(
            "UPDATE runs SET status = 'queued', due_at = ?1, lease_until = NULL
                          WHERE status = 'running' AND cause IN ('webhook', 'schedule', 'replay', 'message')",
        )?
        .execute([now])
}

pub(super) fn maintain(connection: &Connection, now: i64) -> rusqlite::Result<()> {
    // A lifecycle hook is run by the command that activates; if that stopped, the hook is over.
    connection
        .prepare_cached(
            "UPDATE runs SET status = 'dead', lease_until = NULL, finished_at = ?1,
                             error = 'the process running it stopped before it finished'
             WHERE status = 'running' AND lease_until < ?1 AND cause IN ('activate', 'deactivate')",
        )?
        .execute([now])?;
    connection
        .prepare_cached(
            "UPDATE runs SET status = 'queued', due_at = ?1, lease_until = NULL WHERE status = 'running' AND lease_until < ?1",
        )?
        .execute([now])?;
    connection.prepare_cached("DELETE FROM deliveries WHERE expires_at < ?1")?.execute([now])?;
    Ok(())
}

/// Replays the selected runs; the error is for the person asking, when a run cannot be replayed.
pub(super) fn replay(
    connection: &Connection,
    selection: &ReplaySelection,
    now: i64,
) -> rusqlite::Result<Result<Vec<Replayed>, String>> {
    // Each run with, for an ignored delivery, the flow it is replayed as.
    let originals: Vec<(i64, Option<&Reroute>)> = match selection {
        ReplaySelection::One(id) => {
            let found: Option<(String, String)> = connection
                .prepare_cached("SELECT status, cause FROM runs WHERE id = ?1")?
                .query_row([id.0], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            match found {
                None => return Ok(Err(format!("there is no run {id}"))),
                Some((_, cause)) if cause == "activate" || cause == "deactivate" => {
                    return Ok(Err(format!(
                        "run {id} is a lifecycle hook; activate or deactivate the instance again instead"
                    )));
                }
                // An ignored delivery not replayed yet is rerouted before it gets here.
                Some((status, _)) if status == "ignored" => {
                    return Ok(Err(format!(
                        "run {id} was ignored and has been replayed already; see `runs show {id}`"
                    )));
                }
                Some((status, _)) if status != "succeeded" && status != "dead" => {
                    return Ok(Err(format!(
                        "run {id} is {status}; only a finished run (succeeded or dead) can be replayed"
                    )));
                }
                Some(_) => vec![(id.0, None)],
            }
        }
        ReplaySelection::Dead { flow } => connection
            .prepare_cached(
                "SELECT id FROM runs WHERE status = 'dead' AND replayed_as IS NULL
                 AND cause NOT IN ('activate', 'deactivate') AND (?1 IS NULL OR flow = ?1) ORDER BY id",
            )?
            .query_map([flow], |row| Ok((row.get(0)?, None)))?
            .collect::<rusqlite::Result<_>>()?,
        ReplaySelection::Rerouted(reroutes) => reroutes.iter().map(|reroute| (reroute.run.0, Some(reroute))).collect(),
    };
    let mut replayed = Vec::with_capacity(originals.len());
    for (original, reroute) in originals {
        let copy: Option<i64> = connection
            .prepare_cached(
                "INSERT INTO runs (flow, instance, cause, status, created_at, due_at, query, headers, body, replay_of, ordered)
                 SELECT coalesce(?3, flow), instance, 'replay', 'queued', ?2, ?2, query, headers, body, id, coalesce(?4, ordered)
                 FROM runs
                 WHERE id = ?1 AND (?3 IS NULL OR (status = 'ignored' AND replayed_as IS NULL))
                   AND EXISTS (SELECT 1 FROM instances WHERE name = runs.instance AND active)
                 RETURNING id",
            )?
            .query_row(
                params![original, now, reroute.map(|reroute| &reroute.flow), reroute.map(|reroute| reroute.ordered)],
                |row| row.get(0),
            )
            .optional()?;
        match copy {
            Some(copy) => {
                connection
                    .prepare_cached("UPDATE runs SET replayed_as = ?2 WHERE id = ?1")?
                    .execute(params![original, copy])?;
                replayed.push(Replayed { original: RunId(original), replay: RunId(copy) });
            }
            None if matches!(selection, ReplaySelection::One(_)) => {
                return Ok(Err(format!(
                    "run {original} belongs to an instance that is no longer active; activate it first"
                )));
            }
            None => {}
        }
    }
    Ok(Ok(replayed))
}
