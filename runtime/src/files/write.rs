//! An export: typed records written as CSV, JSON Lines or XML as they come, to a file that
//! appears at its path whole or not at all.

use super::backend::{Backend, Upload};
use super::folder::Folder;
use crate::model::{Error, Result};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
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
        let written = Written::default();
        let csv = Box::new(csv::Writer::from_writer(written.clone()));
        Ok(Writer::new(self.path, Format::Csv { csv, written, upload }))
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
        Ok(Writer::new(
            self.path,
            Format::Xml { upload, root: root.into(), element: element.into(), text: String::new() },
        ))
    }

    /// Writes `contents` as the whole file.
    pub async fn bytes(self, contents: &[u8]) -> Result<Exported> {
        let backend = self.folder.connect().await?;
        put(backend.as_ref(), &self.path, contents).await?;
        Ok(Exported { path: self.path, records: 0 })
    }

    async fn open(&self) -> Result<BufWriter<Box<dyn Upload>>> {
        let backend = self.folder.connect().await?;
        let upload =
            backend.upload(&self.path).await.map_err(|error| error.wrap(format!("writing `{}` failed", self.path)))?;
        Ok(BufWriter::with_capacity(WRITE_BUFFER, upload))
    }
}

enum Format {
    Csv { csv: Box<csv::Writer<Written>>, written: Written, upload: BufWriter<Box<dyn Upload>> },
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
    /// `None` once finished.
    format: Option<Format>,
    records: u64,
    record_type: PhantomData<fn(&T)>,
}

impl<T: Serialize> Writer<T> {
    fn new(path: String, format: Format) -> Writer<T> {
        Writer { path, format: Some(format), records: 0, record_type: PhantomData }
    }

    /// Writes one record.
    pub async fn write(&mut self, record: &T) -> Result<()> {
        let unfit = |error: &dyn std::fmt::Display| {
            Error::permanent(Error::msg(format!(
                "record {} of `{}` cannot be written: {error}",
                self.records + 1,
                self.path
            )))
        };
        let Some(format) = &mut self.format else { unreachable!("a finished writer is consumed") };
        match format {
            Format::Csv { csv, written, upload } => {
                csv.serialize(record).map_err(|error| unfit(&error))?;
                // The CSV writer hands on 8 KiB at a time; pass them on a few at a time.
                if written.len() >= WRITE_BUFFER / 4 {
                    upload.write_all(&written.take()).await?;
                }
            }
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
    pub async fn finish(mut self) -> Result<Exported> {
        let Some(format) = self.format.take() else { unreachable!("a finished writer is consumed") };
        let upload = match format {
            Format::Csv { mut csv, written, mut upload } => {
                csv.flush()?;
                upload.write_all(&written.take()).await?;
                upload
            }
            Format::Lines { upload, .. } => upload,
            Format::Xml { mut upload, root, .. } => {
                upload.write_all(format!("</{root}>\n").as_bytes()).await?;
                upload
            }
        };
        commit(upload).await.map_err(|error| error.wrap(format!("writing `{}` failed", self.path)))?;
        Ok(Exported { path: std::mem::take(&mut self.path), records: self.records })
    }
}

impl<T> Drop for Writer<T> {
    /// Dropped unfinished (the flow failed midway), the upload is abandoned: nothing half
    /// written stays behind, neither at the path nor under a temporary name.
    fn drop(&mut self) {
        let upload = match self.format.take() {
            None => return,
            Some(Format::Csv { upload, .. } | Format::Lines { upload, .. } | Format::Xml { upload, .. }) => upload,
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(upload.into_inner().abort());
        }
    }
}

/// What the CSV writer wrote and the upload has not taken yet.
#[derive(Clone, Default)]
struct Written(Arc<Mutex<Vec<u8>>>);

impl Written {
    fn len(&self) -> usize {
        self.0.lock().expect("csv buffer").len()
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("csv buffer"))
    }
}

impl std::io::Write for Written {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("csv buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
