//! Each flow's state per instance, committed with a run's success only when unchanged since read.

use crate::store::{StateWrite, StoredState};
use sqlx::{PgConnection, Row};

pub(super) async fn read(
    connection: &mut PgConnection,
    flow: &str,
    instance: &str,
) -> sqlx::Result<Option<StoredState>> {
    sqlx::query("SELECT value, version FROM state WHERE flow = $1 AND instance = $2")
        .bind(flow)
        .bind(instance)
        .fetch_optional(connection)
        .await?
        .map(|row| Ok(StoredState { json: row.try_get(0)?, version: row.try_get(1)? }))
        .transpose()
}

/// Whether the state is still at the version the attempt read. The advisory lock, held until
/// the transaction ends, keeps another server's run from committing the same state meanwhile,
/// whether or not a row exists yet.
pub(super) async fn unchanged(connection: &mut PgConnection, write: &StateWrite) -> sqlx::Result<bool> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('aqueduct state ' || $1 || ' ' || $2))")
        .bind(&write.flow)
        .bind(&write.instance)
        .execute(&mut *connection)
        .await?;
    let version: Option<i64> = sqlx::query_scalar("SELECT version FROM state WHERE flow = $1 AND instance = $2")
        .bind(&write.flow)
        .bind(&write.instance)
        .fetch_optional(connection)
        .await?;
    Ok(version == write.read_version)
}

pub(super) async fn commit(connection: &mut PgConnection, write: &StateWrite, now: i64) -> sqlx::Result<bool> {
    let changed = match write.read_version {
        Some(version) => sqlx::query(
            "UPDATE state SET value = $3, version = version + 1, updated_at = $4
             WHERE flow = $1 AND instance = $2 AND version = $5",
        )
        .bind(&write.flow)
        .bind(&write.instance)
        .bind(&write.json)
        .bind(now)
        .bind(version),
        None => sqlx::query(
            "INSERT INTO state (flow, instance, value, version, updated_at) VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(&write.flow)
        .bind(&write.instance)
        .bind(&write.json)
        .bind(now),
    }
    .execute(connection)
    .await?;
    Ok(changed.rows_affected() == 1)
}
