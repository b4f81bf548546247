//! What two-way integrations last wrote to each system (`ctx.echoes`), to tell a system's
//! report of that write from a change of its own.

use crate::model::EchoMark;
use rusqlite::{Connection, OptionalExtension, params};

/// Keeps `mark` as the record's one mark in its system.
pub(super) fn mark(connection: &Connection, mark: &EchoMark) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO echoes (instance, system, record, digest, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![mark.instance, mark.system, mark.record, mark.digest, mark.expires_at])?;
    Ok(())
}

/// Whether the record's live mark has `reported`'s digest. Kept if so (a system may report one
/// write twice); dropped if not, or if it has expired: the system has moved on from it.
pub(super) fn is_echo(connection: &Connection, reported: &EchoMark, now: i64) -> rusqlite::Result<bool> {
    let key = params![reported.instance, reported.system, reported.record];
    let kept: Option<(String, i64)> = connection
        .prepare_cached("SELECT digest, expires_at FROM echoes WHERE instance = ?1 AND system = ?2 AND record = ?3")?
        .query_row(key, |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let echo = kept.as_ref().is_some_and(|(digest, expires_at)| *digest == reported.digest && *expires_at > now);
    if kept.is_some() && !echo {
        connection
            .prepare_cached("DELETE FROM echoes WHERE instance = ?1 AND system = ?2 AND record = ?3")?
            .execute(key)?;
    }
    Ok(echo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_store;

    fn written(record: &str, digest: &str, expires_at: i64) -> EchoMark {
        EchoMark {
            instance: "acme".into(),
            system: "crm".into(),
            record: record.into(),
            digest: digest.into(),
            expires_at,
        }
    }

    #[test]
    fn a_report_of_what_was_written_is_an_echo_until_the_system_reports_something_else() {
        let connection = test_store::with_acme();
        mark(&connection, &written("ada", "x", 2_000)).unwrap();
        assert!(is_echo(&connection, &written("ada", "x", 0), 1_000).unwrap());
        assert!(is_echo(&connection, &written("ada", "x", 0), 1_000).unwrap(), "a second report of one write");
        assert!(!is_echo(&connection, &written("grace", "x", 0), 1_000).unwrap(), "another record");
        // The system changed the record itself: that is no echo, and neither is its change back.
        assert!(!is_echo(&connection, &written("ada", "y", 0), 1_000).unwrap());
        assert!(!is_echo(&connection, &written("ada", "x", 0), 1_000).unwrap());
    }

    #[test]
    fn a_mark_is_forgotten_once_expired_and_is_per_instance_and_system() {
        let connection = test_store::with_acme();
        mark(&connection, &written("ada", "x", 2_000)).unwrap();
        let other_system = EchoMark { system: "app".into(), ..written("ada", "x", 0) };
        assert!(!is_echo(&connection, &other_system, 1_000).unwrap());
        let other_instance = EchoMark { instance: "globex".into(), ..written("ada", "x", 0) };
        assert!(!is_echo(&connection, &other_instance, 1_000).unwrap());
        assert!(!is_echo(&connection, &written("ada", "x", 0), 2_000).unwrap(), "expired");
    }
}
