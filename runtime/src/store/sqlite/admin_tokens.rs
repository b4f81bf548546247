//! Admin API tokens: each one's name and the SHA-256 of its value.

use super::codec::{now, timestamp};
use crate::store::AdminToken;
use rusqlite::{Connection, OptionalExtension, params};

/// `false` when a token of that name exists already.
pub(super) fn create(connection: &Connection, name: &str, digest: &str) -> rusqlite::Result<bool> {
    let created = connection
        .prepare_cached(
            "INSERT INTO admin_tokens (name, digest, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![name, digest, now()])?;
    Ok(created == 1)
}

/// `false` when there is no token of that name.
pub(super) fn revoke(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(connection.prepare_cached("DELETE FROM admin_tokens WHERE name = ?1")?.execute([name])? == 1)
}

pub(super) fn list(connection: &Connection) -> rusqlite::Result<Vec<AdminToken>> {
    connection
        .prepare_cached("SELECT name, created_at FROM admin_tokens ORDER BY name")?
        .query_map([], |row| Ok(AdminToken { name: row.get(0)?, created_at: timestamp(row.get(1)?) }))?
        .collect()
}

/// The name of the token whose value has this digest.
pub(super) fn named(connection: &Connection, digest: &str) -> rusqlite::Result<Option<String>> {
    connection
        .prepare_cached("SELECT name FROM admin_tokens WHERE digest = ?1")?
        .query_row([digest], |row| row.get(0))
        .optional()
}
