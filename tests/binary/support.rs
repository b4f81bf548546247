//! Running an integration binary as a process: its server, its command line, its store.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a test waits for something that should happen within a second or two.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One example binary with a store of its own in a temporary directory.
pub struct Binary {
    path: PathBuf,
    dir: TempDir,
    /// A store other processes share, used instead of the SQLite file in `dir`.
    shared_store: Option<SharedStore>,
}

/// A store several processes use at once (PostgreSQL), and the key file they must all share.
struct SharedStore {
    url: String,
    key_file: PathBuf,
}

impl Binary {
    pub fn example(name: &str) -> Binary {
        Binary { path: example_path(name), dir: TempDir::new().expect("a temporary directory"), shared_store: None }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The binary with this test's store, and quiet logs.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        command.current_dir(self.dir.path());
        match &self.shared_store {
            Some(shared) => command.env("AQUEDUCT_STORE", &shared.url).env("AQUEDUCT_KEY_FILE", &shared.key_file),
            None => command.env("AQUEDUCT_STORE", format!("sqlite:{}", self.dir.path().join("store.db").display())),
        };
        command.env("AQUEDUCT_LOG", "warn").env_remove("AQUEDUCT_LISTEN").env_remove("AQUEDUCT_PUBLIC_URL");
        command
    }

    /// Runs a command to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("running the binary")
    }

    /// Runs a command that must succeed and returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "`{}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Runs a command that prints JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }

    /// The store, opened read-only, for checks the command line does not offer.
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.dir.path().join("store.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("opening the store")
    }

    /// Writes `count` succeeded runs of `flow` for the instance `a` straight into the store
    /// (for tests of reading many runs), a millisecond apart; their ids, oldest first.
    pub fn write_runs(&self, flow: &str, count: usize) -> Vec<u64> {
        let mut store = rusqlite::Connection::open(self.dir.path().join("store.db")).expect("opening the store");
        store.busy_timeout(Duration::from_secs(10)).unwrap();
        let now = jiff::Timestamp::now().as_millisecond();
        let writing = store.transaction().unwrap();
        let mut ids = Vec::with_capacity(count);
        for place in 0..count {
            let at = now - (count - place) as i64;
            writing
                .execute(
                    "INSERT INTO runs (flow, instance, cause, status, attempts, created_at, due_at, finished_at)
                     VALUES (?1, 'a', 'webhook', 'succeeded', 1, ?2, ?2, ?2)",
                    rusqlite::params![flow, at],
                )
                .unwrap();
            ids.push(writing.last_insert_rowid() as u64);
        }
        writing.commit().unwrap();
        ids
    }

    /// One run as `runs show --json` prints it.
    pub fn run_detail(&self, id: u64) -> Value {
        self.json(&["runs", "show", &id.to_string(), "--json"])
    }

    /// The runs the store holds, newest first.
    pub fn runs(&self) -> Vec<Value> {
        self.json(&["runs", "--json"]).as_array().expect("an array of runs").clone()
    }

    /// How many runs of `flow` the store holds (other flows, such as a per-second schedule, may
    /// add runs meanwhile).
    pub fn runs_of(&self, flow: &str) -> usize {
        self.json(&["runs", "--flow", flow, "--json"]).as_array().expect("an array of runs").len()
    }

    /// Writes a configuration file into the test's directory and activates `name` with it.
    pub fn activate(&self, name: &str, config: &str, public_url: &str) -> Output {
        let file = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, config).expect("writing the config file");
        self.run(&["instances", "activate", name, "--config", file.to_str().unwrap(), "--public-url", public_url])
    }

    /// Starts `serve` on a free loopback port (or runs the demo with `args` empty).
    pub fn serve(&self, args: &[&str]) -> Server {
        self.serve_logging(args, "warn")
    }

    /// As [`Binary::serve`], logging at `level` (an `AQUEDUCT_LOG` filter).
    pub fn serve_logging(&self, args: &[&str], level: &str) -> Server {
        self.start_server(self.command(), args, level, "server.log")
    }

    /// As [`Binary::serve_logging`], with the server's soft limit on open files lowered to
    /// `soft` as it starts, as `ulimit -S -n` in a shell would.
    pub fn serve_with_open_files(&self, args: &[&str], level: &str, soft: u64) -> Server {
        use std::os::unix::process::CommandExt;
        let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("the open-file limit");
        let mut command = self.command();
        // SAFETY: between fork and exec, setrlimit is one system call and allocates nothing.
        unsafe { command.pre_exec(move || rlimit::setrlimit(rlimit::Resource::NOFILE, soft, hard)) };
        self.start_server(command, args, level, "server.log")
    }

    fn start_server(&self, mut command: Command, args: &[&str], level: &str, log: &str) -> Server {
        let log = self.dir.path().join(log);
        let mut child = command
            .args(args)
            .env("AQUEDUCT_LOG", level)
            .env("AQUEDUCT_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("starting the server");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = std::sync::Arc::new(Mutex::new(Vec::<String>::new()));
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });
        let mut server = Server { child, url: String::new(), lines, log };
        let banner = server.wait_for_line("serving on http://", PATIENCE);
        let address = banner.split("serving on ").nth(1).unwrap().split_whitespace().next().unwrap();
        server.url = address.to_owned();
        server
    }
}

// What the tests of servers sharing one store use (`scale_out.rs`, built with `postgres`).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
impl Binary {
    /// The same binary on the store at `url` (`postgres://…`), which other processes share,
    /// rather than on an SQLite file of its own; every process of a store needs the same
    /// `key_file`. [`Binary::database`] does not open such a store.
    pub fn on_shared_store(self, url: &str, key_file: &Path) -> Binary {
        let shared_store = SharedStore { url: url.to_owned(), key_file: key_file.to_owned() };
        Binary { shared_store: Some(shared_store), ..self }
    }

    /// As [`Binary::serve`], as server number `node` of several on a shared store, each logging
    /// at `info` (lease takeovers are logged there) to a file of its own (`server-NODE.log`).
    pub fn serve_node(&self, node: usize, args: &[&str]) -> Server {
        self.start_server(self.command(), args, "info", &format!("server-{node}.log"))
    }

    /// `count` servers started with [`Binary::serve_node`], numbered from 1.
    pub fn serve_nodes(&self, count: usize, args: &[&str]) -> Vec<Server> {
        (1..=count).map(|node| self.serve_node(node, args)).collect()
    }
}

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    lines: std::sync::Arc<Mutex<Vec<String>>>,
    log: PathBuf,
}

impl Server {
    /// Waits until the server printed a line containing `needle`, and returns it.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|line| line.contains(needle)) {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}) before printing `{needle}`");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not print `{needle}` within {timeout:?}; it printed:\n{}\nand logged:\n{}",
                self.output(),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The admin token `serve` printed at its first start on this store.
    pub fn admin_token(&mut self) -> String {
        let line = self.wait_for_line("admin token", PATIENCE);
        line.rsplit(' ').next().expect("the token ends the line").to_owned()
    }

    /// Waits until the server's log holds `count` lines containing each of `needles`.
    pub fn wait_for_log(&self, needles: &[&str], count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let found = log.lines().filter(|line| needles.iter().all(|needle| line.contains(needle))).count();
            if found >= count {
                return;
            }
            assert!(Instant::now() < deadline, "the server did not log {count} lines with {needles:?}:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the server printed on standard output so far.
    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    pub fn hook(&self, instance: &str, path: &str) -> String {
        format!("{}/hooks/{instance}{path}", self.url)
    }

    /// Sends SIGTERM and waits for the process to end; returns its status and how long it took.
    pub fn terminate(&mut self) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        self.send_sigterm();
        let status = self.child.wait().expect("waiting for the server");
        (status, started.elapsed())
    }

    /// Sends SIGTERM and returns at once.
    pub fn send_sigterm(&self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
    }

    /// Waits for the process to end.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("waiting for the server")
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// What the tests of servers sharing one store use, of each server.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
impl Server {
    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running (it has not exited, crashed or been killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the server logged so far (standard error).
    pub fn logged(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// POSTs `body` and returns the status and the JSON answer (`null` if there is none).
pub async fn post(client: &reqwest::Client, url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = client.post(url).body(body).send().await.expect("sending a request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns `Some`, or fails the test after `timeout`.
pub fn eventually<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `target/debug/examples/NAME`, brought up to date once per test process: `cargo test
/// --test binary` alone does not build examples, and a stale one would test old code. It is
/// built with this test's features, as `cargo test` built it.
fn example_path(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let examples =
        std::env::current_exe().expect("the test's path").parent().unwrap().parent().unwrap().join("examples");
    let mut built = BUILT.lock().unwrap();
    if !built.iter().any(|done| done == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // Every feature the test has, `full` too: another set would build the library again.
        let features = [
            ("nats", cfg!(feature = "nats")),
            ("amqp", cfg!(feature = "amqp")),
            ("mqtt", cfg!(feature = "mqtt")),
            ("s3", cfg!(feature = "s3")),
            ("sftp", cfg!(feature = "sftp")),
            ("postgres", cfg!(feature = "postgres")),
            ("full", cfg!(feature = "full")),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(feature, _)| *feature)
        .collect::<Vec<_>>()
        .join(",");
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--example", name, "--features", &features])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "building the example {name} failed");
        built.push(name.to_owned());
    }
    examples.join(name)
}

/// HMAC-SHA256 of `message` under `key`, as the signature schemes compute it.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `X-Hub-Signature-256` as GitHub computes it for `body` under `secret`.
pub fn github_signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), body)))
}
