//! OAuth2 tokens of instances' connections, sealed (see the SQLite store's `tokens.rs`).

use crate::store::StoredToken;
use sqlx::{PgConnection, Row};

pub(super) async fn read(connection: &mut PgConnection, instance: &str, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT sealed FROM tokens WHERE instance = $1 AND connection = $2")
        .bind(instance)
        .bind(key)
        .fetch_optional(connection)
        .await
}

pub(super) async fn write(connection: &mut PgConnection, token: &StoredToken, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tokens (instance, connection, sealed, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (instance, connection) DO UPDATE SET sealed = $3, updated_at = $4",
    )
    .bind(&token.instance)
    .bind(&token.connection)
    .bind(&token.sealed)
    .bind(now)
    .execute(connection)
    .await
    .map(drop)
}

pub(super) async fn all(connection: &mut PgConnection) -> sqlx::Result<Vec<StoredToken>> {
    sqlx::query("SELECT instance, connection, sealed FROM tokens ORDER BY instance, connection")
        .fetch_all(connection)
        .await?
        .iter()
        .map(|row| Ok(StoredToken { instance: row.try_get(0)?, connection: row.try_get(1)?, sealed: row.try_get(2)? }))
        .collect()
}

/// Each token replaced only if still as read.
pub(super) async fn replace(
    connection: &mut PgConnection,
    changes: &[(StoredToken, String)],
    now: i64,
) -> sqlx::Result<usize> {
    let mut replaced = 0;
    for (read, sealed) in changes {
        replaced += sqlx::query(
            "UPDATE tokens SET sealed = $4, updated_at = $5 WHERE instance = $1 AND connection = $2 AND sealed = $3",
        )
        .bind(&read.instance)
        .bind(&read.connection)
        .bind(&read.sealed)
        .bind(sealed)
        .bind(now)
        .execute(&mut *connection)
        .await?
        .rows_affected() as usize;
    }
    Ok(replaced)
}

pub(super) async fn forget(connection: &mut PgConnection, instance: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM tokens WHERE instance = $1").bind(instance).execute(connection).await.map(drop)
}
