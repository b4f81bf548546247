//! Typed records read from a file as it streams in: CSV, JSON Lines and XML. A record that
//! does not decode is a permanent error naming the file and its line, so the import moves the
//! file to its failed folder; a read that fails (the connection dropped) is retried.

use crate::model::{Error, Result};
use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// A file's records, one at a time, as the file is read: a 1 GB file needs no 1 GB of
/// memory. Also a [`Stream`] of them.
///
/// ```no_run
/// # use aqueduct::prelude::*;
/// # #[derive(Deserialize)] struct Order { id: String }
/// # async fn count(mut orders: aqueduct::files::Records<Order>) -> Result<usize> {
/// let mut seen = 0;
/// while let Some(order) = orders.next().await? {
///     seen += usize::from(!order.id.is_empty());
/// }
/// # Ok(seen) }
/// ```
pub struct Records<T> {
    stream: BoxStream<'static, Result<T>>,
}

impl<T> Records<T> {
    /// The next record, or `None` at the end of the file.
    pub async fn next(&mut self) -> Result<Option<T>> {
        self.stream.next().await.transpose()
    }
}

impl<T> Stream for Records<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// The file's record on `line` does not decode: no retry reads it differently.
fn undecodable(path: &str, line: u64, error: impl std::fmt::Display) -> Error {
    Error::permanent(Error::msg(format!("`{path}` line {line}: {error}")))
}

impl<T: DeserializeOwned + Send + 'static> Records<T> {
    pub(super) fn csv(path: &str, reader: impl AsyncRead + Send + Unpin + 'static) -> Records<T> {
        let path = path.to_owned();
        let records = csv_async::AsyncReaderBuilder::new().create_deserializer(reader).into_deserialize::<T>();
        let stream = records.map(move |record| {
            record.map_err(|error| match error.kind() {
                csv_async::ErrorKind::Io(_) => Error::from(error).wrap(format!("reading `{path}` failed")),
                csv_async::ErrorKind::Deserialize { pos: Some(pos), err } => {
                    undecodable(&path, pos.line(), format_args!("record {}: {err}", pos.record()))
                }
                _ => undecodable(&path, error.position().map_or(0, |pos| pos.line()), &error),
            })
        });
        Records { stream: stream.boxed() }
    }

    pub(super) fn json_lines(path: &str, reader: impl AsyncRead + Send + Unpin + 'static) -> Records<T> {
        let lines = BufReader::new(reader).lines();
        let state = (lines, path.to_owned(), 0u64);
        let stream = stream::try_unfold(state, |(mut lines, path, mut number)| async move {
            loop {
                number += 1;
                let Some(line) = lines
                    .next_line()
                    .await
                    .map_err(|error| Error::from(error).wrap(format!("reading `{path}` failed")))?
                else {
                    return Ok(None);
                };
                if line.trim().is_empty() {
                    continue;
                }
                let record = serde_json::from_str(&line).map_err(|error| undecodable(&path, number, error))?;
                return Ok(Some((record, (lines, path, number))));
            }
        });
        Records { stream: stream.boxed() }
    }

    pub(super) fn xml(path: &str, reader: impl AsyncRead + Send + Unpin + 'static, element: &str) -> Records<T> {
        let elements = super::xml::Elements::new(BufReader::new(reader), element);
        let stream = stream::try_unfold((elements, path.to_owned()), |(mut elements, path)| async move {
            let Some((text, line)) = elements.next().await.map_err(|error| match error {
                super::xml::Failure::Read(error) => Error::from(error).wrap(format!("reading `{path}` failed")),
                super::xml::Failure::Malformed { line, error } => undecodable(&path, line, error),
            })?
            else {
                return Ok(None);
            };
            let record = quick_xml::de::from_str(&text).map_err(|error| undecodable(&path, line, error))?;
            Ok(Some((record, (elements, path))))
        });
        Records { stream: stream.boxed() }
    }
}
