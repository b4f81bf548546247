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
