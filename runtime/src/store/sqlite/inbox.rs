//! The inbox: runs added, claimed, finished, leased and released.

use super::codec::{StoredPayload, decode_request, encode_method, millis, timestamp};
use crate::model::RunId;
use crate::store::{ClaimedRun, Enqueued, Entry, Finished, FinishedAttempt, FlowClaim, Outcome, Start};
use http::Method;
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;
use std::time::Duration;

fn later(now: i64, duration: Duration) -> i64 {
    now.saturating_add(duration.as_millis().try_into().unwrap_or(i64::MAX))
}

/// `headers` are the request's, encoded beforehand so the writer thread does only SQL.
pub(super) fn enqueue(connection: &Connection, entry: &Entry, headers: &[u8], now: i64) -> rusqlite::Result<Enqueued> {
    if let Some(dedupe) = &entry.dedupe {
        let seen: Option<i64> = connection
            .prepare_cached(
                "SELECT run_id FROM deliveries WHERE scope = ?1 AND instance = ?2 AND key = ?3 AND expires_at > ?4",
            )?
            .query_row(params![dedupe.scope, entry.instance, dedupe.key, now], |row| row.get(0))
            .optional()?;
        if let Some(run_id) = seen {
            return Ok(Enqueued::Duplicate(RunId(run_id)));
        }
    }
    if let Some(replay) = entry.replay.filter(|replay| !replay.again) {
        let replayed_as: Option<i64> = connection
            .prepare_cached("SELECT replayed_as FROM runs WHERE id = ?1")?
            .query_row([replay.of.0], |row| row.get(0))
            .optional()?
            .flatten();
        if let Some(replayed_as) = replayed_as {
            return Ok(Enqueued::ReplayedAlready(RunId(replayed_as)));
        }
    }
    if entry.skip_if_unfinished
        && let Some(unfinished) = unfinished_run(connection, entry.flow, &entry.instance)?
    {
        return Ok(Enqueued::Unfinished(unfinished));
    }
    let (status, attempts, lease_until, finished_at, reason) = match &entry.start {
        Start::Queued => ("queued", 0, None, None, None),
        Start::Leased(lease) => ("running", 1, Some(later(now, *lease)), None, None),
        Start::Ignored { reason } => ("ignored", 0, None, Some(now), Some(reason.as_str())),
    };
    // Checked in the same transaction as the insert, so a run is never stored for an instance
    // that was deactivated a moment before. (A lifecycle hook runs while its instance is active:
    // activation stores the instance first, deactivation retires it after.)
    let active =
        connection.prepare_cached("SELECT 1 FROM instances WHERE name = ?1 AND active")?.exists([&entry.instance])?;
    if !active {
        return Ok(Enqueued::InstanceInactive);
    }
    // A plain one-row `INSERT … VALUES`, and the id from `last_insert_rowid`: an `INSERT …
    // SELECT` or a `RETURNING` clause makes SQLite open a statement journal or a temporary
    // table at every execution (an eighth of the writer thread's time, measured with perf).
    connection
        .prepare_cached(
            "INSERT INTO runs (flow, instance, cause, status, attempts, created_at, due_at, lease_until,
                               delivery_id, replay_of, ordered, finished_at, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            entry.flow,
            entry.instance,
            entry.cause.as_str(),
            status,
            attempts,
            now,
            lease_until,
            entry.dedupe.as_ref().map(|dedupe| &dedupe.key),
            entry.replay.map(|replay| replay.of.0),
            entry.ordered,
            finished_at,
            reason,
        ])?;
    let id = connection.last_insert_rowid();
    let request = &entry.request;
    // A tick or a hook has no request to keep.
    if !(request.body().is_empty()
        && headers.is_empty()
        && request.query().is_none()
        && request.method() == Method::POST)
    {
        connection
            .prepare_cached("INSERT INTO payloads (run_id, method, query, headers, body) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![id, encode_method(&request.method()), request.query(), headers, &request.body()[..]])?;
    }
    if let Some(dedupe) = &entry.dedupe {
        connection
            .prepare_cached(
                "INSERT OR REPLACE INTO deliveries (scope, instance, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![dedupe.scope, entry.instance, dedupe.key, id, later(now, dedupe.window)])?;
    }
    if let Some(replay) = entry.replay {
        connection
            .prepare_cached("UPDATE runs SET replayed_as = ?2 WHERE id = ?1")?
            .execute(params![replay.of.0, id])?;
        if !replay.fresh {
            super::steps::carry_over(connection, replay.of, RunId(id))?;
        }
    }
    Ok(Enqueued::Created(RunId(id)))
}

/// An unfinished run of `flow` for `instance`. Two queries, each with the condition of a
/// partial index (`runs_due`, `runs_leased`), so neither scans the runs.
fn unfinished_run(connection: &Connection, flow: &str, instance: &str) -> rusqlite::Result<Option<RunId>> {
    for query in [
        "SELECT id FROM runs WHERE flow = ?1 AND status IN ('queued', 'failed') AND instance = ?2 LIMIT 1",
        "SELECT id FROM runs WHERE flow = ?1 AND status = 'running' AND instance = ?2 LIMIT 1",
    ] {
        if let Some(id) =
            connection.prepare_cached(query)?.query_row(params![flow, instance], |row| row.get(0)).optional()?
        {
            return Ok(Some(RunId(id)));
        }
    }
    Ok(None)
}

/// A claimed run as stored; [`ClaimedRow::decode`] turns it into a [`ClaimedRun`] off the
/// writer thread.
pub(super) struct ClaimedRow {
    id: i64,
    flow: String,
    instance: String,
    attempt: u32,
    due_at: i64,
    payload: StoredPayload,
}

impl ClaimedRow {
    pub(super) fn decode(self) -> ClaimedRun {
        ClaimedRun {
            id: RunId(self.id),
            flow: self.flow,
            instance: self.instance,
            attempt: self.attempt,
            due_at: timestamp(self.due_at),
            request: Arc::new(decode_request(self.payload)),
        }
    }
}

// `LIMIT CAST(?4 …)` rather than `LIMIT ?4`: SQLite prepares a statement again whenever a
// new value is bound to a plain `LIMIT ?`, and the claimed count changes from call to call
// (re-preparing the claim took a tenth of the writer thread under load).
const CLAIM: &str = "UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = ?3
     WHERE id IN (
         SELECT id FROM runs WHERE flow = ?1 AND status IN ('queued', 'failed') AND due_at <= ?2
           AND instance NOT IN (SELECT value FROM json_each(?5))
         ORDER BY due_at, id LIMIT CAST(?4 AS INTEGER))
     RETURNING id, flow, instance, attempts, due_at";

/// An ordered flow's run is eligible only when no earlier run of its instance is unfinished.
const CLAIM_ORDERED: &str = "UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = ?3
     WHERE id IN (
         SELECT id FROM runs AS candidate
         WHERE flow = ?1 AND status IN ('queued', 'failed') AND due_at <= ?2
           AND instance NOT IN (SELECT value FROM json_each(?5))
           AND NOT EXISTS (
               SELECT 1 FROM runs AS earlier
               WHERE earlier.flow = candidate.flow AND earlier.instance = candidate.instance AND earlier.ordered
                 AND earlier.id < candidate.id AND earlier.status IN ('queued', 'running', 'failed'))
         ORDER BY due_at, id LIMIT CAST(?4 AS INTEGER))
     RETURNING id, flow, instance, attempts, due_at";

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
        let passing_over = serde_json::to_string(&flow.passing_over).expect("names serialize");
        let runs = statement
            .query_map(params![flow.flow, now, later(now, lease), limit as i64, passing_over], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            })?;
        let mut payload =
            connection.prepare_cached("SELECT method, query, headers, body FROM payloads WHERE run_id = ?1")?;
        for run in runs {
            let (id, flow, instance, attempt, due_at) = run?;
            let payload = payload
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
                .optional()?
                .unwrap_or_default();
            claimed.push(ClaimedRow { id, flow, instance, attempt, due_at, payload });
        }
    }
    Ok(claimed)
}

pub(super) fn finish(
    connection: &Connection,
    attempt: &FinishedAttempt,
    history_line: &str,
    now: i64,
) -> rusqlite::Result<Finished> {
    if !attempt.state.is_empty() {
        // A worker whose lease ran out records nothing (the update below matches no row), so it
        // must not commit the state either.
        let current = connection
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1 AND attempts = ?2 AND status = 'running'")?
            .exists(params![attempt.id.0, attempt.attempt])?;
        if current {
            // All of the run's states, or none: each checked before any is written.
            for write in &attempt.state {
                if !super::state::unchanged(connection, write)? {
                    return Ok(Finished::StateChanged);
                }
            }
            for write in &attempt.state {
                super::state::commit(connection, write, now)?;
            }
        }
    }
    let (status, output, error, due_at, finished_at) = match &attempt.outcome {
        Outcome::Succeeded(output) => {
            ("succeeded", output.as_ref().map(|value| value.to_string()), None, None, Some(now))
        }
        Outcome::Retry { error, due_at } => ("failed", None, Some(error.as_str()), Some(millis(*due_at)), None),
        Outcome::Dead { error } => ("dead", None, Some(error.as_str()), None, Some(now)),
    };
    // `attempts = ?` keeps a worker whose lease ran out from overwriting a newer attempt, and
    // `status = 'running'` an attempt from being recorded twice.
    connection
        .prepare_cached(
            "UPDATE runs SET status = ?3, output = ?4, error = ?5, due_at = coalesce(?6, due_at), finished_at = ?7,
                             lease_until = NULL, history = history || ?8
             WHERE id = ?1 AND attempts = ?2 AND status = 'running'",
        )?
        .execute(params![attempt.id.0, attempt.attempt, status, output, error, due_at, finished_at, history_line])?;
    Ok(Finished::Recorded)
}

pub(super) fn make_due(connection: &Connection, run: RunId, now: i64) -> rusqlite::Result<bool> {
    let changed = connection
        .prepare_cached("UPDATE runs SET due_at = ?2 WHERE id = ?1 AND status = 'failed' AND due_at > ?2")?
        .execute(params![run.0, now])?;
    Ok(changed == 1)
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

pub(super) fn move_delivery_ids(connection: &Connection, moves: &[(&str, &str)]) -> rusqlite::Result<()> {
    let mut rename = connection.prepare_cached("UPDATE OR REPLACE deliveries SET scope = ?2 WHERE scope = ?1")?;
    for (from, to) in moves {
        rename.execute(params![from, to])?;
    }
    Ok(())
}
