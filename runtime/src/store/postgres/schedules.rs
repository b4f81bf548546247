//! Schedules' last ticks, and the flows paused.

use crate::store::Paused;
use sqlx::{PgConnection, Row};

pub(super) async fn last_tick(connection: &mut PgConnection, flow: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT last_tick FROM schedule_ticks WHERE flow = $1")
        .bind(flow)
        .fetch_optional(connection)
        .await
}

/// Servers record the ticks they pass; the latest stands, whichever writes last.
pub(super) async fn record_tick(connection: &mut PgConnection, flow: &str, tick: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO schedule_ticks (flow, last_tick) VALUES ($1, $2)
         ON CONFLICT (flow) DO UPDATE SET last_tick = greatest(schedule_ticks.last_tick, $2)",
    )
    .bind(flow)
    .bind(tick)
    .execute(connection)
    .await
    .map(drop)
}

pub(super) async fn paused(connection: &mut PgConnection) -> sqlx::Result<Vec<Paused>> {
    sqlx::query("SELECT flow, instance FROM paused ORDER BY flow, instance")
        .fetch_all(connection)
        .await?
        .iter()
        .map(|row| {
            let instance: String = row.try_get(1)?;
            Ok(Paused { flow: row.try_get(0)?, instance: Some(instance).filter(|name| !name.is_empty()) })
        })
        .collect()
}

pub(super) async fn set_paused(connection: &mut PgConnection, paused: &Paused, pause: bool) -> sqlx::Result<bool> {
    let instance = paused.instance.as_deref().unwrap_or_default();
    let statement = if pause {
        "INSERT INTO paused (flow, instance) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM paused WHERE flow = $1 AND instance = $2"
    };
    let changed = sqlx::query(statement).bind(&paused.flow).bind(instance).execute(connection).await?;
    Ok(changed.rows_affected() == 1)
}
