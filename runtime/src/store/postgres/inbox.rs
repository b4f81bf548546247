//! The inbox on PostgreSQL: runs added, claimed (`FOR UPDATE SKIP LOCKED`, so servers never
//! take the same run), finished, leased and released.

use crate::model::RunId;
use crate::store::codec::{StoredPayload, decode_request, encode_method, millis, timestamp};
use crate::store::{ClaimedRun, Enqueued, Entry, Finished, FinishedAttempt, FlowClaim, Outcome, Start};
use futures::future::BoxFuture;
use http::Method;
use sqlx::{Connection, PgConnection, PgPool, Row};
use std::sync::Arc;
use std::time::Duration;

/// The channel a server listens on for runs another server queued.
pub(super) const RUNS_CHANNEL: &str = "aqueduct_runs";

fn later(now: i64, duration: Duration) -> i64 {
    now.saturating_add(duration.as_millis().try_into().unwrap_or(i64::MAX))
}

/// A run to admit, its request's headers encoded beforehand.
pub(super) struct Admission {
    pub(super) entry: Entry,
    pub(super) headers: Vec<u8>,
    pub(super) now: i64,
}

/// Admits a batch of runs in one statement and one commit. `aqueduct_admit` (in `schema.rs`)
/// makes every check of an entry before its first write, so a refused entry leaves nothing
/// behind; an entry sees those before it in the batch, a delivery id among them too.
pub(super) fn admit(pool: PgPool, admissions: Vec<Arc<Admission>>) -> BoxFuture<'static, sqlx::Result<Vec<Enqueued>>> {
    Box::pin(async move {
        // Delivery ids are taken in one order in every batch: two servers' batches holding the
        // same ids (a schedule's tick, sent by each) would otherwise each wait for the other.
        let mut order: Vec<usize> = (0..admissions.len()).collect();
        order.sort_by_key(|&index| {
            let entry = &admissions[index].entry;
            entry.dedupe.as_ref().map(|dedupe| (dedupe.scope, entry.instance.as_str(), dedupe.key.as_str()))
        });
        let mut columns = AdmitColumns::default();
        for &index in &order {
            columns.push(&admissions[index]);
        }
        let rows = sqlx::query(
            "SELECT r.admitted, r.admitted_run
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[],
                         $8::bigint[], $9::text[], $10::bool[], $11::text[], $12::text[], $13::bigint[], $14::bigint[],
                         $15::bool[], $16::bool[], $17::bool[], $18::bool[], $19::text[], $20::text[], $21::bytea[],
                         $22::bytea[])
                  WITH ORDINALITY AS e(flow, instance, cause, status, attempts, now, lease_until, finished_at, error,
                                      ordered, scope, key, expires_at, replay_of, replay_again, replay_fresh,
                                      skip_if_unfinished, with_payload, method, query, headers, body, n)
             CROSS JOIN LATERAL aqueduct_admit(e.flow, e.instance, e.cause, e.status, e.attempts, e.now, e.lease_until,
                 e.finished_at, e.error, e.ordered, e.scope, e.key, e.expires_at, e.replay_of, e.replay_again,
                 e.replay_fresh, e.skip_if_unfinished, e.with_payload, e.method, e.query, e.headers, e.body) AS r
             ORDER BY e.n",
        )
        .bind(columns.flow)
        .bind(columns.instance)
        .bind(columns.cause)
        .bind(columns.status)
        .bind(columns.attempts)
        .bind(columns.now)
        .bind(columns.lease_until)
        .bind(columns.finished_at)
        .bind(columns.error)
        .bind(columns.ordered)
        .bind(columns.scope)
        .bind(columns.key)
        .bind(columns.expires_at)
        .bind(columns.replay_of)
        .bind(columns.replay_again)
        .bind(columns.replay_fresh)
        .bind(columns.skip_if_unfinished)
        .bind(columns.with_payload)
        .bind(columns.method)
        .bind(columns.query)
        .bind(columns.headers)
        .bind(columns.body)
        .fetch_all(&pool)
        .await?;
        let mut answers: Vec<Option<Enqueued>> = (0..admissions.len()).map(|_| None).collect();
        for (row, index) in rows.iter().zip(order) {
            let (admitted, run): (String, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
            let run = RunId(run.unwrap_or_default());
            answers[index] = Some(match admitted.as_str() {
                "created" => Enqueued::Created(run),
                "duplicate" => Enqueued::Duplicate(run),
                "replayed_already" => Enqueued::ReplayedAlready(run),
                "unfinished" => Enqueued::Unfinished(run),
                _ => Enqueued::InstanceInactive,
            });
        }
        answers.into_iter().map(|answer| answer.ok_or(sqlx::Error::RowNotFound)).collect()
    })
}

/// A batch of admissions as `aqueduct_admit`'s arguments, one array per argument.
#[derive(Default)]
struct AdmitColumns {
    flow: Vec<&'static str>,
    instance: Vec<String>,
    cause: Vec<&'static str>,
    status: Vec<&'static str>,
    attempts: Vec<i32>,
    now: Vec<i64>,
    lease_until: Vec<Option<i64>>,
    finished_at: Vec<Option<i64>>,
    error: Vec<Option<String>>,
    ordered: Vec<bool>,
    scope: Vec<Option<&'static str>>,
    key: Vec<Option<String>>,
    expires_at: Vec<Option<i64>>,
    replay_of: Vec<Option<i64>>,
    replay_again: Vec<bool>,
    replay_fresh: Vec<bool>,
    skip_if_unfinished: Vec<bool>,
    with_payload: Vec<bool>,
    method: Vec<Option<String>>,
    query: Vec<Option<String>>,
    headers: Vec<Vec<u8>>,
    body: Vec<Vec<u8>>,
}

impl AdmitColumns {
    fn push(&mut self, Admission { entry, headers, now }: &Admission) {
        let now = *now;
        let (status, attempts, lease_until, finished_at, reason) = match &entry.start {
            Start::Queued => ("queued", 0, None, None, None),
            Start::Leased(lease) => ("running", 1, Some(later(now, *lease)), None, None),
            Start::Ignored { reason } => ("ignored", 0, None, Some(now), Some(reason.clone())),
        };
        let request = &entry.request;
        self.flow.push(entry.flow);
        self.instance.push(entry.instance.clone());
        self.cause.push(entry.cause.as_str());
        self.status.push(status);
        self.attempts.push(attempts);
        self.now.push(now);
        self.lease_until.push(lease_until);
        self.finished_at.push(finished_at);
        self.error.push(reason);
        self.ordered.push(entry.ordered);
        self.scope.push(entry.dedupe.as_ref().map(|dedupe| dedupe.scope));
        self.key.push(entry.dedupe.as_ref().map(|dedupe| dedupe.key.clone()));
        self.expires_at.push(entry.dedupe.as_ref().map(|dedupe| later(now, dedupe.window)));
        self.replay_of.push(entry.replay.map(|replay| replay.of.0));
        self.replay_again.push(entry.replay.is_some_and(|replay| replay.again));
        self.replay_fresh.push(entry.replay.is_some_and(|replay| replay.fresh));
        self.skip_if_unfinished.push(entry.skip_if_unfinished);
        // A tick or a hook has no request to keep.
        self.with_payload.push(
            !(request.body().is_empty()
                && headers.is_empty()
                && request.query().is_none()
                && request.method() == Method::POST),
        );
        self.method.push(encode_method(&request.method()).map(str::to_owned));
        self.query.push(request.query().map(str::to_owned));
        self.headers.push(headers.clone());
        self.body.push(request.body().to_vec());
    }
}

/// Tells the other servers, when this transaction commits, that runs are due.
async fn announce(connection: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, '')").bind(RUNS_CHANNEL).execute(connection).await.map(drop)
}

/// Locked rows another server is claiming are skipped, not waited for.
const CLAIM: &str = "WITH picked AS (
         SELECT id FROM runs WHERE flow = $1 AND status IN ('queued', 'failed') AND due_at <= $2
           AND NOT (instance = ANY($5))
         ORDER BY due_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED),
     claimed AS (
         UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = $3
         FROM picked WHERE runs.id = picked.id
         RETURNING runs.id, runs.flow, runs.instance, runs.attempts, runs.due_at)
     SELECT claimed.id, flow, instance, attempts, method, query, headers, body, due_at
     FROM claimed LEFT JOIN payloads ON payloads.run_id = claimed.id ORDER BY claimed.id";

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
         FOR UPDATE SKIP LOCKED),
     claimed AS (
         UPDATE runs SET status = 'running', attempts = attempts + 1, lease_until = $3
         FROM picked WHERE runs.id = picked.id
         RETURNING runs.id, runs.flow, runs.instance, runs.attempts, runs.due_at)
     SELECT claimed.id, flow, instance, attempts, method, query, headers, body, due_at
     FROM claimed LEFT JOIN payloads ON payloads.run_id = claimed.id ORDER BY claimed.id";

/// Each flow's claim is one statement, committed on its own, but for a flow with a
/// concurrency limit, whose count and claim are one transaction.
pub(super) async fn claim(
    connection: &mut PgConnection,
    flows: &[FlowClaim],
    total: usize,
    lease: Duration,
    now: i64,
) -> sqlx::Result<Vec<ClaimedRun>> {
    let mut claimed = Vec::new();
    for flow in flows {
        let limit = flow.limit.min(total - claimed.len());
        if limit == 0 {
            continue;
        }
        let rows = match flow.concurrency {
            None => claim_flow(connection, flow, limit, lease, now).await?,
            Some(concurrency) => {
                let mut transaction = connection.begin().await?;
                // Servers claiming a limited flow at once take turns, each counting what the
                // others started; the lock ends with the transaction.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext('aqueduct concurrency ' || $1))")
                    .bind(flow.flow)
                    .execute(&mut *transaction)
                    .await?;
                let running: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM runs WHERE flow = $1 AND status = 'running'")
                        .bind(flow.flow)
                        .fetch_one(&mut *transaction)
                        .await?;
                let limit = limit.min((i64::from(concurrency) - running).max(0) as usize);
                let rows =
                    if limit == 0 { Vec::new() } else { claim_flow(&mut transaction, flow, limit, lease, now).await? };
                transaction.commit().await?;
                rows
            }
        };
        claimed.extend(rows);
    }
    Ok(claimed)
}

async fn claim_flow(
    connection: &mut PgConnection,
    flow: &FlowClaim,
    limit: usize,
    lease: Duration,
    now: i64,
) -> sqlx::Result<Vec<ClaimedRun>> {
    let rows = sqlx::query(if flow.ordered { CLAIM_ORDERED } else { CLAIM })
        .bind(flow.flow)
        .bind(now)
        .bind(later(now, lease))
        .bind(limit as i64)
        .bind(&flow.passing_over)
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|row| {
            let payload: StoredPayload = (row.try_get(4)?, row.try_get(5)?, row.try_get(6)?, row.try_get(7)?);
            Ok(ClaimedRun {
                id: RunId(row.try_get(0)?),
                flow: row.try_get(1)?,
                instance: row.try_get(2)?,
                attempt: row.try_get::<i32, _>(3)? as u32,
                due_at: timestamp(row.try_get(8)?),
                request: Arc::new(decode_request(payload)),
            })
        })
        .collect()
}

/// An attempt's outcome as its run's row takes it.
pub(super) struct Outcomes {
    id: i64,
    attempt: i32,
    status: &'static str,
    output: Option<String>,
    error: Option<String>,
    due_at: Option<i64>,
    finished_at: Option<i64>,
    history_line: String,
}

impl Outcomes {
    pub(super) fn of(attempt: &FinishedAttempt, history_line: String, now: i64) -> Outcomes {
        let (status, output, error, due_at, finished_at) = match &attempt.outcome {
            Outcome::Succeeded(output) => {
                ("succeeded", output.as_ref().map(|value| value.to_string()), None, None, Some(now))
            }
            Outcome::Retry { error, due_at } => ("failed", None, Some(error.clone()), Some(millis(*due_at)), None),
            Outcome::Dead { error } => ("dead", None, Some(error.clone()), None, Some(now)),
        };
        Outcomes {
            id: attempt.id.0,
            attempt: attempt.attempt as i32,
            status,
            output,
            error,
            due_at,
            finished_at,
            history_line,
        }
    }
}

/// Records the outcomes of attempts that changed no state, in one statement and one commit.
/// `attempts = f.attempt` keeps a worker whose lease ran out from overwriting a newer attempt,
/// and `status = 'running'` a finish tried again (its first answer lost, as PostgreSQL went
/// away after the commit) from being recorded twice.
pub(super) fn finish(pool: PgPool, outcomes: Vec<Arc<Outcomes>>) -> BoxFuture<'static, sqlx::Result<Vec<Finished>>> {
    Box::pin(async move {
        sqlx::query(
            "UPDATE runs SET status = f.status, output = f.output, error = f.error, due_at = coalesce(f.due_at, runs.due_at),
                             finished_at = f.finished_at, lease_until = NULL, history = runs.history || f.history_line
             FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])
                  AS f(id, attempt, status, output, error, due_at, finished_at, history_line)
             WHERE runs.id = f.id AND runs.attempts = f.attempt AND runs.status = 'running'",
        )
        .bind(outcomes.iter().map(|outcome| outcome.id).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.attempt).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.status).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.output.clone()).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.error.clone()).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.due_at).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.finished_at).collect::<Vec<_>>())
        .bind(outcomes.iter().map(|outcome| outcome.history_line.clone()).collect::<Vec<_>>())
        .execute(&pool)
        .await?;
        Ok(outcomes.iter().map(|_| Finished::Recorded).collect())
    })
}

/// An attempt that changed its flow's state: the state and the outcome in one transaction.
pub(super) async fn finish_with_state(
    connection: &mut PgConnection,
    attempt: &FinishedAttempt,
    outcomes: &Outcomes,
    now: i64,
) -> sqlx::Result<Finished> {
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
    sqlx::query(
        "UPDATE runs SET status = $3, output = $4, error = $5, due_at = coalesce($6, due_at), finished_at = $7,
                         lease_until = NULL, history = history || $8
         WHERE id = $1 AND attempts = $2 AND status = 'running'",
    )
    .bind(outcomes.id)
    .bind(outcomes.attempt)
    .bind(outcomes.status)
    .bind(&outcomes.output)
    .bind(&outcomes.error)
    .bind(outcomes.due_at)
    .bind(outcomes.finished_at)
    .bind(&outcomes.history_line)
    .execute(connection)
    .await?;
    Ok(Finished::Recorded)
}

/// One statement, announcing the run to every server when it commits.
pub(super) async fn make_due(connection: &mut PgConnection, run: RunId, now: i64) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "WITH changed AS (
             UPDATE runs SET due_at = $2 WHERE id = $1 AND status = 'failed' AND due_at > $2 RETURNING id)
         SELECT pg_notify($3, '') FROM changed",
    )
    .bind(run.0)
    .bind(now)
    .bind(RUNS_CHANNEL)
    .fetch_optional(connection)
    .await?;
    Ok(changed.is_some())
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
        "WITH released AS (
             UPDATE runs SET status = 'queued', attempts = attempts - 1, due_at = $2, lease_until = NULL
             WHERE id = ANY($1) AND status = 'running' RETURNING id)
         SELECT pg_notify($3, '') FROM released LIMIT 1",
    )
    .bind(ids)
    .bind(now)
    .bind(RUNS_CHANNEL)
    .fetch_optional(connection)
    .await
    .map(drop)
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
        announce(connection).await?;
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
