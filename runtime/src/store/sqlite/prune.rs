//! Retention: finished runs and payloads past their flow's keep, removed a batch at a time.
//!
//! A pass reads runs in id order from where the last one stopped; since ids grow with creation
//! time, it stops at the first run created too recently for anything to be due, and the next
//! sweep starts again from the oldest run left. No index is kept for it, so finishing a run
//! costs nothing more. Freed pages go to SQLite's free list and new runs reuse them, so the
//! file stops growing once retention is reached.

use crate::model::{RunId, RunStatus};
use crate::store::{Pruned, Pruning};
use rusqlite::{Connection, params};
use std::time::Duration;

fn before(now: i64, duration: Duration) -> i64 {
    now.saturating_sub(duration.as_millis().try_into().unwrap_or(i64::MAX))
}

/// A run as the pruner looks at it.
struct Candidate {
    id: i64,
    flow: String,
    status: String,
    created_at: i64,
    finished_at: Option<i64>,
    payload_removed_at: Option<i64>,
}

/// One pass over at most `limit` runs after `after`. `remove`: delete what is due (on the
/// writer); otherwise only count it (`runs prune --dry-run`, on a reader).
pub(super) fn pass(
    connection: &Connection,
    pruning: &Pruning,
    after: RunId,
    limit: usize,
    now: i64,
    remove: bool,
) -> rusqlite::Result<Pruned> {
    let horizon = before(now, pruning.shortest());
    let mut pruned = Pruned::default();
    let rows: Vec<Candidate> = connection
        .prepare_cached(
            "SELECT id, flow, status, created_at, finished_at, payload_removed_at FROM runs
             WHERE id > ?1 ORDER BY id LIMIT CAST(?2 AS INTEGER)",
        )?
        .query_map(params![after.0, limit as i64], |row| {
            Ok(Candidate {
                id: row.get(0)?,
                flow: row.get(1)?,
                status: row.get(2)?,
                created_at: row.get(3)?,
                finished_at: row.get(4)?,
                payload_removed_at: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let full = rows.len() == limit;
    for Candidate { id, flow, status, created_at, finished_at, payload_removed_at } in rows {
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
                remove_run(connection, id)?;
            }
            *pruned.runs.entry((flow, status)).or_default() += 1;
        } else if let Some(keep_payload) = kept.keep_payload.filter(|_| payload_removed_at.is_none())
            && finished_at < before(now, keep_payload)
            && payload(connection, id, remove, now)?
        {
            pruned.payloads += 1;
        }
    }
    if !full {
        pruned.next = None;
    }
    Ok(pruned)
}

fn remove_run(connection: &Connection, id: i64) -> rusqlite::Result<()> {
    connection.prepare_cached("DELETE FROM payloads WHERE run_id = ?1")?.execute([id])?;
    connection.prepare_cached("DELETE FROM steps WHERE run_id = ?1")?.execute([id])?;
    connection.prepare_cached("DELETE FROM runs WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Whether the run has a payload to remove (and, `remove`, removes it, and its steps' outputs:
/// they are the customer's data as much as the payload is).
fn payload(connection: &Connection, id: i64, remove: bool, now: i64) -> rusqlite::Result<bool> {
    if !remove {
        return connection.prepare_cached("SELECT 1 FROM payloads WHERE run_id = ?1")?.exists([id]);
    }
    if connection.prepare_cached("DELETE FROM payloads WHERE run_id = ?1")?.execute([id])? == 0 {
        return Ok(false);
    }
    connection.prepare_cached("DELETE FROM steps WHERE run_id = ?1")?.execute([id])?;
    connection.prepare_cached("UPDATE runs SET payload_removed_at = ?2 WHERE id = ?1")?.execute(params![id, now])?;
    Ok(true)
}
