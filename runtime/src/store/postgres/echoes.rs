//! What two-way integrations last wrote to each system (`ctx.echoes`).

use crate::model::EchoMark;
use sqlx::{PgConnection, Row};

pub(super) async fn mark(connection: &mut PgConnection, mark: &EchoMark) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO echoes (instance, system, record, digest, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (instance, system, record) DO UPDATE SET digest = $4, expires_at = $5",
    )
    .bind(&mark.instance)
    .bind(&mark.system)
    .bind(&mark.record)
    .bind(&mark.digest)
    .bind(mark.expires_at)
    .execute(connection)
    .await
    .map(drop)
}

/// A live mark with the reported digest is an echo; any other report drops the mark.
pub(super) async fn is_echo(connection: &mut PgConnection, reported: &EchoMark, now: i64) -> sqlx::Result<bool> {
    let kept = sqlx::query(
        "SELECT digest, expires_at FROM echoes WHERE instance = $1 AND system = $2 AND record = $3 FOR UPDATE",
    )
    .bind(&reported.instance)
    .bind(&reported.system)
    .bind(&reported.record)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(kept) = kept else { return Ok(false) };
    let (digest, expires_at): (String, i64) = (kept.try_get(0)?, kept.try_get(1)?);
    let echo = digest == reported.digest && expires_at > now;
    if !echo {
        sqlx::query("DELETE FROM echoes WHERE instance = $1 AND system = $2 AND record = $3")
            .bind(&reported.instance)
            .bind(&reported.system)
            .bind(&reported.record)
            .execute(connection)
            .await?;
    }
    Ok(echo)
}
