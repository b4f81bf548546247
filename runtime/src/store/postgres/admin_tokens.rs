//! Admin API tokens: each one's name and the SHA-256 of its value.

use crate::store::AdminToken;
use crate::store::codec::{now, timestamp};
use sqlx::{PgConnection, Row};

/// `false` when a token of that name exists already.
pub(super) async fn create(connection: &mut PgConnection, name: &str, digest: &str) -> sqlx::Result<bool> {
    let created = sqlx::query(
        "INSERT INTO admin_tokens (name, digest, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(digest)
    .bind(now())
    .execute(connection)
    .await?;
    Ok(created.rows_affected() == 1)
}

/// `false` when there is no token of that name.
pub(super) async fn revoke(connection: &mut PgConnection, name: &str) -> sqlx::Result<bool> {
    let revoked = sqlx::query("DELETE FROM admin_tokens WHERE name = $1").bind(name).execute(connection).await?;
    Ok(revoked.rows_affected() == 1)
}

pub(super) async fn list(connection: &mut PgConnection) -> sqlx::Result<Vec<AdminToken>> {
    sqlx::query("SELECT name, created_at FROM admin_tokens ORDER BY name")
        .fetch_all(connection)
        .await?
        .iter()
        .map(|row| Ok(AdminToken { name: row.try_get(0)?, created_at: timestamp(row.try_get(1)?) }))
        .collect()
}

/// The name of the token whose value has this digest.
pub(super) async fn named(connection: &mut PgConnection, digest: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM admin_tokens WHERE digest = $1").bind(digest).fetch_optional(connection).await
}
