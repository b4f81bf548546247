//! Removing finished runs and payloads past their keep, a batch at a time (see the SQLite
//! store's `prune.rs`, whose rules this follows).

use crate::model::{RunId, RunStatus};
use crate::store::{Pruned, Pruning};
use sqlx::{PgConnection, Row};
use std::time::Duration;

fn before(now: i64, duration: Duration) -> i64 {
    now.saturating_sub(duration.as_millis().try_into().unwrap_or(i64::MAX))
}

pub(super) async fn pass(
    connection: &mut PgConnection,
    pruning: &Pruning,
    after: RunId,
    limit: usize,
    now: i64,
    remove: bool,
) -> sqlx::Result<Pruned> {
    let horizon = before(now, pruning.shortest());
    let mut pruned = Pruned::default();
    let rows = sqlx::query(
        "SELECT id, flow, status, created_at, finished_at, payload_removed_at FROM runs
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after.0)
    .bind(limit as i64)
    .fetch_all(&mut *connection)
    .await?;
    let full = rows.len() == limit;
    for row in rows {
        let (id, flow, status): (i64, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let (created_at, finished_at, payload_removed_at): (i64, Option<i64>, Option<i64>) =
            (row.try_get(3)?, row.try_get(4)?, row.try_get(5)?);
        if created_at >= horizon {
            pruned.next = None;
            return Ok(pruned);
        }
        pruned.next = Some(RunId(id));
        let (Some(finished_at), Some(status)) = (finished_at, RunStatus::parse(&status)) else { continue };
        let kept = pruning.kept(&flow);
        let keep = match status {
            RunStatus::Succeeded | RunStatus::Ignored => kept.keep,
            RunStatus::Dead => kept.keep_dead,
            _ => continue,
        };
        if finished_at < before(now, keep) {
            if remove {
                remove_run(connection, id).await?;
            }
            *pruned.runs.entry((flow, status)).or_default() += 1;
        } else if let Some(keep_payload) = kept.keep_payload.filter(|_| payload_removed_at.is_none())
            && finished_at < before(now, keep_payload)
            && payload(connection, id, remove, now).await?
        {
            pruned.payloads += 1;
        }
    }
    if !full {
        pruned.next = None;
    }
    Ok(pruned)
}

async fn remove_run(connection: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    for statement in [
        "DELETE FROM payloads WHERE run_id = $1",
        "DELETE FROM steps WHERE run_id = $1",
        "DELETE FROM runs WHERE id = $1",
    ] {
        sqlx::query(statement).bind(id).execute(&mut *connection).await?;
    }
    Ok(())
}

/// Removes (or, dry, finds) a kept run's payload; `false` when it has none.
async fn payload(connection: &mut PgConnection, id: i64, remove: bool, now: i64) -> sqlx::Result<bool> {
    if !remove {
        let found = sqlx::query("SELECT 1 FROM payloads WHERE run_id = $1").bind(id).fetch_optional(connection).await?;
        return Ok(found.is_some());
    }
    let removed = sqlx::query("DELETE FROM payloads WHERE run_id = $1").bind(id).execute(&mut *connection).await?;
    if removed.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM steps WHERE run_id = $1").bind(id).execute(&mut *connection).await?;
    sqlx::query("UPDATE runs SET payload_removed_at = $2 WHERE id = $1").bind(id).bind(now).execute(connection).await?;
    Ok(true)
}
