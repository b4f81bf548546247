//! The local brokers, for the source tests: whether one is there, publishing to it, and
//! restarting it as an outage would.

use std::process::Command;
use std::time::{Duration, Instant};

/// Whether the broker on `port` answers. When it does not, the test is skipped with a note,
/// unless AQUEDUCT_REQUIRE_SERVICES=1 (as in CI), where it fails.
pub fn available(name: &str, port: u16) -> bool {
    if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        return true;
    }
    let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
    assert!(!required, "{name} is not reachable on 127.0.0.1:{port}, and AQUEDUCT_REQUIRE_SERVICES=1");
    eprintln!("skipped: {name} is not reachable on 127.0.0.1:{port}");
    false
}

/// Waits until something listens on `port` again.
fn wait_for_port(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port} after {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap_or_else(|error| panic!("running {program}: {error}"));
    assert!(status.success(), "{program} {args:?} failed with {status}");
}

/// Stops NATS as an operator would (its JetStream state is on disk) and starts it again.
pub fn restart_nats() {
    let _ = Command::new("pkill").args(["-TERM", "-x", "nats-server"]).status();
    while Command::new("pgrep")
        .args(["-x", "nats-server"])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    run(
        "start-stop-daemon",
        &[
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            "/usr/sbin/nats-server",
            "--",
            "-a",
            "127.0.0.1",
            "-p",
            "4222",
            "-js",
            "-sd",
            "/var/lib/nats-server",
            "-l",
            "/var/log/nats-server.log",
        ],
    );
    wait_for_port(4222, Duration::from_secs(30));
}

/// Stops RabbitMQ's application (every connection drops) and starts it again.
pub fn restart_rabbitmq() {
    run("rabbitmqctl", &["-q", "stop_app"]);
    run("rabbitmqctl", &["-q", "start_app"]);
    wait_for_port(5672, Duration::from_secs(60));
}

/// Stops Mosquitto (it saves its persistent sessions on the way out) and starts it again.
pub fn restart_mosquitto() {
    let _ = Command::new("pkill").args(["-TERM", "-x", "mosquitto"]).status();
    while Command::new("pgrep")
        .args(["-x", "mosquitto"])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    run("mosquitto", &["-d", "-c", "/etc/mosquitto/mosquitto.conf"]);
    wait_for_port(1883, Duration::from_secs(30));
}

/// A name no earlier run of the tests used: brokers keep their queues between runs.
pub fn fresh_instance(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), jiff::Timestamp::now().as_millisecond())
}

/// Whether the program at `path` is installed; skipped or failed as [`available`] does.
pub fn installed(path: &str) -> bool {
    if std::path::Path::new(path).exists() {
        return true;
    }
    let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
    assert!(!required, "{path} is not installed, and AQUEDUCT_REQUIRE_SERVICES=1");
    eprintln!("skipped: {path} is not installed");
    false
}

/// A loopback port nothing listens on (the system's pick, released for the caller to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A NATS server of the test's own, with JetStream in a temporary directory, which the test
/// may kill and start again on the same port without disturbing other tests.
pub struct PrivateNats {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateNats {
    pub const BINARY: &str = "/usr/sbin/nats-server";

    pub fn start() -> PrivateNats {
        let mut nats = PrivateNats { port: free_port(), dir: tempfile::TempDir::new().unwrap(), child: None };
        nats.restart();
        nats
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again), with what it stored before, and waits until it listens.
    pub fn restart(&mut self) {
        let port = self.port.to_string();
        let child = Command::new(Self::BINARY)
            .args(["-js", "-a", "127.0.0.1", "-p", &port, "-sd", self.dir.path().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting nats-server");
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10));
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy on loopback to a local broker, which the test cuts (every connection closes,
/// new ones are refused) and restores on the same port: to a client, the broker went away and
/// came back, while the broker itself, shared with other tests, keeps running.
pub struct Proxy {
    pub port: u16,
    upstream: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    pub async fn start(upstream: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        Proxy { port, upstream, task: Some(tokio::spawn(Self::serve(listener, upstream))) }
    }

    async fn serve(listener: tokio::net::TcpListener, upstream: u16) {
        // Aborting this task drops the set, which aborts (and closes) every connection.
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((mut inbound, _)) = listener.accept().await {
            connections.spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    }

    /// Closes every connection and stops listening.
    pub async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.task = Some(tokio::spawn(Self::serve(listener, self.upstream)));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
