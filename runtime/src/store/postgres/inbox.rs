//! The inbox on PostgreSQL: runs added, claimed (`FOR UPDATE SKIP LOCKED`, so servers never
//! take the same run), finished, leased and released.

use crate::model::RunId;
use crate::store::codec::{StoredPayload, decode_request, encode_method, millis};
use crate::store::{ClaimedRun, Enqueued, Entry, Finished, FinishedAttempt, FlowClaim, Outcome, Start};
use http::Method;
use sqlx::{PgConnection, Row};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The channel a server listens on for runs another server queued.
pub(super) const RUNS_CHANNEL: &str = "aqueduct_runs";

fn later(now: i64, duration: Duration) -> i64 {
    now.saturating_add(duration.as_millis().try_into().unwrap_or(i64::MAX))
}

/// `headers` are the request's, encoded beforehand. Every check comes before the first write,
/// so a refused entry leaves nothing behind.
pub(super) async fn enqueue(
    connection: &mut PgConnection,
    entry: &Entry,
    headers: &[u8],
    now: i64,
) -> sqlx::Result<Enqueued> {
    if let Some(dedupe) = &entry.dedupe
        && let Some(run) = delivered(connection, dedupe.scope, &entry.instance, &dedupe.key, now).await?
    {
        return Ok(Enqueued::Duplicate(run));
    }
    if let Some(replay) = entry.replay.filter(|replay| !replay.again) {
        // Locked, so that of two replays of one run at once the second sees the first.
        let replayed_as: Option<i64> = sqlx::query_scalar("SELECT replayed_as FROM runs WHERE id = $1 FOR UPDATE")
            .bind(replay.of.0)
            .fetch_optional(&mut *connection)
            .await?
            .flatten();
        if let Some(replayed_as) = replayed_as {
            return Ok(Enqueued::ReplayedAlready(RunId(replayed_as)));
        }
    }
    if entry.skip_if_unfinished
        && let Some(unfinished) = unfinished_run(connection, entry.flow, &entry.instance).await?
    {
        return Ok(Enqueued::Unfinished(unfinished));
    }
    // The share lock holds off a deactivation until this run is committed: a run is never
    // stored for an instance that was deactivated a moment before.
    let active = sqlx::query("SELECT 1 FROM instances WHERE name = $1 AND active FOR SHARE")
        .bind(&entry.instance)
        .fetch_optional(&mut *connection)
        .await?
        .is_some();
    if !active {
        return Ok(Enqueued::InstanceInactive);
    }
    let reserved = match &entry.dedupe {
        // The key is taken with the run's id before the run is written. Another server taking
        // the same key at once waits for this commit, then finds the key taken.
        Some(dedupe) => {
            let taken: Option<i64> = sqlx::query_scalar(
                "INSERT INTO deliveries (scope, instance, key, run_id, expires_at)
                 VALUES ($1, $2, $3, nextval(pg_get_serial_sequence('runs', 'id')), $4)
                 ON CONFLICT (scope, instance, key) DO UPDATE SET run_id = EXCLUDED.run_id, expires_at = EXCLUDED.expires_at
                     WHERE deliveries.expires_at <= $5
                 RETURNING run_id",
            )
            .bind(dedupe.scope)
            .bind(&entry.instance)
            .bind(&dedupe.key)
            .bind(later(now, dedupe.window))
            .bind(now)
            .fetch_optional(&mut *connection)
            .await?;
            match taken {
                Some(id) => Some(id),
                None => {
                    let first = delivered(connection, dedupe.scope, &entry.instance, &dedupe.key, now).await?;
                    return Ok(Enqueued::Duplicate(first.unwrap_or(RunId(0))));
                }
            }
        }
        None => None,
    };
    let (status, attempts, lease_until, finished_at, reason) = match &entry.start {
        Start::Queued => ("queued", 0, None, None, None),
        Start::Leased(lease) => ("running", 1, Some(later(now, *lease)), None, None),
        Start::Ignored { reason } => ("ignored", 0, None, Some(now), Some(reason.as_str())),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO runs (id, flow, instance, cause, status, attempts, created_at, due_at, lease_until,
                           delivery_id, replay_of, ordered, finished_at, error)
         VALUES (coalesce($1, nextval(pg_get_serial_sequence('runs', 'id'))), $2, $3, $4, $5, $6, $7, $7, $8, $9, $10,
                 $11, $12, $13)
         RETURNING id",
    )
    .bind(reserved)
    .bind(entry.flow)
    .bind(&entry.instance)
    .bind(entry.cause.as_str())
    .bind(status)
    .bind(attempts)
    .bind(now)
    .bind(lease_until)
    .bind(entry.dedupe.as_ref().map(|dedupe| &dedupe.key))
    .bind(entry.replay.map(|replay| replay.of.0))
    .bind(entry.ordered)
    .bind(finished_at)
    .bind(reason)
    .fetch_one(&mut *connection)
    .await?;
    let request = &entry.request;
    // A tick or a hook has no request to keep.
    if !(request.body().is_empty()
        && headers.is_empty()
        && request.query().is_none()
        && request.method() == Method::POST)
    {
        sqlx::query("INSERT INTO payloads (run_id, method, query, headers, body) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(encode_method(&request.method()))
            .bind(request.query())
            .bind(headers)
            .bind(&request.body()[..])
            .execute(&mut *connection)
            .await?;
    }
    if let Some(replay) = entry.replay {
        sqlx::query("UPDATE runs SET replayed_as = $2 WHERE id = $1")
            .bind(replay.of.0)
            .bind(id)
            .execute(&mut *connection)
            .await?;
        if !replay.fresh {
            super::steps::carry_over(connection, replay.of, RunId(id)).await?;
        }
    }
    if matches!(entry.start, Start::Queued) {
        announce(connection, entry.flow).await?;
    }
    Ok(Enqueued::Created(RunId(id)))
}

/// The run a delivery id started, if it has not expired.
async fn delivered(
    connection: &mut PgConnection,
    scope: &str,
    instance: &str,
    key: &str,
    now: i64,
) -> sqlx::Result<Option<RunId>> {
    let run: Option<i64> = sqlx::query_scalar(
        "SELECT run_id FROM deliveries WHERE scope = $1 AND instance = $2 AND key = $3 AND expires_at > $4",
    )
    .bind(scope)
    .bind(instance)
    .bind(key)
    .bind(now)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(run.map(RunId))
}

/// Tells the other servers, when this transaction commits, that `flow` has runs to claim.
pub(super) async fn announce(connection: &mut PgConnection, flow: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(RUNS_CHANNEL).bind(flow).execute(connection).await.map(drop)
}

async fn unfinished_run(connection: &mut PgConnection, flow: &str, instance: &str) -> sqlx::Result<Option<RunId>> {
    let run: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM runs WHERE flow = $1 AND instance = $2 AND status IN ('queued', 'failed', 'running') LIMIT 1",
    )
    .bind(flow)
    .bind(instance)
    .fetch_optional(connection)
    .await?;
    Ok(run.map(RunId))
}

/// Locked rows another server is claiming are skipped, not waited for.
const CLAIM: &str = "WITH picked AS (
         SELECT id FROM runs WHERE flow = $1 AND status IN ('queued', 'failed') AND due_at <= $2
           AND NOT (instance = ANY($5))
         ORDER BY due_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED)
     UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = $3
     FROM picked WHERE runs.id = picked.id
     RETURNING runs.id, runs.flow, runs.instance, runs.attempts";

/// An ordered flow's run is eligible only when no earlier run of its instance is unfinished.
/// An earlier run another server is claiming is unfinished in every snapshot, so two servers
/// never start two runs of one instance.
const CLAIM_ORDERED: &str = "WITH picked AS (
         SELECT id FROM runs AS candidate
         WHERE flow = $1 AND status IN ('queued', 'failed') AND due_at <= $2
           AND NOT (instance = ANY($5))
           AND NOT EXISTS (
               SELECT 1 FROM runs AS earlier
               WHERE earlier.flow = candidate.flow AND earlier.instance = candidate.instance AND earlier.ordered
                 AND earlier.id < candidate.id AND earlier.status IN ('queued', 'running', 'failed'))
         ORDER BY due_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED)
     UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = $3
     FROM picked WHERE runs.id = picked.id
     RETURNING runs.id, runs.flow, runs.instance, runs.attempts";

pub(super) async fn claim(
    connection: &mut PgConnection,
    flows: &[FlowClaim],
    total: usize,
    lease: Duration,
    now: i64,
) -> sqlx::Result<Vec<ClaimedRun>> {
    let mut claimed: Vec<(i64, String, String, i32)> = Vec::new();
    for flow in flows {
        let mut limit = flow.limit.min(total - claimed.len());
        if limit == 0 {
            continue;
        }
        if let Some(concurrency) = flow.concurrency {
            // Servers claiming a limited flow at once take turns, each counting what the others
            // started; the lock ends with the transaction.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('aqueduct concurrency ' || $1))")
                .bind(flow.flow)
                .execute(&mut *connection)
                .await?;
            let running: i64 = sqlx::query_scalar("SELECT count(*) FROM runs WHERE flow = $1 AND status = 'running'")
                .bind(flow.flow)
                .fetch_one(&mut *connection)
                .await?;
            limit = limit.min((i64::from(concurrency) - running).max(0) as usize);
            if limit == 0 {
                continue;
            }
        }
        let rows = sqlx::query(if flow.ordered { CLAIM_ORDERED } else { CLAIM })
            .bind(flow.flow)
            .bind(now)
            .bind(later(now, lease))
            .bind(limit as i64)
            .bind(&flow.passing_over)
            .fetch_all(&mut *connection)
            .await?;
        for row in rows {
            claimed.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?));
        }
    }
    let ids: Vec<i64> = claimed.iter().map(|(id, ..)| *id).collect();
    let mut payloads: HashMap<i64, StoredPayload> = HashMap::new();
    if !ids.is_empty() {
        for row in sqlx::query("SELECT run_id, method, query, headers, body FROM payloads WHERE run_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *connection)
            .await?
        {
            payloads.insert(
                row.try_get(0)?,
                (row.try_get(1)?, row.try_get(2)?, Some(row.try_get(3)?), Some(row.try_get(4)?)),
            );
        }
    }
    Ok(claimed
        .into_iter()
        .map(|(id, flow, instance, attempt)| ClaimedRun {
            id: RunId(id),
            flow,
            instance,
            attempt: attempt as u32,
            request: Arc::new(decode_request(payloads.remove(&id).unwrap_or_default())),
        })
        .collect())
}

pub(super) async fn finish(
    connection: &mut PgConnection,
    attempt: &FinishedAttempt,
    history_line: &str,
    now: i64,
) -> sqlx::Result<Finished> {
    if !attempt.state.is_empty() {
        // A worker whose lease ran out records nothing (the update below matches no row), so it
        // must not commit the state either.
        let current = sqlx::query("SELECT 1 FROM runs WHERE id = $1 AND attempts = $2 AND status = 'running'")
            .bind(attempt.id.0)
            .bind(attempt.attempt as i32)
            .fetch_optional(&mut *connection)
            .await?
            .is_some();
        if current {
            // All of the run's states, or none: each locked and checked before any is written.
            for write in &attempt.state {
                if !super::state::unchanged(connection, write).await? {
                    return Ok(Finished::StateChanged);
                }
            }
            for write in &attempt.state {
                super::state::commit(connection, write, now).await?;
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
    // `attempts = $2` keeps a worker whose lease ran out from overwriting a newer attempt.
    sqlx::query(
        "UPDATE runs SET status = $3, output = $4, error = $5, due_at = coalesce($6, due_at), finished_at = $7,
                         lease_until = NULL, history = history || $8
         WHERE id = $1 AND attempts = $2",
    )
    .bind(attempt.id.0)
    .bind(attempt.attempt as i32)
    .bind(status)
    .bind(output)
    .bind(error)
    .bind(due_at)
    .bind(finished_at)
    .bind(history_line)
    .execute(connection)
    .await?;
    Ok(Finished::Recorded)
}

pub(super) async fn make_due(connection: &mut PgConnection, run: RunId, now: i64) -> sqlx::Result<bool> {
    let changed =
        sqlx::query("UPDATE runs SET due_at = $2 WHERE id = $1 AND status = 'failed' AND due_at > $2 RETURNING flow")
            .bind(run.0)
            .bind(now)
            .fetch_optional(&mut *connection)
            .await?;
    match changed {
        Some(row) => {
            announce(connection, row.try_get::<&str, _>(0)?).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

pub(super) async fn heartbeat(
    connection: &mut PgConnection,
    runs: &[RunId],
    lease: Duration,
    now: i64,
) -> sqlx::Result<()> {
    let ids: Vec<i64> = runs.iter().map(|run| run.0).collect();
    sqlx::query("UPDATE runs SET lease_until = $2 WHERE id = ANY($1) AND status = 'running'")
        .bind(ids)
        .bind(later(now, lease))
        .execute(connection)
        .await
        .map(drop)
}

/// Back to the inbox, the interrupted attempt not counted, for any server to take.
pub(super) async fn release(connection: &mut PgConnection, runs: &[RunId], now: i64) -> sqlx::Result<()> {
    let ids: Vec<i64> = runs.iter().map(|run| run.0).collect();
    sqlx::query(
        "UPDATE runs SET status = 'queued', attempts = attempts - 1, due_at = $2, lease_until = NULL
         WHERE id = ANY($1) AND status = 'running'",
    )
    .bind(ids)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    announce(connection, "").await
}

/// Runs whose server stopped renewing their lease go back to the inbox. There is no taking
/// over at start as on SQLite: the runs another server holds are still its own.
pub(super) async fn maintain(connection: &mut PgConnection, now: i64) -> sqlx::Result<()> {
    // A lifecycle hook is run by the command that activates; if that stopped, the hook is over.
    sqlx::query(
        "UPDATE runs SET status = 'dead', lease_until = NULL, finished_at = $1,
                         error = 'the process running it stopped before it finished'
         WHERE status = 'running' AND lease_until < $1 AND cause IN ('activate', 'deactivate')",
    )
    .bind(now)
    .execute(&mut *connection)
    .await?;
    let requeued = sqlx::query(
        "UPDATE runs SET status = 'queued', due_at = $1, lease_until = NULL WHERE status = 'running' AND lease_until < $1",
    )
    .bind(now)
    .execute(&mut *connection)
    .await?;
    if requeued.rows_affected() > 0 {
        tracing::info!(runs = requeued.rows_affected(), "resuming runs whose server stopped renewing their lease");
        announce(connection, "").await?;
    }
    sqlx::query("DELETE FROM deliveries WHERE expires_at < $1").bind(now).execute(connection).await.map(drop)
}

pub(super) async fn move_delivery_ids(connection: &mut PgConnection, moves: &[(&str, &str)]) -> sqlx::Result<()> {
    for (from, to) in moves {
        // A key remembered under both keeps the one moved, as SQLite's `UPDATE OR REPLACE` does.
        sqlx::query(
            "DELETE FROM deliveries AS moved_onto USING deliveries AS moving
             WHERE moving.scope = $1 AND moved_onto.scope = $2
               AND moving.instance = moved_onto.instance AND moving.key = moved_onto.key",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *connection)
        .await?;
        sqlx::query("UPDATE deliveries SET scope = $2 WHERE scope = $1")
            .bind(from)
            .bind(to)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}
