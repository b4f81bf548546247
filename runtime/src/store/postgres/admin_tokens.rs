//! Admin API tokens: each one's name and the SHA-256 of its value.

use crate::store::AdminToken;
use crate::store::codec::{now, timestamp};
use sqlx::{PgConnection, Row};

/// `false` when a token of that name exists already (a revoked one's name is free again).
pub(super) async fn create(connection: &mut PgConnection, name: &str, digest: &str) -> sqlx::Result<bool> {
    let created = sqlx::query(
        "INSERT INTO admin_tokens (name, digest, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at, revoked_at = NULL
             WHERE admin_tokens.revoked_at IS NOT NULL",
    )
    .bind(name)
    .bind(digest)
    .bind(now())
    .execute(connection)
    .await?;
    Ok(created.rows_affected() == 1)
}

/// `false` when there is no token of that name, or it was revoked already.
pub(super) async fn revoke(connection: &mut PgConnection, name: &str) -> sqlx::Result<bool> {
    let revoked = sqlx::query("UPDATE admin_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL")
        .bind(name)
        .bind(now())
        .execute(connection)
        .await?;
    Ok(revoked.rows_affected() == 1)
}

pub(super) async fn list(connection: &mut PgConnection) -> sqlx::Result<Vec<AdminToken>> {
    // Byte order, as SQLite sorts, whatever the database's collation.
    sqlx::query(r#"SELECT name, created_at, revoked_at FROM admin_tokens ORDER BY name COLLATE "C""#)
        .fetch_all(connection)
        .await?
        .iter()
        .map(|row| {
            Ok(AdminToken {
                name: row.try_get(0)?,
                created_at: timestamp(row.try_get(1)?),
                revoked_at: row.try_get::<Option<i64>, _>(2)?.map(timestamp),
            })
        })
        .collect()
}

/// The name of the token whose value has this digest, unless it was revoked.
pub(super) async fn named(connection: &mut PgConnection, digest: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM admin_tokens WHERE digest = $1 AND revoked_at IS NULL")
        .bind(digest)
        .fetch_optional(connection)
        .await
}
