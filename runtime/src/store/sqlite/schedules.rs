//! Schedule flows' last ticks, and which are paused.

use crate::store::Paused;
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn last_tick(connection: &Connection, flow: &str) -> rusqlite::Result<Option<i64>> {
    connection
        .prepare_cached("SELECT last_tick FROM schedule_ticks WHERE flow = ?1")?
        .query_row([flow], |row| row.get(0))
        .optional()
}

/// Records `tick` as passed, unless a later one is (another process ticked ahead).
pub(super) fn record_tick(connection: &Connection, flow: &str, tick: i64) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO schedule_ticks (flow, last_tick) VALUES (?1, ?2)
             ON CONFLICT (flow) DO UPDATE SET last_tick = max(last_tick, ?2)",
        )?
        .execute(params![flow, tick])
        .map(drop)
}

pub(super) fn paused(connection: &Connection) -> rusqlite::Result<Vec<Paused>> {
    connection
        .prepare_cached("SELECT flow, instance FROM paused ORDER BY flow, instance")?
        .query_map([], |row| {
            let instance: String = row.get(1)?;
            Ok(Paused { flow: row.get(0)?, instance: Some(instance).filter(|name| !name.is_empty()) })
        })?
        .collect()
}

/// Pauses (or, `pause` false, resumes) `flow` for `instance`, or for every instance.
pub(super) fn set_paused(connection: &Connection, paused: &Paused, pause: bool) -> rusqlite::Result<bool> {
    let instance = paused.instance.as_deref().unwrap_or_default();
    let statement = if pause {
        "INSERT INTO paused (flow, instance) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM paused WHERE flow = ?1 AND instance = ?2"
    };
    Ok(connection.prepare_cached(statement)?.execute(params![paused.flow, instance])? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_store;

    #[test]
    fn the_last_tick_only_moves_forward() {
        let connection = test_store::with_acme();
        assert_eq!(last_tick(&connection, "poll").unwrap(), None);
        record_tick(&connection, "poll", 2000).unwrap();
        record_tick(&connection, "poll", 1000).unwrap();
        assert_eq!(last_tick(&connection, "poll").unwrap(), Some(2000));
    }

    #[test]
    fn a_flow_is_paused_for_one_instance_or_all_and_resumed_once() {
        let connection = test_store::with_acme();
        let acme = Paused { flow: "poll".into(), instance: Some("acme".into()) };
        let all = Paused { flow: "poll".into(), instance: None };
        assert!(set_paused(&connection, &acme, true).unwrap());
        assert!(!set_paused(&connection, &acme, true).unwrap(), "paused already");
        assert!(set_paused(&connection, &all, true).unwrap());
        assert_eq!(paused(&connection).unwrap(), [all.clone(), acme.clone()]);
        assert!(set_paused(&connection, &acme, false).unwrap());
        assert!(!set_paused(&connection, &acme, false).unwrap(), "not paused");
        assert_eq!(paused(&connection).unwrap(), [all]);
    }
}
