//! One file of an import as a unit of work (`aqueduct::files`): processed once per flow,
//! instance and version of the file. Its action calls are not durable steps of their own:
//! which files a run takes changes between attempts (those done are gone from the folder), so
//! steps could not be matched by their place. The file is what a retry repeats or skips.

use super::journal;
use super::recorder;
use crate::model::{Error, Result};
use crate::store::{FileDone, FileVersion};
use std::fmt::Display;
use std::future::Future;

/// Which of `files` the running attempt's flow and instance processed already. Outside an
/// attempt that is stored (a unit test calling the import), none.
pub(crate) async fn files_done(flow: &str, files: Vec<FileVersion>) -> Result<Vec<FileVersion>> {
    let Some(journal) = recorder::current().and_then(|recorder| recorder.journal().cloned()) else {
        return Ok(Vec::new());
    };
    journal.store().files_done(flow, journal.instance(), files).await
}

/// Runs `work` for one file, named `name` in the attempt's history; when it succeeds, records
/// the file as processed, with the run's `progress`, in one commit. `Err` when that commit
/// failed; else what `work` returned.
pub(crate) async fn file_step<T, E: Display>(
    name: String,
    flow: &str,
    file: FileVersion,
    progress: String,
    work: impl Future<Output = Result<T, E>>,
) -> Result<Result<T, E>> {
    let (started_at, started) = (jiff::Timestamp::now(), std::time::Instant::now());
    let Some(current) = recorder::current() else { return Ok(work.await) };
    let result = current.unjournaled().record(work).await;
    let error = result.as_ref().err().map(|error| format!("{error:#}"));
    if let (Some(journal), None) = (current.journal(), &error) {
        let done = FileDone {
            run: journal.run(),
            flow: flow.to_owned(),
            instance: journal.instance().to_owned(),
            file,
            progress,
        };
        let recorded = journal.store().record_file(done).await;
        recorded.map_err(|error: Error| error.wrap(format!("recording `{name}` as processed failed")))?;
    }
    current.keep_step(journal::record(name, started_at, started, error, false));
    Ok(result)
}
