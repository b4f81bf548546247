//! An import: the files of a folder that match a glob, each processed once by the flow's
//! code, then moved away (or deleted); a file that cannot be processed goes to a failed
//! folder with its error beside it.

use super::backend::{Backend, Listed};
use super::file::File;
use super::folder::Folder;
use crate::model::{Ctx, Error, Result};
use crate::store::FileVersion;
use globset::GlobMatcher;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long a file must go unchanged before it is taken, by default.
const DEFAULT_SETTLE: Duration = Duration::from_secs(1);

/// An import being set up: [`files::import`](super::import) starts one, [`each`](Import::each)
/// runs it.
#[must_use = "an import does nothing until `.each(…)` is awaited"]
pub struct Import<'a, C> {
    ctx: &'a Ctx<C>,
    folder: &'a Folder,
    pattern: String,
    then: Then,
    failed_to: String,
    settle: Duration,
}

enum Then {
    MoveTo(String),
    Delete,
}

/// What an import did: a flow can return it as its output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// The files processed by this run, in the order taken.
    pub processed: Vec<String>,
    /// The files that failed for good, moved to the failed folder with their errors.
    pub failed: Vec<String>,
    /// Files still being written (their size or time changed while listed), left for the
    /// next run.
    pub unsettled: Vec<String>,
    /// Files an earlier run processed but could not move away (or delete); moved (or deleted)
    /// now, not processed again.
    pub moved_late: Vec<String>,
}

impl<'a, C> Import<'a, C> {
    pub(super) fn new(ctx: &'a Ctx<C>, folder: &'a Folder, pattern: &str) -> Import<'a, C> {
        Import {
            ctx,
            folder,
            pattern: pattern.trim_start_matches('/').to_owned(),
            then: Then::MoveTo("processed/".into()),
            failed_to: "failed/".into(),
            settle: DEFAULT_SETTLE,
        }
    }

    /// Where a processed file is moved, as a folder path from the folder's root (by default
    /// `processed/`); the file keeps its path below the pattern's folder. A file of the same
    /// name there is replaced.
    pub fn move_to(mut self, folder: &str) -> Self {
        self.then = Then::MoveTo(folder_path(folder));
        self
    }

    /// Deletes a processed file instead of moving it.
    pub fn delete(mut self) -> Self {
        self.then = Then::Delete;
        self
    }

    /// Where a file that failed for good is moved, with its error in `NAME.error.txt` beside
    /// it (by default `failed/`).
    pub fn failed_to(mut self, folder: &str) -> Self {
        self.failed_to = folder_path(folder);
        self
    }

    /// How long a file must go unchanged before it is taken (by default one second): a file
    /// modified more recently is listed again after this long, and left for the next run if
    /// its size or time changed meanwhile.
    pub fn settle(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// Runs the import: `work` is called for each new file matching the pattern, oldest
    /// first, one at a time. A file whose `work` succeeds is recorded as processed in the same
    /// commit as the run's progress, then moved away; it is never processed again by this flow
    /// and instance, even if moving it failed or the process crashed before. A file whose
    /// `work` fails with a [permanent](Error::permanent) error (a record that does not decode
    /// is one) is moved to the failed folder, and the import goes on. Any other error ends the
    /// import, and the run, with that error: the file stays, and the run's retry takes it and
    /// those after it again.
    pub async fn each<F, Fut>(self, mut work: F) -> Result<Imported>
    where
        F: FnMut(File) -> Fut,
        Fut: Future<Output = Result<()>> + Send,
    {
        let glob = globset::GlobBuilder::new(&self.pattern).literal_separator(true).build().map_err(|error| {
            Error::permanent(Error::msg(format!("`{}` is not a glob pattern: {error}", self.pattern)))
        })?;
        let glob = glob.compile_matcher();
        let backend = self.folder.connect().await?;
        let base = base_of(&self.pattern);
        let listed = self.matching(backend.as_ref(), &glob, &base).await?;
        let mut imported = Imported::default();
        let mut files = self.settled(listed, &mut imported, || self.matching(backend.as_ref(), &glob, &base)).await?;
        files.sort_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)));

        let versions: Vec<FileVersion> = files.iter().map(|file| self.version(file)).collect();
        let done: HashSet<FileVersion> =
            crate::engine::files_done(self.ctx.flow(), versions.clone()).await?.into_iter().collect();
        let total = files.len();
        for (index, (listed, version)) in files.into_iter().zip(versions).enumerate() {
            let path = listed.path.clone();
            if done.contains(&version) {
                self.finish(&backend, &path, &base).await;
                imported.moved_late.push(path);
                continue;
            }
            let file = File { backend: backend.clone(), listed, key: version.file.clone() + "@" + &version.version };
            let progress = format!("{} of {total} files: {path}", index + 1);
            let outcome =
                crate::engine::file_step(format!("file {path}"), self.ctx.flow(), version, progress, work(file))
                    .await?;
            match outcome {
                Ok(()) => {
                    self.finish(&backend, &path, &base).await;
                    imported.processed.push(path);
                }
                Err(error) if error.is_permanent() => {
                    tracing::warn!(file = path, error = %format!("{error:#}"), "the file failed; it is moved to {}", self.failed_to);
                    self.fail(&backend, &path, &base, &error).await?;
                    imported.failed.push(path);
                }
                Err(error) => {
                    return Err(
                        error.wrap(format!("processing `{path}` failed; it is taken again when the run is retried"))
                    );
                }
            }
        }
        Ok(imported)
    }

    /// The files under the pattern's folder that match it, but for those in the processed
    /// and failed folders.
    async fn matching(&self, backend: &dyn Backend, glob: &GlobMatcher, base: &str) -> Result<Vec<Listed>> {
        let listed = backend.list(base).await.map_err(|error| error.wrap(format!("listing {} failed", self.folder)))?;
        let moved_to = match &self.then {
            Then::MoveTo(folder) => Some(folder.as_str()),
            Then::Delete => None,
        };
        let set_aside =
            |path: &str| moved_to.is_some_and(|folder| path.starts_with(folder)) || path.starts_with(&self.failed_to);
        Ok(listed.into_iter().filter(|file| glob.is_match(&file.path) && !set_aside(&file.path)).collect())
    }

    /// Of the files listed, those not modified within the settle time, and those that were
    /// but stayed the same for it; the others are left in `imported.unsettled`.
    async fn settled<L, Fut>(&self, listed: Vec<Listed>, imported: &mut Imported, list_again: L) -> Result<Vec<Listed>>
    where
        L: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<Listed>>>,
    {
        let recent = jiff::Timestamp::now() - jiff::SignedDuration::try_from(self.settle).unwrap_or_default();
        let (settled, fresh): (Vec<_>, Vec<_>) = listed.into_iter().partition(|file| file.modified < recent);
        if fresh.is_empty() {
            return Ok(settled);
        }
        tokio::time::sleep(self.settle).await;
        let again = list_again().await?;
        let mut files = settled;
        for file in fresh {
            if again.contains(&file) {
                files.push(file);
            } else {
                imported.unsettled.push(file.path);
            }
        }
        Ok(files)
    }

    fn version(&self, file: &Listed) -> FileVersion {
        FileVersion {
            file: format!("{}/{}", self.folder, file.path),
            version: format!("{}:{}", file.size, file.modified.as_nanosecond()),
        }
    }

    /// Moves or deletes a processed file; a failure is logged, and the next run tries again.
    async fn finish(&self, backend: &Arc<dyn Backend>, path: &str, base: &str) {
        let finished = match &self.then {
            Then::MoveTo(folder) => backend.rename(path, &below(folder, path, base)).await,
            Then::Delete => backend.delete(path).await,
        };
        if let Err(error) = finished {
            tracing::warn!(file = path, error = %format!("{error:#}"), "the file was processed, but could not be moved away; the next run tries again");
        }
    }

    /// Moves a failed file to the failed folder, its error beside it.
    async fn fail(&self, backend: &Arc<dyn Backend>, path: &str, base: &str, error: &Error) -> Result<()> {
        let failed = below(&self.failed_to, path, base);
        let report = format!(
            "{error:#}\n\nrun {} of flow {}, at {}\n",
            self.ctx.run_id(),
            self.ctx.flow(),
            jiff::Timestamp::now()
        );
        super::write::put(backend.as_ref(), &format!("{failed}.error.txt"), report.as_bytes()).await?;
        backend
            .rename(path, &failed)
            .await
            .map_err(|e| e.wrap(format!("moving the failed file `{path}` to `{failed}` failed")))
    }
}

/// `folder` as a folder path: no leading `/`, one trailing `/`.
fn folder_path(folder: &str) -> String {
    format!("{}/", folder.trim_matches('/'))
}

/// The folder part of a pattern before its first glob character: where to list.
fn base_of(pattern: &str) -> String {
    let literal = pattern.find(['*', '?', '[', '{']).map_or(pattern, |at| &pattern[..at]);
    literal.rfind('/').map_or(String::new(), |at| literal[..=at].to_owned())
}

/// `path`'s place under `folder`: its path below the pattern's folder `base`.
fn below(folder: &str, path: &str, base: &str) -> String {
    format!("{folder}{}", path.strip_prefix(base).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_is_listed_from_its_literal_folder() {
        assert_eq!(base_of("incoming/*.csv"), "incoming/");
        assert_eq!(base_of("drop/2026/**/*.xml"), "drop/2026/");
        assert_eq!(base_of("*.csv"), "");
        assert_eq!(base_of("in[0-9]/a.csv"), "");
        assert_eq!(below("processed/", "incoming/2026/a.csv", "incoming/"), "processed/2026/a.csv");
    }
}
