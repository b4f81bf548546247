//! Files: scheduled import of the files a system drops in a folder, and export of reports to
//! one. A folder ([`Folder`]) is local, in an S3-compatible bucket (the `s3` feature) or on
//! an SFTP server (the `sftp` feature), as the instance's configuration says.
//!
//! An import ([`import`]) takes each new file matching a glob, oldest first, as its own unit
//! of work: the flow's code reads it (as bytes, or as typed CSV, JSON Lines or XML records
//! while it streams in), and the file is recorded as processed in the same commit as the run's
//! progress, then moved to a processed folder (or deleted). A file is processed once per flow
//! and instance, across crashes too; one still being written is left for the next run; one
//! that fails for good goes to a failed folder with its error beside it.
//!
//! An export ([`export`]) writes typed records as they come and makes the file appear whole
//! when finished, replacing a file of that name: give it a name stable per run (from the
//! tick's time, say) and a retried run overwrites instead of adding a second file.
//!
//! ```no_run
//! use aqueduct::files::{self, Folder, Imported};
//! use aqueduct::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Settings { drop: Folder }
//!
//! #[derive(Deserialize)]
//! struct Order { id: String, total_cents: u64 }
//!
//! #[flow(schedule = "*/5 * * * *")]
//! async fn import_orders(ctx: Ctx<Settings>) -> Result<Imported> {
//!     files::import(&ctx, &ctx.config().drop, "incoming/*.csv")
//!         .each(|file| async move {
//!             let mut orders = file.csv::<Order>().await?;
//!             while let Some(order) = orders.next().await? {
//!                 tracing::info!(order = order.id, total = order.total_cents, "imported");
//!             }
//!             Ok(())
//!         })
//!         .await
//! }
//! # aqueduct::integration! { name: "files-doc", config: Settings, flows: [import_orders] }
//! ```

mod backend;
mod file;
mod folder;
mod import;
mod object;
mod read;
#[cfg(feature = "sftp")]
mod sftp;
#[cfg(test)]
mod tests;
mod write;
mod xml;

pub use file::File;
pub use folder::Folder;
pub use import::{Import, Imported};
pub use read::Records;
pub use write::{Export, Exported, Writer};

use crate::model::Ctx;
use sha2::{Digest, Sha256};

/// Starts an import of the files in `folder` matching `pattern`, a glob whose `*` stays within
/// one folder (`incoming/*.csv`; `**` crosses folders). See [`Import`] for its settings and
/// [`Import::each`] for what it does.
///
/// ```no_run
/// # use aqueduct::prelude::*;
/// # use aqueduct::files::{self, Folder, Imported};
/// # async fn run(ctx: &Ctx<Folder>) -> Result<Imported> {
/// files::import(ctx, ctx.config(), "outbox/*.xml")
///     .move_to("archive/")
///     .failed_to("rejected/")
///     .each(|file| async move { Ok(tracing::info!(size = file.size(), "{}", file.path())) })
///     .await
/// # }
/// ```
pub fn import<'a, C>(ctx: &'a Ctx<C>, folder: &'a Folder, pattern: &str) -> Import<'a, C> {
    Import::new(ctx, folder, pattern)
}

/// Starts an export of one file to `path` in `folder`; choosing a format
/// ([`Export::csv`], [`Export::json_lines`], [`Export::xml`]) gives its [`Writer`].
///
/// ```no_run
/// # use aqueduct::prelude::*;
/// # use aqueduct::files::{self, Folder};
/// # async fn run(reports: &Folder) -> Result<()> {
/// files::export(reports, "hello.jsonl").bytes(b"{\"hello\":\"world\"}\n").await?;
/// # Ok(()) }
/// ```
pub fn export<'a>(folder: &'a Folder, path: &str) -> Export<'a> {
    Export::new(folder, path)
}

/// A short hex digest of `text`.
fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}
