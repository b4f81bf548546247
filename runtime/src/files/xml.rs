//! The elements of one name in an XML file, each cut out as its own small document as the
//! file streams in, with the line it starts on: what [`Records::xml`](super::Records)
//! deserializes one at a time.

use quick_xml::Writer;
use quick_xml::events::Event;
use tokio::io::AsyncBufRead;

pub(super) struct Elements<R> {
    reader: quick_xml::Reader<R>,
    element: Vec<u8>,
    buffer: Vec<u8>,
    /// The line the reader is on, counted from the events read so far.
    line: u64,
}

pub(super) enum Failure {
    Read(std::io::Error),
    Malformed { line: u64, error: String },
}

impl<R: AsyncBufRead + Unpin> Elements<R> {
    pub(super) fn new(reader: R, element: &str) -> Elements<R> {
        Elements {
            reader: quick_xml::Reader::from_reader(reader),
            element: element.into(),
            buffer: Vec::new(),
            line: 1,
        }
    }

    /// The next element named as asked, as text, and the line it starts on.
    pub(super) async fn next(&mut self) -> Result<Option<(String, u64)>, Failure> {
        loop {
            self.buffer.clear();
            let event = self.reader.read_event_into_async(&mut self.buffer).await;
            let event = event.map_err(|error| failure(self.line, error))?;
            let starts = self.line;
            self.line += newlines(&event);
            match event {
                Event::Eof => return Ok(None),
                Event::Empty(start) if start.local_name().as_ref() == self.element => {
                    let mut writer = Writer::new(Vec::new());
                    let _ = writer.write_event(Event::Empty(start));
                    return Ok(Some((text(writer, starts)?, starts)));
                }
                Event::Start(start) if start.local_name().as_ref() == self.element => {
                    let mut writer = Writer::new(Vec::new());
                    let _ = writer.write_event(Event::Start(start.into_owned()));
                    self.rest_of_element(&mut writer).await?;
                    return Ok(Some((text(writer, starts)?, starts)));
                }
                _ => {}
            }
        }
    }

    /// Copies events into `writer` up to the end of the element just started.
    async fn rest_of_element(&mut self, writer: &mut Writer<Vec<u8>>) -> Result<(), Failure> {
        let mut depth = 1usize;
        while depth > 0 {
            self.buffer.clear();
            let event = self.reader.read_event_into_async(&mut self.buffer).await;
            let event = event.map_err(|error| failure(self.line, error))?;
            self.line += newlines(&event);
            match &event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => {
                    let error = "the file ends inside the element".to_owned();
                    return Err(Failure::Malformed { line: self.line, error });
                }
                _ => {}
            }
            // Writing to a Vec fails only on an event no reader produces.
            let _ = writer.write_event(event);
        }
        Ok(())
    }
}

fn text(writer: Writer<Vec<u8>>, line: u64) -> Result<String, Failure> {
    String::from_utf8(writer.into_inner())
        .map_err(|_| Failure::Malformed { line, error: "the element is not UTF-8".into() })
}

fn failure(line: u64, error: quick_xml::Error) -> Failure {
    match error {
        quick_xml::Error::Io(error) => Failure::Read(std::io::Error::new(error.kind(), error.to_string())),
        error => Failure::Malformed { line, error: error.to_string() },
    }
}

/// Newlines inside an event: its delimiters (`<`, `>`) hold none.
fn newlines(event: &Event) -> u64 {
    let bytes: &[u8] = match event {
        Event::Start(bytes) | Event::Empty(bytes) => bytes,
        Event::End(bytes) => bytes,
        Event::Text(bytes) | Event::Comment(bytes) | Event::DocType(bytes) => bytes,
        Event::CData(bytes) => bytes,
        Event::Decl(bytes) => bytes,
        Event::PI(bytes) => bytes,
        Event::GeneralRef(bytes) => bytes,
        Event::Eof => &[],
    };
    bytes.iter().filter(|byte| **byte == b'\n').count() as u64
}
