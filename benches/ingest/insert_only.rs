//! The insert-only baseline: an axum handler that commits each request's headers and body to
//! SQLite (WAL, `synchronous=FULL`, group commit on one writer thread, as aqueduct's store)
//! before answering 202 — the least any durable ingest must do, with nothing else.

use axum::body::Bytes;
use std::net::SocketAddr;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// A request's headers and body, and where to send its row id once committed.
type Job = (Vec<u8>, Bytes, oneshot::Sender<i64>);

/// Most requests committed in one transaction, as aqueduct's writer.
const MAX_BATCH: usize = 512;

pub async fn insert_only(dir: &std::path::Path) -> SocketAddr {
    let connection = rusqlite::Connection::open(dir.join("insert-only.db")).expect("opening the baseline's store");
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
             CREATE TABLE deliveries (id INTEGER PRIMARY KEY, headers BLOB NOT NULL, body BLOB NOT NULL);",
        )
        .expect("creating the baseline's table");
    let (jobs, receiver) = mpsc::sync_channel::<Job>(4096);
    std::thread::spawn(move || write_batches(connection, receiver));
    let accept = move |headers: http::HeaderMap, body: Bytes| {
        let jobs = jobs.clone();
        async move {
            let mut encoded = Vec::new();
            for (name, value) in &headers {
                encoded.extend_from_slice(name.as_str().as_bytes());
                encoded.extend_from_slice(b": ");
                encoded.extend_from_slice(value.as_bytes());
                encoded.push(b'\n');
            }
            let (answer, answered) = oneshot::channel();
            jobs.send((encoded, body, answer)).expect("the writer thread lives");
            let run_id = answered.await.expect("the writer answers");
            (http::StatusCode::ACCEPTED, axum::Json(serde_json::json!({ "run_id": run_id })))
        }
    };
    super::targets::serve(axum::Router::new().route("/hooks/acme/inventory", axum::routing::post(accept))).await
}

fn write_batches(connection: rusqlite::Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        connection.execute_batch("BEGIN IMMEDIATE").expect("beginning");
        let mut answers = Vec::with_capacity(batch.len());
        {
            let mut insert = connection
                .prepare_cached("INSERT INTO deliveries (headers, body) VALUES (?1, ?2) RETURNING id")
                .expect("preparing");
            for (headers, body, answer) in batch {
                let id: i64 =
                    insert.query_row(rusqlite::params![headers, &body[..]], |row| row.get(0)).expect("inserting");
                answers.push((answer, id));
            }
        }
        connection.execute_batch("COMMIT").expect("committing");
        for (answer, id) in answers {
            let _ = answer.send(id);
        }
    }
}
