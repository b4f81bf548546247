//! Scale-out benchmark (`cargo bench --bench scale_out --features postgres`).
//!
//! The same no-op webhook flow served three ways in one run: one server on SQLite (the
//! baseline), one server on PostgreSQL, and three servers sharing one PostgreSQL database, the
//! load split evenly between them. For each it measures (a) acknowledged deliveries per second
//! under 64 keep-alive connections, with runs completed per second meanwhile, and (b) how fast
//! the servers claim and complete a backlog of no-op runs already in the inbox (the issue's
//! goal: ≥ 5,000 runs/s on PostgreSQL), each as the median of `ROUNDS` rounds.
//!
//! PostgreSQL is the server at `AQUEDUCT_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1/postgres`); each round uses a database of its own, dropped
//! after. `BENCH_SECONDS` sets each ingest round's length (default 10) and
//! `BENCH_BACKLOG` the backlog's size (default 20,000), and `BENCH_SETUP` runs only the setups
//! whose label starts with it (e.g. `PostgreSQL, 3`).

#[path = "../ingest/load.rs"]
#[allow(dead_code)] // the ingest benchmark's CPU figure is not reported here
mod load;
#[path = "../common/postgres_database.rs"]
mod postgres_database;

use aqueduct::prelude::*;
use load::Target;
use postgres_database::{Database, psql};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const ROUNDS: usize = 3;
const WARMUP: Duration = Duration::from_secs(2);

#[derive(Deserialize)]
pub struct Settings {}

/// A no-op flow: what is measured is the runtime and the store around it.
#[flow(webhook, path = "/work")]
async fn work(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

mod app {
    aqueduct::integration! {
        name: "scale-out-bench",
        config: super::Settings,
        flows: [super::work],
    }
}

/// Where the servers of one setup keep their runs.
enum Store {
    Sqlite(tempfile::TempDir),
    Postgres(Database),
}

impl Store {
    fn sqlite() -> Store {
        Store::Sqlite(tempfile::tempdir().expect("a temporary directory"))
    }

    fn postgres(round: usize) -> Store {
        Store::Postgres(Database::create(&round.to_string()))
    }

    fn url(&self) -> String {
        match self {
            Store::Sqlite(dir) => format!("sqlite:{}", dir.path().join("bench.db").display()),
            Store::Postgres(database) => database.url(),
        }
    }

    /// One number a query answers.
    fn count(&self, sql: &str) -> i64 {
        match self {
            Store::Sqlite(_) => {
                self.sqlite_connection().query_row(sql, [], |row| row.get(0)).expect("counting in SQLite")
            }
            Store::Postgres(_) => psql(&self.url(), sql).trim().parse().expect("a count"),
        }
    }

    /// The numbers a query answers, one per row.
    fn column(&self, sql: &str) -> Vec<i64> {
        match self {
            Store::Sqlite(_) => {
                let connection = self.sqlite_connection();
                let mut statement = connection.prepare(sql).expect("a query");
                statement
                    .query_map([], |row| row.get(0))
                    .expect("querying")
                    .map(|value| value.expect("a number"))
                    .collect()
            }
            Store::Postgres(_) => {
                psql(&self.url(), sql).lines().map(|line| line.trim().parse().expect("a number")).collect()
            }
        }
    }

    /// Runs statements; on PostgreSQL, a run announcement follows, as admission sends one.
    fn execute(&self, sql: &str) {
        match self {
            Store::Sqlite(_) => self.sqlite_connection().execute_batch(sql).expect("writing to SQLite"),
            Store::Postgres(_) => drop(psql(&self.url(), &format!("{sql}; NOTIFY aqueduct_runs"))),
        }
    }

    /// A connection beside the server's, waiting its turn to write.
    fn sqlite_connection(&self) -> rusqlite::Connection {
        let Store::Sqlite(dir) = self else { unreachable!("a SQLite store") };
        let connection = rusqlite::Connection::open(dir.path().join("bench.db")).expect("opening SQLite");
        connection.busy_timeout(Duration::from_secs(10)).expect("a busy timeout");
        connection
    }

    /// Adds `count` queued runs of the no-op flow to the inbox, due in an hour.
    fn backlog(&self, count: usize) {
        let (now, later) =
            (jiff::Timestamp::now().as_millisecond(), jiff::Timestamp::now().as_millisecond() + 3_600_000);
        let numbers = match self {
            Store::Sqlite(_) => format!(
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n)"
            ),
            Store::Postgres(_) => format!("generate_series(1, {count})"),
        };
        self.execute(&format!(
            "INSERT INTO runs (flow, instance, cause, status, created_at, due_at)
             SELECT 'work', 'acme', 'webhook', 'queued', {now}, {later} FROM {numbers} AS n"
        ));
    }
}

async fn start(store: &Store, key_file: &std::path::Path) -> aqueduct::Server<Settings> {
    let options = aqueduct::ServerOptions {
        store: store.url(),
        listen: "127.0.0.1:0".parse().expect("an address"),
        key_file: Some(key_file.to_owned()),
        ..Default::default()
    };
    aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct")
}

/// `count` servers on `store`, the instance `acme` activated.
async fn servers(store: &Store, count: usize, key_file: &std::path::Path) -> Vec<aqueduct::Server<Settings>> {
    let mut servers = Vec::new();
    for _ in 0..count {
        servers.push(start(store, key_file).await);
    }
    servers[0].activate("acme", serde_json::json!({})).await.expect("activating acme");
    servers
}

/// A label, a number of servers, and the store for a round.
type Setup = (&'static str, usize, fn(usize) -> Store);

const SUCCEEDED: &str = "SELECT count(*) FROM runs WHERE status = 'succeeded'";

/// (a): deliveries acknowledged and runs completed per second, the load split over the servers.
async fn ingest(store: &Store, servers: &[aqueduct::Server<Settings>], window: Duration) -> (f64, f64, f64) {
    let count = servers.len();
    let loads: Vec<_> = servers
        .iter()
        .map(|server| {
            let target =
                Target { address: server.address(), path: "/hooks/acme/work", headers: Vec::new, body: "{}".into() };
            tokio::spawn(async move { load::run(&target, CONNECTIONS / count, WARMUP, window).await })
        })
        .collect();
    tokio::time::sleep(WARMUP).await;
    let before = store.count(SUCCEEDED);
    let started = Instant::now();
    let mut acknowledged = 0.0;
    let mut p99: f64 = 0.0;
    for load in loads {
        let measured = load.await.expect("the load");
        assert_eq!(measured.errors, 0, "every delivery is acknowledged");
        acknowledged += measured.per_second();
        p99 = p99.max(measured.percentile_ms(99.0));
    }
    let completed = (store.count(SUCCEEDED) - before) as f64 / started.elapsed().as_secs_f64();
    (acknowledged, completed, p99)
}

/// (b): runs per second the servers claim, execute and record from a backlog of `size` runs
/// made due at once, from the first run's end to the last's (so the claim loops' wake-up is
/// not counted: on SQLite, nothing announces runs written beside the server).
async fn backlog(store: &Store, size: usize) -> f64 {
    let before = store.count(SUCCEEDED);
    store.backlog(size);
    store.execute("UPDATE runs SET due_at = 0 WHERE status = 'queued'");
    let deadline = Instant::now() + Duration::from_secs(300);
    while store.count(SUCCEEDED) < before + size as i64 {
        assert!(Instant::now() < deadline, "the backlog was not done within five minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let finished = store.column(&format!(
        "SELECT finished_at FROM runs WHERE id > (SELECT max(id) FROM runs) - {size} ORDER BY finished_at"
    ));
    // From the first percentile's end to the 99th's: a straggler says little of throughput.
    let (first, last) = (finished[size / 100], finished[size * 99 / 100]);
    let slowest = finished[size - 1] - finished[0];
    if slowest > 2 * (last - first) + 1000 {
        println!("  (the backlog's last runs took {slowest} ms from its first: a straggler)");
    }
    (size * 98 / 100) as f64 * 1000.0 / (last - first).max(1) as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    aqueduct::__private::init_tracing("error");
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(10);
    let size: usize = std::env::var("BENCH_BACKLOG").ok().and_then(|value| value.parse().ok()).unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let keys = tempfile::tempdir().expect("a temporary directory");
    let key_file = keys.path().join("bench.key");
    runtime.block_on(async {
        let setups: [Setup; 3] = [
            ("SQLite, 1 server", 1, |_| Store::sqlite()),
            ("PostgreSQL, 1 server", 1, Store::postgres),
            ("PostgreSQL, 3 servers", 3, Store::postgres),
        ];
        println!("{CONNECTIONS} connections, {seconds}s measured per round, a backlog of {size} runs, medians of {ROUNDS} rounds\n");
        println!("{:<24} {:>14} {:>14} {:>12} {:>16}", "", "acknowledged/s", "completed/s", "ingest p99", "backlog runs/s");
        let mut results = Vec::new();
        let only = std::env::var("BENCH_SETUP").unwrap_or_default();
        for (label, count, store) in setups.into_iter().filter(|(label, ..)| label.starts_with(&only)) {
            let (mut acknowledged, mut completed, mut p99, mut drained) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let store = store(round);
                let servers = servers(&store, count, &key_file).await;
                drained.push(backlog(&store, size).await);
                let (a, c, p) = ingest(&store, &servers, Duration::from_secs(seconds)).await;
                acknowledged.push(a);
                completed.push(c);
                p99.push(p);
                for server in servers {
                    server.stop().await;
                }
            }
            let row = (median(acknowledged), median(completed), median(p99), median(drained));
            println!("{label:<24} {:>14.0} {:>14.0} {:>9.2} ms {:>16.0}", row.0, row.1, row.2, row.3);
            results.push(row);
        }
        if results.len() < setups.len() {
            return;
        }
        let sqlite = results[0];
        for (label, row) in [("PostgreSQL, 1 server", results[1]), ("PostgreSQL, 3 servers", results[2])] {
            println!(
                "{label} / SQLite: acknowledged {:.2}, completed {:.2}, backlog {:.2}",
                row.0 / sqlite.0,
                row.1 / sqlite.1,
                row.3 / sqlite.3
            );
        }
        println!("goal: backlog runs/s on PostgreSQL ≥ 5000 (1 server: {:.0}, 3 servers: {:.0})", results[1].3, results[2].3);
    });
}
