//! What a folder does, whatever holds it: list, read, write atomically, rename, delete.
//! Paths are relative to the folder and `/`-separated.

use crate::model::Result;
use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

/// A file as a listing shows it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Listed {
    pub path: String,
    pub size: u64,
    pub modified: jiff::Timestamp,
}

/// A file's contents as they stream in.
pub(super) type Reading = Box<dyn AsyncRead + Send + Unpin>;

#[async_trait]
pub(super) trait Backend: Send + Sync {
    /// The files under `prefix` (a folder path ending in `/`, or empty for all), at any depth.
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>>;
    async fn read(&self, path: &str) -> Result<Reading>;
    /// A file written as it is given, seen at `path` only once committed, all at once.
    async fn upload(&self, path: &str) -> Result<Box<dyn Upload>>;
    /// Moves `from` to `to`, replacing a file there.
    async fn rename(&self, from: &str, to: &str) -> Result<()>;
    async fn delete(&self, path: &str) -> Result<()>;
}

/// A file being written.
#[async_trait]
pub(super) trait Upload: AsyncWrite + Send + Unpin {
    /// Makes the file seen at its path, replacing what was there.
    async fn commit(self: Box<Self>) -> Result<()>;
    /// Leaves nothing at the path, nor anything half-written beside it.
    async fn abort(self: Box<Self>);
}
