//! Folders held by `object_store`: local folders, and S3-compatible buckets (the `s3` feature).

use super::backend::{Backend, Listed, Reading, Upload};
use crate::model::{Error, Result};
use async_trait::async_trait;
use futures::StreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Bytes buffered before an upload turns multipart: the most an upload holds in memory.
pub(super) const UPLOAD_BUFFER: usize = 8 * 1024 * 1024;

struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Prepended to every path (an S3 folder's prefix).
    prefix: String,
}

pub(super) fn local(path: &std::path::Path) -> Result<Arc<dyn Backend>> {
    std::fs::create_dir_all(path)?;
    let store = object_store::local::LocalFileSystem::new_with_prefix(path)?.with_automatic_cleanup(true);
    Ok(Arc::new(Objects { store: Arc::new(store), prefix: String::new() }))
}

#[cfg(feature = "s3")]
pub(super) fn s3(s3: &super::folder::S3) -> Result<Arc<dyn Backend>> {
    use object_store::aws::AmazonS3Builder;
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
    if let Some(endpoint) = &s3.endpoint {
        // An S3-compatible server on a host of its own: path-style requests, plain HTTP allowed
        // where the endpoint says so.
        builder = builder
            .with_endpoint(endpoint.as_str().trim_end_matches('/'))
            .with_virtual_hosted_style_request(false)
            .with_allow_http(endpoint.scheme() == "http");
    }
    if let Some(region) = &s3.region {
        builder = builder.with_region(region);
    }
    if let Some(key) = &s3.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &s3.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose());
    }
    let prefix = if s3.prefix.is_empty() { String::new() } else { format!("{}/", s3.prefix) };
    Ok(Arc::new(Objects { store: Arc::new(builder.build()?), prefix }))
}

impl Objects {
    fn path(&self, path: &str) -> Result<Path> {
        Path::parse(format!("{}{path}", self.prefix)).map_err(|error| Error::msg(format!("`{path}`: {error}")))
    }
}

#[async_trait]
impl Backend for Objects {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        let under = format!("{}{prefix}", self.prefix);
        let under = under.trim_end_matches('/');
        let under = (!under.is_empty()).then(|| Path::from(under));
        let mut listing = self.store.list(under.as_ref());
        let mut listed = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(meta) => meta,
                // A folder listed while a file in it is moved away.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(error) => return Err(error.into()),
            };
            let Some(path) = meta.location.as_ref().strip_prefix(&self.prefix) else { continue };
            let modified =
                jiff::Timestamp::from_nanosecond(meta.last_modified.timestamp_nanos_opt().unwrap_or(0).into())?;
            listed.push(Listed { path: path.to_owned(), size: meta.size, modified });
        }
        Ok(listed)
    }

    async fn read(&self, path: &str) -> Result<Reading> {
        Ok(match self.store.get(&self.path(path)?).await?.payload {
            // A local file is read as a file: its stream would come in small chunks.
            GetResultPayload::File(file, _) => Box::new(tokio::fs::File::from_std(file)),
            GetResultPayload::Stream(stream) => Box::new(tokio_util::io::StreamReader::new(stream)),
        })
    }

    async fn upload(&self, path: &str) -> Result<Box<dyn Upload>> {
        // A local upload writes a staging file beside the path and renames it at the end; an
        // S3 one is not seen until it completes.
        let writer = BufWriter::with_capacity(self.store.clone(), self.path(path)?, UPLOAD_BUFFER);
        Ok(Box::new(ObjectUpload(writer)))
    }

    async fn rename(&self, from: &str, to: &str) -> Result<()> {
        Ok(self.store.rename(&self.path(from)?, &self.path(to)?).await?)
    }

    async fn delete(&self, path: &str) -> Result<()> {
        Ok(self.store.delete(&self.path(path)?).await?)
    }
}

struct ObjectUpload(BufWriter);

impl AsyncWrite for ObjectUpload {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, bytes)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[async_trait]
impl Upload for ObjectUpload {
    async fn commit(mut self: Box<Self>) -> Result<()> {
        Ok(self.0.shutdown().await?)
    }

    async fn abort(mut self: Box<Self>) {
        let _ = self.0.abort().await;
    }
}
