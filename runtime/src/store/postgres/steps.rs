//! The steps (action calls) each run completed, for later attempts and replays.

use crate::model::RunId;
use crate::store::CompletedStep;
use sqlx::{PgConnection, Row};

pub(super) async fn record(connection: &mut PgConnection, run: RunId, step: &CompletedStep) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO steps (run_id, seq, name, input_digest, output, attempt, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (run_id, seq) DO UPDATE SET name = $3, input_digest = $4, output = $5, attempt = $6,
                                                 duration_ms = $7",
    )
    .bind(run.0)
    .bind(step.seq as i32)
    .bind(&step.name)
    .bind(&step.input_digest)
    .bind(&step.output)
    .bind(step.attempt as i32)
    .bind(step.duration_ms)
    .execute(connection)
    .await
    .map(drop)
}

pub(super) async fn completed(connection: &mut PgConnection, run: RunId) -> sqlx::Result<Vec<CompletedStep>> {
    sqlx::query(
        "SELECT seq, name, input_digest, output, attempt, duration_ms FROM steps WHERE run_id = $1 ORDER BY seq",
    )
    .bind(run.0)
    .fetch_all(connection)
    .await?
    .iter()
    .map(|row| {
        Ok(CompletedStep {
            seq: row.try_get::<i32, _>(0)? as u32,
            name: row.try_get(1)?,
            input_digest: row.try_get(2)?,
            output: row.try_get(3)?,
            attempt: row.try_get::<i32, _>(4)? as u32,
            duration_ms: row.try_get(5)?,
        })
    })
    .collect()
}
