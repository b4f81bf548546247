//! An export: typed records written as CSV, JSON Lines or XML as they come, to a file that
//! appears at its path whole or not at all.

use super::backend::{Backend, Upload};
use super::folder::Folder;
use crate::model::{Error, Result};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use tokio::io::{AsyncWriteExt, BufWriter};

/// Bytes gathered before they are handed to the folder.
const WRITE_BUFFER: usize = 256 * 1024;

/// An export being set up: [`files::export`](super::export) starts one; a format starts
/// writing.
#[must_use = "an export writes nothing until a format is chosen and the writer finished"]
pub struct Export<'a> {
    folder: &'a Folder,
    path: String,
}

/// What an export wrote: a flow can return it as its output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exported {
    /// The file's path in the folder.
    pub path: String,
    /// The records written.
    pub records: u64,
}

impl<'a> Export<'a> {
    pub(super) fn new(folder: &'a Folder, path: &str) -> Export<'a> {
        Export { folder, path: path.trim_start_matches('/').to_owned() }
    }

    /// Writes records as CSV, with a header row of `T`'s field names.
    pub async fn csv<T: Serialize>(self) -> Result<Writer<T>> {
        let upload = self.open().await?;
        let serializer = csv_async::AsyncWriterBuilder::new().create_serializer(upload);
        Ok(Writer::new(self.path, Format::Csv(Box::new(serializer))))
    }

    /// Writes records as JSON Lines: one JSON value per line.
    pub async fn json_lines<T: Serialize>(self) -> Result<Writer<T>> {
        let upload = self.open().await?;
        Ok(Writer::new(self.path, Format::Lines { upload, line: Vec::new() }))
    }

    /// Writes records as XML: a `root` element holding one `element` per record (quick-xml's
    /// serde conventions: fields named `@name` as attributes, `$text` as text).
    pub async fn xml<T: Serialize>(self, root: &str, element: &str) -> Result<Writer<T>> {
        let mut upload = self.open().await?;
        upload.write_all(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}>\n").as_bytes()).await?;
        Ok(Writer::new(self.path, Format::Xml { upload, root: root.into(), element: element.into(), text: String::new() }))
    }

    /// Writes `contents` as the whole file.
    pub async fn bytes(self, contents: &[u8]) -> Result<Exported> {
        let backend = self.folder.connect().await?;
        put(backend.as_ref(), &self.path, contents).await?;
        Ok(Exported { path: self.path, records: 0 })
    }

    async fn open(&self) -> Result<BufWriter<Box<dyn Upload>>> {
        let backend = self.folder.connect().await?;
        let upload = backend.upload(&self.path).await.map_err(|error| error.wrap(format!("writing `{}` failed", self.path)))?;
        Ok(BufWriter::with_capacity(WRITE_BUFFER, upload))
    }
}

enum Format {
    Csv(Box<csv_async::AsyncSerializer<BufWriter<Box<dyn Upload>>>>),
    Lines { upload: BufWriter<Box<dyn Upload>>, line: Vec<u8> },
    Xml { upload: BufWriter<Box<dyn Upload>>, root: String, element: String, text: String },
}

/// Writes an export's records as they come; the file appears at its path when
/// [`finish`](Writer::finish)ed, whole, replacing a file of that name (so a retried run that
/// writes the same path overwrites, rather than adding a second file). Dropped unfinished, it
/// leaves nothing at the path.
///
/// ```no_run
/// # use aqueduct::prelude::*;
/// # use aqueduct::files::{self, Folder};
/// #[derive(Serialize)]
/// struct Row { sku: String, sold: u32 }
///
/// async fn report(reports: &Folder, rows: Vec<Row>) -> Result<files::Exported> {
///     let mut csv = files::export(reports, "daily/2026-12-01.csv").csv::<Row>().await?;
///     for row in &rows {
///         csv.write(row).await?;
///     }
///     csv.finish().await
/// }
/// ```
pub struct Writer<T> {
    path: String,
    format: Format,
    records: u64,
    record_type: PhantomData<fn(&T)>,
}

impl<T: Serialize> Writer<T> {
    fn new(path: String, format: Format) -> Writer<T> {
        Writer { path, format, records: 0, record_type: PhantomData }
    }

    /// Writes one record.
    pub async fn write(&mut self, record: &T) -> Result<()> {
        let unfit = |error: &dyn std::fmt::Display| {
            Error::permanent(Error::msg(format!("record {} of `{}` cannot be written: {error}", self.records + 1, self.path)))
        };
        match &mut self.format {
            Format::Csv(serializer) => serializer.serialize(record).await.map_err(|error| unfit(&error))?,
            Format::Lines { upload, line } => {
                line.clear();
                serde_json::to_writer(&mut *line, record).map_err(|error| unfit(&error))?;
                line.push(b'\n');
                upload.write_all(line).await?;
            }
            Format::Xml { upload, element, text, .. } => {
                text.clear();
                text.push_str("  ");
                quick_xml::se::to_writer_with_root(&mut *text, element, record).map_err(|error| unfit(&error))?;
                text.push('\n');
                upload.write_all(text.as_bytes()).await?;
            }
        }
        self.records += 1;
        Ok(())
    }

    /// Writes what is buffered and makes the file appear at its path.
    pub async fn finish(self) -> Result<Exported> {
        let upload = match self.format {
            Format::Csv(serializer) => serializer.into_inner().await.map_err(|error| Error::msg(error.to_string()))?,
            Format::Lines { upload, .. } => upload,
            Format::Xml { mut upload, root, .. } => {
                upload.write_all(format!("</{root}>\n").as_bytes()).await?;
                upload
            }
        };
        commit(upload).await.map_err(|error| error.wrap(format!("writing `{}` failed", self.path)))?;
        Ok(Exported { path: self.path, records: self.records })
    }
}

async fn commit(mut upload: BufWriter<Box<dyn Upload>>) -> Result<()> {
    upload.flush().await?;
    upload.into_inner().commit().await
}

/// Writes a small file whole.
pub(super) async fn put(backend: &dyn Backend, path: &str, contents: &[u8]) -> Result<()> {
    let mut upload = backend.upload(path).await?;
    if let Err(error) = upload.write_all(contents).await {
        upload.abort().await;
        return Err(error.into());
    }
    upload.commit().await
}
