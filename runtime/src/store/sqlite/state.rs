//! Flows' state per instance, committed by compare-and-set on its version.

use crate::store::{StateWrite, StoredState};
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn read(connection: &Connection, flow: &str, instance: &str) -> rusqlite::Result<Option<StoredState>> {
    connection
        .prepare_cached("SELECT value, version FROM state WHERE flow = ?1 AND instance = ?2")?
        .query_row(params![flow, instance], |row| Ok(StoredState { json: row.get(0)?, version: row.get(1)? }))
        .optional()
}

/// Whether the state is still at the version the write read (still absent, if it read none).
pub(super) fn unchanged(connection: &Connection, write: &StateWrite) -> rusqlite::Result<bool> {
    let version: Option<i64> = connection
        .prepare_cached("SELECT version FROM state WHERE flow = ?1 AND instance = ?2")?
        .query_row(params![write.flow, write.instance], |row| row.get(0))
        .optional()?;
    Ok(version == write.read_version)
}

/// Writes the state if it is still at the version read; `false` (nothing written) otherwise.
pub(super) fn commit(connection: &Connection, write: &StateWrite, now: i64) -> rusqlite::Result<bool> {
    let changed = match write.read_version {
        Some(version) => connection
            .prepare_cached(
                "UPDATE state SET value = ?3, version = version + 1, updated_at = ?4
                 WHERE flow = ?1 AND instance = ?2 AND version = ?5",
            )?
            .execute(params![write.flow, write.instance, write.json, now, version])?,
        None => connection
            .prepare_cached(
                "INSERT INTO state (flow, instance, value, version, updated_at) VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![write.flow, write.instance, write.json, now])?,
    };
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_store;

    fn write(json: &str, read_version: Option<i64>) -> StateWrite {
        StateWrite { flow: "poll".into(), instance: "acme".into(), json: json.into(), read_version }
    }

    #[test]
    fn a_write_commits_only_on_the_state_it_read() {
        let connection = test_store::with_acme();
        assert!(read(&connection, "poll", "acme").unwrap().is_none());
        assert!(commit(&connection, &write("1", None), 0).unwrap());
        // Another run that also read no state lost the race.
        assert!(!commit(&connection, &write("1b", None), 0).unwrap());
        assert!(commit(&connection, &write("2", Some(1)), 0).unwrap());
        assert!(!commit(&connection, &write("2b", Some(1)), 0).unwrap(), "version 1 is stale");
        let stored = read(&connection, "poll", "acme").unwrap().unwrap();
        assert_eq!((stored.json.as_str(), stored.version), ("2", 2));
    }
}
