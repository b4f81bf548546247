//! Connections' OAuth2 tokens per instance, as sealed text.

use crate::store::StoredToken;
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn read(connection: &Connection, instance: &str, key: &str) -> rusqlite::Result<Option<String>> {
    connection
        .prepare_cached("SELECT sealed FROM tokens WHERE instance = ?1 AND connection = ?2")?
        .query_row(params![instance, key], |row| row.get(0))
        .optional()
}

pub(super) fn write(connection: &Connection, token: &StoredToken, now: i64) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO tokens (instance, connection, sealed, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (instance, connection) DO UPDATE SET sealed = ?3, updated_at = ?4",
        )?
        .execute(params![token.instance, token.connection, token.sealed, now])
        .map(drop)
}

pub(super) fn all(connection: &Connection) -> rusqlite::Result<Vec<StoredToken>> {
    connection
        .prepare_cached("SELECT instance, connection, sealed FROM tokens ORDER BY instance, connection")?
        .query_map([], |row| Ok(StoredToken { instance: row.get(0)?, connection: row.get(1)?, sealed: row.get(2)? }))?
        .collect()
}

/// Each token sealed again, if it is still as read (a run may have refreshed it meanwhile).
pub(super) fn replace(connection: &Connection, changes: &[(StoredToken, String)], now: i64) -> rusqlite::Result<usize> {
    let mut replace = connection.prepare_cached(
        "UPDATE tokens SET sealed = ?4, updated_at = ?5 WHERE instance = ?1 AND connection = ?2 AND sealed = ?3",
    )?;
    let mut replaced = 0;
    for (read, sealed) in changes {
        replaced += replace.execute(params![read.instance, read.connection, read.sealed, sealed, now])?;
    }
    Ok(replaced)
}

/// A deactivated instance's tokens are of no more use.
pub(super) fn forget(connection: &Connection, instance: &str) -> rusqlite::Result<()> {
    connection.prepare_cached("DELETE FROM tokens WHERE instance = ?1")?.execute([instance]).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_store;

    fn token(instance: &str, sealed: &str) -> StoredToken {
        StoredToken { instance: instance.into(), connection: "c0ffee".into(), sealed: sealed.into() }
    }

    #[test]
    fn a_token_is_replaced_only_as_read_and_forgotten_with_its_instance() {
        let connection = test_store::with_acme();
        write(&connection, &token("acme", "one"), 0).unwrap();
        write(&connection, &token("globex", "g"), 0).unwrap();
        write(&connection, &token("acme", "two"), 0).unwrap();
        assert_eq!(read(&connection, "acme", "c0ffee").unwrap().as_deref(), Some("two"));
        let stale = (token("acme", "one"), "three".to_owned());
        assert_eq!(replace(&connection, &[stale], 0).unwrap(), 0, "refreshed since it was read");
        assert_eq!(replace(&connection, &[(token("acme", "two"), "three".into())], 0).unwrap(), 1);
        forget(&connection, "acme").unwrap();
        assert_eq!(read(&connection, "acme", "c0ffee").unwrap(), None);
        assert_eq!(all(&connection).unwrap().len(), 1, "another instance's token stays");
    }
}
