//! A body over the limit gets 413 and a full inbox 503; neither stores anything.

use crate::support::{Binary, PATIENCE, post};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_stores_nothing() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"first\"", &server.url).status.success());
    let client = reqwest::Client::new();
    let flows = || binary.runs_of("small") + binary.runs_of("echo");
    let runs_before = flows();

    let (status, _) = post(&client, &server.hook("a", "/small"), vec![b'x'; 1000]).await;
    assert_eq!(status, 202, "max_body = \"1KB\" takes 1000 bytes");
    let (status, answer) = post(&client, &server.hook("a", "/small"), vec![b'x'; 1001]).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("1000 bytes"), "{answer}");
    // The default limit is 1 MiB.
    let (status, _) = post(&client, &server.hook("a", "/echo?page=1"), vec![b'x'; 1024 * 1024 + 1]).await;
    assert_eq!(status, 413);

    // Without a Content-Length, reading stops at the limit.
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = "POST /hooks/a/small HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..4 {
        // The server may answer and close before the last chunk: that is the point.
        if stream.write_all(format!("200\r\n{}\r\n", "y".repeat(0x200)).as_bytes()).await.is_err() {
            break;
        }
    }
    let mut answer = vec![0; 64];
    let read = tokio::time::timeout(PATIENCE, stream.read(&mut answer)).await.unwrap().unwrap();
    assert!(
        String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer[..read])
    );

    assert_eq!(flows(), runs_before + 1, "only the accepted delivery was stored");
}

#[tokio::test]
async fn a_full_inbox_answers_503_with_retry_after_and_keeps_what_it_accepted() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let server = binary.serve(&["serve", "--queue-capacity", "4"]);
    let url = server.hook("a", "/noop");

    // Another connection holds SQLite's write lock, so the server's writer waits and its queue fills.
    let blocker = rusqlite::Connection::open(binary.dir().join("store.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let client = reqwest::Client::new();
    let sends = (0..40).map(|n| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let response = client.post(url).body(format!("{{\"id\":{n}}}")).send().await.unwrap();
            let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_owned());
            (response.status().as_u16(), retry_after, response.json::<serde_json::Value>().await.unwrap_or_default())
        })
    });
    let sends: Vec<_> = sends.collect();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    blocker.execute_batch("COMMIT").unwrap();
    let mut accepted = Vec::new();
    let mut refused = 0;
    for send in sends {
        match send.await.unwrap() {
            (202, _, answer) => accepted.push(answer["run_id"].as_u64().unwrap()),
            (503, retry_after, _) => {
                assert_eq!(retry_after.as_deref(), Some("1"));
                refused += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(refused > 0, "nothing was refused while the store was stalled");
    assert!(!accepted.is_empty(), "nothing was accepted");
    let stored: i64 =
        binary.database().query_row("SELECT count(*) FROM runs WHERE flow = 'noop'", [], |row| row.get(0)).unwrap();
    assert_eq!(stored as usize, accepted.len(), "{refused} refused, {} accepted", accepted.len());
}

/// A body over the limit is logged, as a bad signature is: the operator sees refused senders.
#[tokio::test]
async fn a_body_over_the_limit_is_logged() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"first\"", &server.url).status.success());
    let (status, _) = post(&reqwest::Client::new(), &server.hook("a", "/small"), vec![b'x'; 1001]).await;
    assert_eq!(status, 413);
    server.wait_for_log(&["refused a delivery", "status=413", "1000 bytes"], 1, PATIENCE);
}
