//! The files imports have processed, per flow and instance (`aqueduct::files`).

use super::now;
use crate::store::{FileDone, FileVersion};
use rusqlite::{Connection, params};

/// Which of `files` are recorded as done for the flow's instance.
pub(super) fn done(
    connection: &Connection,
    flow: &str,
    instance: &str,
    files: &[FileVersion],
) -> rusqlite::Result<Vec<FileVersion>> {
    let mut statement = connection
        .prepare_cached("SELECT 1 FROM files_done WHERE flow = ?1 AND instance = ?2 AND file = ?3 AND version = ?4")?;
    let mut done = Vec::new();
    for file in files {
        if statement.exists(params![flow, instance, file.file, file.version])? {
            done.push(file.clone());
        }
    }
    Ok(done)
}

/// Records the file as processed, and the run's progress, in the writer's transaction.
pub(super) fn record(connection: &Connection, done: &FileDone) -> rusqlite::Result<()> {
    // `OR REPLACE`: an attempt whose lease ran out may have recorded the same file.
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO files_done (flow, instance, file, version, run_id, done_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![done.flow, done.instance, done.file.file, done.file.version, done.run.0, now()])?;
    connection
        .prepare_cached("UPDATE runs SET progress = ?2 WHERE id = ?1")?
        .execute(params![done.run.0, done.progress])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunId;
    use crate::store::sqlite::test_store;

    fn version(file: &str, version: &str) -> FileVersion {
        FileVersion { file: file.into(), version: version.into() }
    }

    #[test]
    fn a_file_is_done_for_its_flow_and_instance_in_the_version_recorded() {
        let connection = test_store::with_acme();
        let done = FileDone {
            run: RunId(1),
            flow: "import".into(),
            instance: "acme".into(),
            file: version("drop/a.csv", "10:5"),
            progress: "1 of 2 files".into(),
        };
        record(&connection, &done).unwrap();
        let listed = [version("drop/a.csv", "10:5"), version("drop/a.csv", "11:6"), version("drop/b.csv", "10:5")];
        assert_eq!(done_in(&connection, "import", "acme", &listed), [version("drop/a.csv", "10:5")]);
        assert!(done_in(&connection, "export", "acme", &listed).is_empty());
        assert!(done_in(&connection, "import", "globex", &listed).is_empty());
    }

    fn done_in(connection: &Connection, flow: &str, instance: &str, files: &[FileVersion]) -> Vec<FileVersion> {
        done(connection, flow, instance, files).unwrap()
    }
}
