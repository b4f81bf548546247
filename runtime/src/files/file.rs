//! One file an import hands to the flow: what it is, and its contents as bytes or as typed
//! records, read as they stream in.

use super::backend::{Backend, Listed, Reading};
use super::read::Records;
use crate::model::Result;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// A file an import takes, handed to the flow's code for each file
/// ([`Import::each`](super::Import::each)).
///
/// ```no_run
/// # use aqueduct::prelude::*;
/// # #[derive(Deserialize)] struct Order { id: String }
/// async fn orders(file: aqueduct::files::File) -> Result<usize> {
///     let mut orders = file.csv::<Order>().await?;
///     let mut count = 0;
///     while let Some(_order) = orders.next().await? {
///         count += 1;
///     }
///     Ok(count)
/// }
/// ```
pub struct File {
    pub(super) backend: Arc<dyn Backend>,
    pub(super) listed: Listed,
    /// The folder and path and version: what tells this file from any other.
    pub(super) key: String,
}

impl File {
    /// Its path in the folder, e.g. `incoming/orders-0412.csv`.
    pub fn path(&self) -> &str {
        &self.listed.path
    }

    /// Its name, the last part of its path.
    pub fn name(&self) -> &str {
        self.listed.path.rsplit('/').next().unwrap_or(&self.listed.path)
    }

    /// Its size in bytes, when listed.
    pub fn size(&self) -> u64 {
        self.listed.size
    }

    /// When it was last modified, when listed.
    pub fn modified(&self) -> jiff::Timestamp {
        self.listed.modified
    }

    /// A key unique to this version of this file in this folder: what a receiver that
    /// deduplicates takes as the idempotency key of what the flow sends for the file. A file
    /// whose processing a crash interrupted is processed again, so its sends repeat.
    pub fn idempotency_key(&self) -> String {
        super::digest(&self.key)
    }

    /// Its contents as they stream in.
    pub async fn reader(&self) -> Result<Reading> {
        self.backend
            .read(&self.listed.path)
            .await
            .map_err(|error| error.wrap(format!("reading `{}` failed", self.path())))
    }

    /// Its contents, all read into memory: for small files; stream large ones with
    /// [`reader`](File::reader) or the record readers.
    pub async fn bytes(&self) -> Result<Vec<u8>> {
        let mut contents = Vec::with_capacity(self.listed.size as usize);
        self.reader().await?.read_to_end(&mut contents).await?;
        Ok(contents)
    }

    /// Its records as CSV with a header row, each deserialized into `T` by the header's names.
    /// A row that does not fit `T` ends the file with a permanent error that names its line.
    pub async fn csv<T: DeserializeOwned + Send + 'static>(&self) -> Result<Records<T>> {
        Ok(Records::csv(self.path(), self.reader().await?))
    }

    /// Its records as JSON Lines: one JSON value per line, each deserialized into `T`; blank
    /// lines are skipped. A line that does not fit `T` names its number.
    pub async fn json_lines<T: DeserializeOwned + Send + 'static>(&self) -> Result<Records<T>> {
        Ok(Records::json_lines(self.path(), self.reader().await?))
    }

    /// Its records as XML: each element named `element`, at any depth, deserialized into `T`
    /// (quick-xml's serde conventions: attributes as `@name`, text as `$text`).
    pub async fn xml<T: DeserializeOwned + Send + 'static>(&self, element: &str) -> Result<Records<T>> {
        Ok(Records::xml(self.path(), self.reader().await?, element))
    }
}
