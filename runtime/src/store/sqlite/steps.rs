//! A run's completed steps: written one at a time as each action call succeeds, read back by a
//! later attempt, carried over to a replay.

use crate::model::RunId;
use crate::store::CompletedStep;
use rusqlite::{Connection, params};

pub(super) fn record(connection: &Connection, run: RunId, step: &CompletedStep) -> rusqlite::Result<()> {
    // `OR REPLACE`: an attempt whose lease ran out may have recorded the same step; the newest
    // call's output is the one the third party last acted on.
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO steps (run_id, seq, name, input_digest, output, attempt, duration_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![run.0, step.seq, step.name, step.input_digest, step.output, step.attempt, step.duration_ms])?;
    Ok(())
}

pub(super) fn completed(connection: &Connection, run: RunId) -> rusqlite::Result<Vec<CompletedStep>> {
    connection
        .prepare_cached(
            "SELECT seq, name, input_digest, output, attempt, duration_ms FROM steps WHERE run_id = ?1 ORDER BY seq",
        )?
        .query_map([run.0], |row| {
            Ok(CompletedStep {
                seq: row.get(0)?,
                name: row.get(1)?,
                input_digest: row.get(2)?,
                output: row.get(3)?,
                attempt: row.get(4)?,
                duration_ms: row.get(5)?,
            })
        })?
        .collect()
}

/// The replayed run's steps become the replay's first steps, as if its first attempt had
/// made them (attempt 0: made before this run began).
pub(super) fn carry_over(connection: &Connection, from: RunId, to: RunId) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO steps (run_id, seq, name, input_digest, output, attempt, duration_ms)
             SELECT ?2, seq, name, input_digest, output, 0, duration_ms FROM steps WHERE run_id = ?1",
        )?
        .execute(params![from.0, to.0])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_store;

    fn step(seq: u32, name: &str) -> CompletedStep {
        CompletedStep {
            seq,
            name: name.into(),
            input_digest: None,
            output: format!("{{\"seq\":{seq}}}"),
            attempt: 1,
            duration_ms: 1.5,
        }
    }

    #[test]
    fn steps_come_back_in_order_and_carry_over_to_a_replay() {
        let connection = test_store::with_acme();
        record(&connection, RunId(7), &step(1, "Crm.update")).unwrap();
        record(&connection, RunId(7), &step(0, "Crm.create")).unwrap();
        record(&connection, RunId(8), &step(0, "Other.call")).unwrap();
        let recorded = completed(&connection, RunId(7)).unwrap();
        assert_eq!(recorded, [step(0, "Crm.create"), step(1, "Crm.update")]);
        carry_over(&connection, RunId(7), RunId(9)).unwrap();
        let carried = completed(&connection, RunId(9)).unwrap();
        assert_eq!(
            carried.iter().map(|step| (&step.name[..], step.attempt)).collect::<Vec<_>>(),
            [("Crm.create", 0), ("Crm.update", 0)]
        );
    }
}
