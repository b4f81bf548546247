//! Admin API tokens: each one's name and the SHA-256 of its value.

use super::codec::{now, timestamp};
use crate::store::AdminToken;
use rusqlite::{Connection, OptionalExtension, params};

/// `false` when a token of that name exists already (a revoked one's name is free again).
pub(super) fn create(connection: &Connection, name: &str, digest: &str) -> rusqlite::Result<bool> {
    let created = connection
        .prepare_cached(
            "INSERT INTO admin_tokens (name, digest, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at,
                                              revoked_at = NULL
                 WHERE admin_tokens.revoked_at IS NOT NULL",
        )?
        .execute(params![name, digest, now()])?;
    Ok(created == 1)
}

/// `false` when there is no token of that name, or it was revoked already.
pub(super) fn revoke(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    let revoked = connection
        .prepare_cached("UPDATE admin_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL")?
        .execute(params![name, now()])?;
    Ok(revoked == 1)
}

pub(super) fn list(connection: &Connection) -> rusqlite::Result<Vec<AdminToken>> {
    connection
        .prepare_cached("SELECT name, created_at, revoked_at FROM admin_tokens ORDER BY name")?
        .query_map([], |row| {
            Ok(AdminToken {
                name: row.get(0)?,
                created_at: timestamp(row.get(1)?),
                revoked_at: row.get::<_, Option<i64>>(2)?.map(timestamp),
            })
        })?
        .collect()
}

/// The name of the token whose value has this digest, unless it was revoked.
pub(super) fn named(connection: &Connection, digest: &str) -> rusqlite::Result<Option<String>> {
    connection
        .prepare_cached("SELECT name FROM admin_tokens WHERE digest = ?1 AND revoked_at IS NULL")?
        .query_row([digest], |row| row.get(0))
        .optional()
}
