//! Customer instances, and the public URL they are reached at.

use super::codec::{now, timestamp};
use crate::model::InstanceRecord;
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str = "name, config, active, version, updated_at, registration";

fn record(row: &Row) -> rusqlite::Result<InstanceRecord> {
    Ok(InstanceRecord {
        name: row.get(0)?,
        config: row.get(1)?,
        active: row.get(2)?,
        version: row.get(3)?,
        updated_at: timestamp(row.get(4)?),
        registration: row.get(5)?,
    })
}

pub(super) fn activate(connection: &Connection, name: &str, config: &str) -> rusqlite::Result<InstanceRecord> {
    connection
        .prepare_cached(&format!(
            "INSERT INTO instances (name, config, active, version, updated_at) VALUES (?1, ?2, 1, 1, ?3)
             ON CONFLICT (name) DO UPDATE SET config = ?2, active = 1, version = version + 1, updated_at = ?3,
                                              registration = NULL
             RETURNING {COLUMNS}"
        ))?
        .query_row(params![name, config, now()], record)
}

/// Back to `previous`'s configuration and state, or inactive; the version still goes up, so
/// every cache sees the change.
pub(super) fn restore(
    connection: &Connection,
    name: &str,
    previous: Option<&InstanceRecord>,
) -> rusqlite::Result<InstanceRecord> {
    let (config, active, registration) = match previous {
        Some(previous) => (Some(previous.config.as_str()), previous.active, previous.registration.as_deref()),
        None => (None, false, None),
    };
    connection
        .prepare_cached(&format!(
            "UPDATE instances SET config = coalesce(?2, config), active = ?3, registration = ?5,
                                  version = version + 1, updated_at = ?4
             WHERE name = ?1 RETURNING {COLUMNS}"
        ))?
        .query_row(params![name, config, active, now(), registration], record)
}

pub(super) fn deactivate(connection: &Connection, name: &str) -> rusqlite::Result<Option<InstanceRecord>> {
    connection
        .prepare_cached(&format!(
            "UPDATE instances SET active = 0, registration = NULL, version = version + 1, updated_at = ?2
             WHERE name = ?1 RETURNING {COLUMNS}"
        ))?
        .query_row(params![name, now()], record)
        .optional()
}

/// Each configuration replaced if its instance is still at the version read; the version goes
/// up, so caches read it again.
pub(super) fn replace_configs(connection: &Connection, changes: &[(String, i64, String)]) -> rusqlite::Result<usize> {
    let mut replace = connection.prepare_cached(
        "UPDATE instances SET config = ?3, version = version + 1, updated_at = ?4 WHERE name = ?1 AND version = ?2",
    )?;
    let mut replaced = 0;
    for (name, version, config) in changes {
        replaced += replace.execute(params![name, version, config, now()])?;
    }
    Ok(replaced)
}

/// Records what the instance's `on_activate` registered. The version is left alone: the
/// configuration did not change.
pub(super) fn record_registration(
    connection: &Connection,
    name: &str,
    registration: Option<&str>,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached("UPDATE instances SET registration = ?2 WHERE name = ?1")?
        .execute(params![name, registration])
        .map(drop)
}

pub(super) fn get(connection: &Connection, name: &str) -> rusqlite::Result<Option<InstanceRecord>> {
    connection
        .prepare_cached(&format!("SELECT {COLUMNS} FROM instances WHERE name = ?1"))?
        .query_row([name], record)
        .optional()
}

pub(super) fn all(connection: &Connection) -> rusqlite::Result<Vec<InstanceRecord>> {
    connection
        .prepare_cached(&format!("SELECT {COLUMNS} FROM instances ORDER BY name"))?
        .query_map([], record)?
        .collect()
}

pub(super) fn record_public_url(connection: &Connection, url: &str) -> rusqlite::Result<()> {
    connection
        .prepare_cached("INSERT OR REPLACE INTO settings (key, value) VALUES ('public_url', ?1)")?
        .execute([url])
        .map(drop)
}

pub(super) fn public_url(connection: &Connection) -> rusqlite::Result<Option<String>> {
    connection
        .prepare_cached("SELECT value FROM settings WHERE key = 'public_url'")?
        .query_row([], |row| row.get(0))
        .optional()
}
