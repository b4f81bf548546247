//! Connections cannot be held hostage: half-sent requests are cut off at the header timeout, a
//! slow body is answered 408, a kept-alive connection silent between requests is closed at the
//! idle timeout, and past the connection cap new connections are closed while open ones are
//! served.

use crate::support::{Binary, PATIENCE, Server, post};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A request line and half a header, then nothing.
const HALF_A_REQUEST: &[u8] = b"POST /hooks/a/noop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";

/// The probe integration with the instance `a`, serving with `args`.
fn probe(args: &[&str]) -> (Binary, Server) {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let server = binary.serve(&[&["serve"], args].concat());
    (binary, server)
}

fn address(server: &Server) -> &str {
    server.url.trim_start_matches("http://")
}

/// How many half-sent requests this process can hold: 2,000, unless its open-file limit, raised
/// to the hard limit, leaves room for fewer beside what the other tests hold.
fn half_sent_count() -> usize {
    let open_files = rlimit::increase_nofile_limit(u64::MAX).expect("raising this test's open-file limit");
    let count = usize::try_from(open_files.saturating_sub(512)).unwrap_or(usize::MAX).min(2000);
    println!("holding {count} half-sent requests (this test's open-file limit is {open_files})");
    assert!(count >= 500, "an open-file limit of {open_files} leaves too few connections to test anything");
    count
}

/// One kept-alive HTTP/1.1 connection; `closed` ends when the server closes it.
struct KeptAlive {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    closed: JoinHandle<()>,
}

impl KeptAlive {
    async fn open(address: &str) -> KeptAlive {
        let stream = TcpStream::connect(address).await.expect("connecting");
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("an HTTP/1.1 connection");
        KeptAlive { sender, closed: tokio::spawn(async move { drop(connection.await) }) }
    }

    /// GET `/healthz` on this connection.
    async fn health(&mut self) -> u16 {
        let request = http::Request::get("/healthz").header("host", "127.0.0.1").body(Empty::new()).unwrap();
        self.sender.send_request(request).await.expect("an answer on the kept-alive connection").status().as_u16()
    }
}

/// Waits until the server closes `stream` (an end of file, or a reset) and returns when, or
/// `None` if it is still open at `deadline`.
async fn closed_by(mut stream: TcpStream, deadline: tokio::time::Instant) -> Option<Instant> {
    let mut buffer = [0; 256];
    match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
        Err(_) => None,
        Ok(Ok(0) | Err(_)) => Some(Instant::now()),
        Ok(Ok(_)) => panic!("the server answered half a request: {}", String::from_utf8_lossy(&buffer)),
    }
}

/// How many runs of `flow` the store holds (`runs` lists 50 at most).
fn stored(binary: &Binary, flow: &str) -> usize {
    let count: i64 =
        binary.database().query_row("SELECT count(*) FROM runs WHERE flow = ?1", [flow], |row| row.get(0)).unwrap();
    count as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_cut_off_at_the_header_timeout_while_a_normal_client_is_served() {
    let count = half_sent_count();
    let header_timeout = Duration::from_secs(5);
    let (binary, server) = probe(&["--header-timeout", "5s"]);
    // A normal client, delivering every 100 ms until told to stop (at most 150 times).
    let stop = Arc::new(AtomicBool::new(false));
    let normal = tokio::spawn({
        let (url, stop) = (server.hook("a", "/noop"), stop.clone());
        async move {
            let client = reqwest::Client::new();
            let mut answers = Vec::new();
            for id in 0..150 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let asked = Instant::now();
                let (status, answer) = post(&client, &url, format!(r#"{{"id":{id}}}"#)).await;
                answers.push((status, answer, asked.elapsed()));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answers
        }
    });

    let started = Instant::now();
    // Each with the time it was being opened: the server's header timer cannot start before.
    let opening = (0..count).map(|_| async {
        let connecting = Instant::now();
        let mut stream = TcpStream::connect(address(&server)).await.expect("connecting");
        stream.write_all(HALF_A_REQUEST).await.expect("sending half a request");
        (stream, connecting)
    });
    let half_sent: Vec<_> = futures::stream::iter(opening).buffer_unordered(100).collect().await;
    let opened_in = started.elapsed();
    // A delivery made now, with all of them held, is served too.
    let (status, answer) = post(&reqwest::Client::new(), &server.hook("a", "/noop"), r#"{"id":1000}"#).await;
    assert_eq!(status, 202, "{answer}");
    // Those the header timeout cannot have reached yet are all still open.
    let now = Instant::now();
    let due_later =
        half_sent.iter().filter(|(_, connecting)| now + Duration::from_millis(100) < *connecting + header_timeout);
    let (mut due, mut open) = (0, 0);
    for (stream, _) in due_later {
        due += 1;
        let mut byte = [0; 1];
        open += usize::from(
            matches!(stream.try_read(&mut byte), Err(error) if error.kind() == std::io::ErrorKind::WouldBlock),
        );
    }
    assert!(due >= count / 2, "opening {count} connections took {opened_in:?}: too slow to test anything");
    assert_eq!(open, due, "half-sent requests were cut off before the header timeout");

    let deadline = tokio::time::Instant::now() + header_timeout + Duration::from_secs(5);
    let closing = half_sent
        .into_iter()
        .map(|(stream, connecting)| async move { (connecting, closed_by(stream, deadline).await) });
    let mut held_for = Vec::with_capacity(count);
    for (connecting, closed) in futures::future::join_all(closing).await {
        let closed = closed.expect("a half-sent request still open 5 s after the header timeout");
        held_for.push(closed - connecting);
    }
    stop.store(true, Ordering::Relaxed);
    let answers = normal.await.unwrap();
    let slowest = answers.iter().map(|(_, _, took)| *took).max().unwrap();
    let (shortest, longest) = (held_for.iter().min().unwrap(), held_for.iter().max().unwrap());
    println!(
        "opened {count} half-sent requests in {opened_in:?}, and the server closed them after {shortest:?} to \
         {longest:?} (header timeout {header_timeout:?}); meanwhile a client's {} deliveries were answered \
         within {slowest:?} each",
        answers.len()
    );
    for (status, answer, _) in &answers {
        assert_eq!(*status, 202, "{answer}");
    }
    assert!(answers.len() >= 20, "the normal client made only {} deliveries", answers.len());
    assert!(slowest < Duration::from_secs(2), "a normal delivery took {slowest:?}");
    assert!(*shortest >= header_timeout, "closed after {shortest:?}");
    assert_eq!(stored(&binary, "noop"), answers.len() + 1, "the normal deliveries, and only they, are stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_gets_408_and_nothing_is_stored() {
    let (binary, server) = probe(&["--body-timeout", "1s"]);
    let mut stream = TcpStream::connect(address(&server)).await.expect("connecting");
    let head = "POST /hooks/a/noop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n";
    stream.write_all(format!("{head}{{\"id\":").as_bytes()).await.expect("sending the head and some of the body");
    let sent = Instant::now();

    let mut answer = String::new();
    tokio::time::timeout(PATIENCE, stream.read_to_string(&mut answer))
        .await
        .expect("the server closes the connection after its answer")
        .expect("an answer");
    let took = sent.elapsed();
    println!("a stalled body was answered after {took:?}: {answer:?}");
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("the body did not arrive within 1s"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(took >= Duration::from_millis(950) && took < Duration::from_secs(4), "answered after {took:?}");
    server.wait_for_log(&["refused a delivery", "status=408"], 1, PATIENCE);
    assert_eq!(binary.runs_of("noop"), 0, "a delivery whose body timed out was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_silent_between_requests_is_closed_at_the_idle_timeout() {
    let idle_timeout = Duration::from_secs(1);
    let (_binary, server) = probe(&["--idle-timeout", "1s", "--header-timeout", "10s"]);
    let mut kept = KeptAlive::open(address(&server)).await;
    // Requests closer together than the idle timeout keep it open, past that timeout.
    for _ in 0..4 {
        assert_eq!(kept.health().await, 200);
        tokio::time::sleep(idle_timeout / 2).await;
    }
    assert_eq!(kept.health().await, 200);
    let answered = Instant::now();
    tokio::time::timeout(idle_timeout + Duration::from_secs(4), &mut kept.closed)
        .await
        .expect("the idle connection still open well past the idle timeout")
        .unwrap();
    let idle_for = answered.elapsed();
    println!("an idle kept-alive connection was closed {idle_for:?} after its last answer");
    assert!(idle_for >= idle_timeout - Duration::from_millis(50), "closed after {idle_for:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_new_connections_are_closed_while_open_ones_are_served() {
    let binary = Binary::example("probe");
    // Started with a soft limit of 256 open files, the server raises it to the hard limit.
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let args = ["serve", "--max-connections", "50", "--header-timeout", "30s", "--idle-timeout", "30s"];
    let server = binary.serve_with_open_files(&args, "info", 256.min(hard));
    server.wait_for_log(&["raised the open-file limit", &format!("open_files={hard}")], 1, PATIENCE);

    let mut kept = KeptAlive::open(address(&server)).await;
    assert_eq!(kept.health().await, 200);
    let mut held = Vec::new();
    for _ in 1..50 {
        held.push(TcpStream::connect(address(&server)).await.expect("connecting"));
    }
    // The 51st: the system accepts it, the server closes it at once.
    let over = TcpStream::connect(address(&server)).await.expect("connecting");
    let tried = Instant::now();
    let closed = closed_by(over, tokio::time::Instant::now() + Duration::from_secs(3)).await;
    assert!(closed.is_some(), "the connection past the cap was held");
    println!("the connection past the cap was closed after {:?}", tried.elapsed());
    assert_eq!(kept.health().await, 200, "an open connection is still served at the cap");
    server.wait_for_log(&["connections are at the cap", "max_connections=50"], 1, PATIENCE);

    // Once one ends, a new connection is served again.
    drop(held.pop());
    let client = reqwest::Client::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match client.get(format!("{}/healthz", server.url)).send().await {
            Ok(response) => break assert_eq!(response.status(), 200),
            Err(error) => assert!(Instant::now() < deadline, "no new connection served below the cap: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
