//! Servers sharing one PostgreSQL store: the load spreads over them, what one cannot start the
//! others claim, a killed one's runs are taken over when their lease runs out, a schedule fires
//! each tick once whichever servers tick, and two releases serve side by side with no run lost.
//!
//! Each test makes a database of its own on the server at `AQUEDUCT_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1/postgres`) through `psql`, and drops it when it ends, however
//! it ends. Without PostgreSQL a test says so and passes, unless `AQUEDUCT_REQUIRE_SERVICES=1`.

use crate::support::{Binary, PATIENCE, Server};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long after a server dies its runs are back at work at the latest: the lease (30 s) runs
/// out at most 30 s after the kill, another server's `maintain` (every 10 s) then puts them
/// back in the inbox; the rest is slack for a busy machine.
const TAKEOVER: Duration = Duration::from_secs(60);

#[test]
fn three_servers_share_the_deliveries_and_each_runs_its_part() {
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out");
    activate(&binary, &["a"]);
    let mut nodes = binary.serve_nodes(3, &["serve"]);

    let load = Load::new(&nodes, &["/whoami"], 300);
    block_on(load.clone().send(12));
    let acknowledged = load.acknowledged();
    assert_eq!(acknowledged.len(), 300, "deliveries not acknowledged: {:?}", load.unacknowledged());

    let runs = succeeded(&store.database, &run_ids(&acknowledged), Instant::now() + PATIENCE);
    let ran_by = runs_per_process(runs_of(&runs, &acknowledged));
    println!("runs per server process: {ran_by:?}");
    assert_eq!(ran_by.keys().copied().collect::<BTreeSet<_>>(), pids(&nodes), "each server ran some, and only they");
    assert!(nodes.iter_mut().all(Server::is_running), "a server stopped");
    nodes.iter().for_each(assert_no_error_logged);
}

#[test]
fn runs_one_server_has_no_worker_for_are_claimed_by_the_others() {
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out");
    activate(&binary, &["a"]);
    // One worker and runs of 200 ms: deliveries to this server wait in the inbox, where the
    // others hear of them (LISTEN/NOTIFY) and claim them.
    let busy = binary.serve_node(1, &["serve", "--workers", "1"]);
    let others = binary.serve_nodes(2, &["serve"]);

    let load = Load::new([&busy], &["/whoami?ms=200"], 30);
    block_on(load.clone().send(4));
    let acknowledged = load.acknowledged();
    assert_eq!(acknowledged.len(), 30, "deliveries not acknowledged: {:?}", load.unacknowledged());

    let runs = succeeded(&store.database, &run_ids(&acknowledged), Instant::now() + PATIENCE);
    let ran_by = runs_per_process(runs_of(&runs, &acknowledged));
    println!("runs per server process: {ran_by:?}");
    let by_others: usize = pids(&others).iter().filter_map(|pid| ran_by.get(pid)).sum();
    assert!(by_others > 0, "no other server claimed a run the busy one queued: {ran_by:?}");
    // A run two servers claimed at once would have been attempted twice.
    let twice: Vec<_> =
        runs_of(&runs, &acknowledged).filter(|run| run.attempts != 1).map(|run| (run.id, run.attempts)).collect();
    assert!(twice.is_empty(), "runs attempted more than once: {twice:?}");
    [&busy].into_iter().chain(&others).for_each(assert_no_error_logged);
}

#[test]
fn a_delivery_sent_to_every_server_at_once_runs_once() {
    const DELIVERIES: usize = 50;
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out");
    activate(&binary, &["a"]);
    let nodes = binary.serve_nodes(3, &["serve"]);

    let urls: Vec<String> = nodes.iter().map(|node| node.hook("a", "/deduped")).collect();
    let answers = block_on(async {
        let client = reqwest::Client::new();
        let mut answers = Vec::new();
        for delivery in 0..DELIVERIES {
            answers.push(send_copies(&client, &urls, &format!("evt-{delivery}")).await);
        }
        answers
    });
    for copies in &answers {
        let runs: BTreeSet<_> = copies.iter().map(|answer| answer["run_id"].as_u64()).collect();
        assert_eq!(runs.len(), 1, "the copies of one delivery got different runs: {copies:?}");
        let first = copies.iter().filter(|answer| answer["duplicate"] != true).count();
        assert_eq!(first, 1, "not one copy stored the run and the others found it: {copies:?}");
    }
    let runs = stored_runs(&store.database);
    assert_eq!(runs.values().filter(|run| run.flow == "deduped").count(), DELIVERIES);
    nodes.iter().for_each(assert_no_error_logged);
}

#[test]
fn a_server_killed_under_load_loses_no_acknowledged_delivery() {
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out");
    activate(&binary, &["a"]);
    let mut nodes = binary.serve_nodes(3, &["serve"]);
    // Runs of 500 ms: when the victim dies, some of its runs are running under its lease.
    let load = Load::new(&nodes, &["/whoami?ms=500"], 20_000);
    // The first server is killed, the two others survive.
    let (victim, survivors) = nodes.split_first_mut().expect("three servers");
    let victim_pid = victim.pid();

    let killed_at = block_on(async {
        let sending = tokio::spawn(load.clone().send(9));
        tokio::time::sleep(Duration::from_secs(2)).await;
        victim.kill();
        let killed_at = Instant::now();
        load.take_out(0);
        // The two others go on taking deliveries.
        tokio::time::sleep(Duration::from_secs(2)).await;
        load.stop();
        sending.await.expect("the senders");
        killed_at
    });
    let acknowledged = load.acknowledged();
    let by_victim = acknowledged.iter().filter(|delivery| delivery.node == 0).count();
    let by_survivors = acknowledged.len() - by_victim;
    println!(
        "{} deliveries acknowledged, {by_victim} by the killed server; {} not acknowledged",
        acknowledged.len(),
        load.unacknowledged().len()
    );
    assert!(by_victim > 0 && by_survivors > 0, "the killed server or the others acknowledged nothing");

    let runs = succeeded(&store.database, &run_ids(&acknowledged), killed_at + TAKEOVER);
    println!("every acknowledged delivery succeeded {:?} after the kill", killed_at.elapsed());
    // A run goes to a second attempt only when its lease ran out: the victim's, taken over.
    let taken_over: Vec<_> = runs_of(&runs, &acknowledged).filter(|run| run.attempts > 1).collect();
    assert!(!taken_over.is_empty(), "no run of the killed server was taken over");
    assert!(
        taken_over.iter().all(|run| run.pid != Some(victim_pid)),
        "a run taken over names the killed server as its runner"
    );
    println!("{} runs taken over from the killed server", taken_over.len());
    assert!(survivors.iter_mut().all(Server::is_running), "a surviving server stopped");
    let resumed = survivors.iter().any(|node| node.logged().contains("resuming runs whose server stopped renewing"));
    assert!(resumed, "no surviving server logged resuming the killed server's runs");
    survivors.iter().for_each(assert_no_error_logged);
}

#[test]
fn a_per_second_schedule_on_three_servers_fires_each_tick_once_per_instance() {
    const INSTANCES: usize = 20;
    // The length: long enough for the servers' ticks to race many times over.
    const WATCHED: Duration = Duration::from_secs(30);
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out");
    let instances: Vec<String> = (1..=INSTANCES).map(|n| format!("i{n:02}")).collect();
    activate(&binary, &instances.iter().map(String::as_str).collect::<Vec<_>>());
    let mut nodes = binary.serve_nodes(3, &["serve"]);

    let all_serving = jiff::Timestamp::now();
    std::thread::sleep(WATCHED);
    let stopped = jiff::Timestamp::now();
    for node in &mut nodes {
        let (status, _) = node.terminate();
        assert!(status.success(), "a server ended with {status}:\n{}", node.logged());
    }

    let ticks = ticks_per_instance(&store.database);
    let repeated: Vec<_> = ticks.iter().filter(|(_, runs)| runs.len() > 1).collect();
    assert!(repeated.is_empty(), "ticks that ran more than once: {repeated:?}");
    nodes.iter().for_each(assert_no_error_logged);
    // Only the seconds well inside the time all three served: a tick at either edge may
    // come before the first server ticked or after the last one stopped.
    let window = whole_seconds(all_serving, 2, stopped, 2);
    let missing: Vec<_> = instances
        .iter()
        .flat_map(|instance| window.clone().map(move |second| (instance.clone(), second * 1000)))
        .filter(|tick| !ticks.contains_key(tick))
        .collect();
    // A server skips the ticks that came due while it was still admitting the previous one:
    // the store's slow statements, if any, say why.
    let warned: Vec<String> = nodes.iter().flat_map(|node| lines_at(node, "WARN")).collect();
    assert!(
        missing.is_empty(),
        "ticks that did not run, as (instance, ms): {missing:?}; the servers warned: {warned:#?}"
    );
    let in_window = ticks.iter().filter(|((_, ms), _)| window.contains(&(ms / 1000)));
    let unfinished: Vec<_> = in_window.flat_map(|(_, runs)| runs).filter(|run| run.status != "succeeded").collect();
    assert!(unfinished.is_empty(), "ticks that did not succeed: {unfinished:?}");
    let ran_by = runs_per_process(ticks.values().flatten());
    println!("{} ticks of {INSTANCES} instances over {} s, run per process: {ran_by:?}", ticks.len(), window.count());
}

#[test]
fn two_releases_side_by_side_lose_no_run_of_the_flow_one_renamed() {
    let Some(store) = SharedStore::create() else { return };
    let (old, new) = (store.binary("scale_out"), store.binary("scale_out_renamed"));
    activate(&old, &["a"]);
    // Two workers each and runs of 100 ms: deliveries wait in the inbox, for either server to
    // claim, as long as it has their flow.
    let mut old_node = old.serve_node(1, &["serve", "--workers", "2"]);
    let mut new_node = new.serve_node(2, &["serve", "--workers", "2"]);

    // Side by side: `/ingest` is the flow `ingest` at the old release and `import` at the new.
    let load = Load::new([&old_node, &new_node], &["/whoami?ms=100", "/ingest?ms=100"], 80);
    block_on(load.clone().send(8));
    let acknowledged = load.acknowledged();
    assert_eq!(acknowledged.len(), 80, "deliveries not acknowledged: {:?}", load.unacknowledged());
    let runs = succeeded(&store.database, &run_ids(&acknowledged), Instant::now() + PATIENCE);
    let (old_pid, new_pid) = (old_node.pid(), new_node.pid());
    for delivery in &acknowledged {
        let run = &runs[&delivery.run];
        let expected = match (delivery.path, delivery.node) {
            (0, _) => ("whoami", None),
            (_, 0) => ("ingest", Some(old_pid)),
            _ => ("import", Some(new_pid)),
        };
        assert_eq!(run.flow, expected.0, "{delivery:?}");
        assert!(expected.1.is_none_or(|pid| run.pid == Some(pid)), "run by the wrong release: {run:?}");
    }
    let took = |delivery: &Acknowledged| [old_pid, new_pid][delivery.node];
    let claimed_across = acknowledged.iter().filter(|delivery| runs[&delivery.run].pid != Some(took(delivery))).count();
    println!("{claimed_across} of {} runs ran on the server that did not take their delivery", acknowledged.len());

    // The old server stops with runs of `ingest` still waiting: the new one leaves them queued.
    let backlog = Load::new([&old_node], &["/ingest?ms=1000"], 12);
    block_on(backlog.clone().send(4));
    let waiting = run_ids(&backlog.acknowledged());
    assert_eq!(waiting.len(), 12, "deliveries not acknowledged: {:?}", backlog.unacknowledged());
    let (status, _) = old_node.terminate();
    assert!(status.success(), "the old server ended with {status}:\n{}", old_node.logged());
    std::thread::sleep(Duration::from_secs(3));
    let stored = stored_runs(&store.database);
    let queued: BTreeSet<u64> = waiting.iter().copied().filter(|id| stored[id].status == "queued").collect();
    let not_done: Vec<_> = waiting.iter().filter(|id| stored[id].status != "succeeded").collect();
    assert!(!queued.is_empty(), "no run of `ingest` was left waiting: {:?}", stored_statuses(&stored, &waiting));
    assert_eq!(not_done.len(), queued.len(), "unfinished but not queued: {:?}", stored_statuses(&stored, &waiting));
    assert_eq!(cli_run_ids(&new, &["--flow", "ingest", "--status", "queued"]), queued, "the new release lists them");
    assert!(new_node.is_running(), "the new server stopped:\n{}", new_node.logged());

    // A server of the old release comes back (a rollback): the runs waiting for it succeed there.
    let mut old_again = old.serve_node(3, &["serve"]);
    let runs = succeeded(&store.database, &waiting, Instant::now() + PATIENCE);
    for id in &queued {
        assert_eq!(runs[id].pid, Some(old_again.pid()), "{:?}", runs[id]);
    }
    for node in [&mut new_node, &mut old_again] {
        let (status, _) = node.terminate();
        assert!(status.success(), "a server ended with {status}:\n{}", node.logged());
    }
    [&old_node, &new_node, &old_again].into_iter().for_each(assert_no_error_logged);
}

/// Sends one delivery, with its id, to every one of `urls` at once: the copies race, each
/// server checking the id and storing the run in a transaction of its own. Their answers.
async fn send_copies(client: &reqwest::Client, urls: &[String], id: &str) -> Vec<Value> {
    let copies = urls.iter().map(|url| async move {
        let response = client.post(url).header("X-Delivery-Id", id).body("{}").send().await.expect("sending a copy");
        assert_eq!(response.status(), 202, "a copy sent to {url} was not acknowledged");
        response.json::<Value>().await.expect("a JSON answer")
    });
    futures::future::join_all(copies).await
}

// ---- the shared store ----

/// Held by the test whose servers run: three servers keep up to about 50 connections to
/// PostgreSQL, so two of these tests at once would come near its default limit of 100.
static TURN: Mutex<()> = Mutex::new(());

/// One store shared by every server of a test: its database, and the key file every process
/// of the store must read (instances are sealed with it).
pub(crate) struct SharedStore {
    pub(crate) database: Database,
    keys: TempDir,
    /// Last, so that it is let go once the database is dropped.
    _turn: MutexGuard<'static, ()>,
}

impl SharedStore {
    /// `None` (having said why) when PostgreSQL cannot be reached and services are not required.
    pub(crate) fn create() -> Option<SharedStore> {
        // A test that failed holding the turn left nothing behind: its database is dropped.
        let turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
        let database = Database::create()?;
        Some(SharedStore { database, keys: TempDir::new().expect("a temporary directory"), _turn: turn })
    }

    /// `example` with this store.
    pub(crate) fn binary(&self, example: &str) -> Binary {
        Binary::example(example).on_shared_store(&self.database.url, &self.keys.path().join("store.key"))
    }
}

/// A database of the test's own, dropped when the test ends, however it ends.
pub(crate) struct Database {
    /// The server's address the test connects to for creating and dropping databases.
    admin: String,
    name: String,
    /// The test's database: the store's URL.
    url: String,
}

impl Database {
    fn create() -> Option<Database> {
        let admin = std::env::var("AQUEDUCT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1/postgres".to_owned());
        if let Err(why) = psql(&admin, "SELECT 1") {
            let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
            assert!(!required, "PostgreSQL at {admin} is required (AQUEDUCT_REQUIRE_SERVICES=1): {why}");
            eprintln!("skipped: PostgreSQL at {admin} cannot be reached: {why}");
            return None;
        }
        let name = unique_name();
        psql(&admin, &format!("CREATE DATABASE {name}")).expect("creating the test's database");
        let mut url = url::Url::parse(&admin).expect("AQUEDUCT_TEST_POSTGRES is a URL");
        url.set_path(&name);
        Some(Database { admin, name, url: url.to_string() })
    }

    /// The rows `sql` selects, each as its columns' text (empty for NULL).
    pub(crate) fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let out = psql(&self.url, sql).unwrap_or_else(|why| panic!("{sql}: {why}"));
        out.lines().map(|line| line.split('\t').map(str::to_owned).collect()).collect()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // FORCE ends the connections of servers a failing test left running.
        let dropped = psql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        if let Err(why) = dropped {
            eprintln!("the test database {} was not dropped: {why}", self.name);
        }
    }
}

/// `aq_scale_PID_N_NANOS`: unique among tests running at once, and across runs.
fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = jiff::Timestamp::now().subsec_nanosecond();
    format!("aq_scale_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs one statement; what it printed, a line per row and its columns tab-separated.
fn psql(url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .map_err(|error| format!("cannot run psql: {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Activates each instance, with no settings, through the command line.
pub(crate) fn activate(binary: &Binary, instances: &[&str]) {
    for instance in instances {
        let output = binary.activate(instance, "", "http://127.0.0.1:9");
        assert!(output.status.success(), "activating {instance}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

// ---- runs as stored ----

/// A run as the store holds it; `pid` is the process that ran it (every flow returns it).
#[derive(Debug)]
struct StoredRun {
    id: u64,
    flow: String,
    instance: String,
    status: String,
    attempts: u32,
    pid: Option<u32>,
    /// A schedule run's is `tick:MS`, its tick in milliseconds since the epoch.
    delivery_id: String,
}

/// Every run of the store, by id.
fn stored_runs(database: &Database) -> HashMap<u64, StoredRun> {
    let rows = database
        .rows("SELECT id, flow, instance, status, attempts, output::json->>'pid', delivery_id FROM runs ORDER BY id");
    rows.into_iter()
        .map(|row| StoredRun {
            id: row[0].parse().expect("a run id"),
            flow: row[1].clone(),
            instance: row[2].clone(),
            status: row[3].clone(),
            attempts: row[4].parse().expect("a count of attempts"),
            pid: row[5].parse().ok(),
            delivery_id: row[6].clone(),
        })
        .map(|run| (run.id, run))
        .collect()
}

/// Waits until each of `ids` has succeeded and returns every stored run; fails by `deadline`
/// naming those that have not.
fn succeeded(database: &Database, ids: &[u64], deadline: Instant) -> HashMap<u64, StoredRun> {
    loop {
        let stored = stored_runs(database);
        let done = |id: &&u64| stored.get(id).is_some_and(|run| run.status == "succeeded");
        let pending: Vec<u64> = ids.iter().filter(|id| !done(id)).copied().collect();
        if pending.is_empty() {
            return stored;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} acknowledged runs have not succeeded; the first of them: {:?}",
            pending.len(),
            ids.len(),
            stored_statuses(&stored, &pending[..pending.len().min(10)])
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The stored runs of the `acknowledged` deliveries.
fn runs_of<'a>(
    runs: &'a HashMap<u64, StoredRun>,
    acknowledged: &'a [Acknowledged],
) -> impl Iterator<Item = &'a StoredRun> + 'a {
    acknowledged.iter().map(|delivery| &runs[&delivery.run])
}

/// Each run's status, or that it is not stored.
fn stored_statuses<'a>(stored: &'a HashMap<u64, StoredRun>, ids: &[u64]) -> Vec<(u64, Option<&'a str>)> {
    ids.iter().map(|id| (*id, stored.get(id).map(|run| run.status.as_str()))).collect()
}

/// How many of `runs` each process ran.
fn runs_per_process<'a>(runs: impl Iterator<Item = &'a StoredRun>) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for pid in runs.filter_map(|run| run.pid) {
        *counts.entry(pid).or_default() += 1;
    }
    counts
}

/// The runs of the schedule flow `tick` by (instance, tick in ms).
fn ticks_per_instance(database: &Database) -> BTreeMap<(String, i64), Vec<StoredRun>> {
    let mut ticks: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for run in stored_runs(database).into_values().filter(|run| run.flow == "tick") {
        let ms = run.delivery_id.strip_prefix("tick:").and_then(|ms| ms.parse().ok());
        let ms: i64 = ms.unwrap_or_else(|| panic!("a schedule run without its tick: {run:?}"));
        ticks.entry((run.instance.clone(), ms)).or_default().push(run);
    }
    ticks
}

/// The whole seconds (since the epoch) from `skip_first` after `from` to `skip_last` before `to`.
fn whole_seconds(
    from: jiff::Timestamp,
    skip_first: i64,
    to: jiff::Timestamp,
    skip_last: i64,
) -> std::ops::RangeInclusive<i64> {
    (from.as_second() + 1 + skip_first)..=(to.as_second() - skip_last)
}

/// The ids of the runs `runs --json ARGS` lists, as the binary's command line reads the store.
fn cli_run_ids(binary: &Binary, args: &[&str]) -> BTreeSet<u64> {
    let listed = binary.json(&[&["runs", "--json", "--limit", "1000"], args].concat());
    listed.as_array().expect("an array of runs").iter().map(|run| run["id"].as_u64().expect("a run id")).collect()
}

/// Fails naming the lines `server` logged at ERROR.
pub(crate) fn assert_no_error_logged(server: &Server) {
    let errors = lines_at(server, "ERROR");
    assert!(errors.is_empty(), "a server logged errors:\n{}", errors.join("\n"));
}

/// The lines `server` logged at `level`, each cut to its first 300 characters.
fn lines_at(server: &Server, level: &str) -> Vec<String> {
    let level = format!(" {level} ");
    let logged = server.logged();
    logged.lines().filter(|line| line.contains(&level)).map(|line| line.chars().take(300).collect()).collect()
}

pub(crate) fn pids(nodes: &[Server]) -> BTreeSet<u32> {
    nodes.iter().map(Server::pid).collect()
}

// ---- load ----

/// A delivery a server answered 202: which server (its place in the load's list), to which of
/// the load's paths, and the run stored for it.
#[derive(Clone, Debug)]
struct Acknowledged {
    node: usize,
    path: usize,
    run: u64,
}

fn run_ids(acknowledged: &[Acknowledged]) -> Vec<u64> {
    acknowledged.iter().map(|delivery| delivery.run).collect()
}

/// Deliveries to instance `a` of each server in turn, and to each path in turn, from a few
/// senders at once; what each server answered is kept.
struct Load {
    /// Each server's hook base, `None` once taken out: it gets no more deliveries.
    targets: Mutex<Vec<Option<String>>>,
    paths: Vec<String>,
    next: AtomicU64,
    limit: u64,
    stopped: AtomicBool,
    acknowledged: Mutex<Vec<Acknowledged>>,
    /// What each delivery that was not acknowledged got instead.
    unacknowledged: Mutex<Vec<String>>,
}

impl Load {
    /// At most `limit` deliveries to `servers`.
    fn new<'a>(servers: impl IntoIterator<Item = &'a Server>, paths: &[&str], limit: u64) -> Arc<Load> {
        let targets = servers.into_iter().map(|server| Some(server.hook("a", ""))).collect();
        Arc::new(Load {
            targets: Mutex::new(targets),
            paths: paths.iter().map(|path| (*path).to_owned()).collect(),
            next: AtomicU64::new(0),
            limit,
            stopped: AtomicBool::new(false),
            acknowledged: Mutex::new(Vec::new()),
            unacknowledged: Mutex::new(Vec::new()),
        })
    }

    /// Sends from `senders` connections at once until `limit` deliveries went out or
    /// [`Load::stop`].
    async fn send(self: Arc<Self>, senders: usize) {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
        let senders: Vec<_> = (0..senders).map(|_| tokio::spawn(self.clone().sender(client.clone()))).collect();
        for sender in senders {
            sender.await.expect("a sender");
        }
    }

    async fn sender(self: Arc<Self>, client: reqwest::Client) {
        while !self.stopped.load(Ordering::SeqCst) {
            let id = self.next.fetch_add(1, Ordering::SeqCst);
            let Some((node, path, url)) = self.target(id).filter(|_| id < self.limit) else { return };
            let answer = client.post(&url).body(format!("{{\"delivery\":{id}}}")).send().await;
            match answer {
                Ok(response) if response.status() == 202 => {
                    let run = response.json::<Value>().await.ok().and_then(|answer| answer["run_id"].as_u64());
                    match run {
                        Some(run) => self.acknowledged.lock().unwrap().push(Acknowledged { node, path, run }),
                        None => self.unacknowledged.lock().unwrap().push(format!("{url}: 202 without a run id")),
                    }
                }
                Ok(response) => self.unacknowledged.lock().unwrap().push(format!("{url}: {}", response.status())),
                Err(error) => self.unacknowledged.lock().unwrap().push(format!("{url}: {error}")),
            }
        }
    }

    /// Delivery `id`'s server and path: the servers in turn, then the paths in turn.
    fn target(&self, id: u64) -> Option<(usize, usize, String)> {
        let targets = self.targets.lock().unwrap();
        let live: Vec<(usize, &String)> =
            targets.iter().enumerate().filter_map(|(node, base)| Some(node).zip(base.as_ref())).collect();
        let (node, base) = *live.get(id as usize % live.len().max(1))?;
        let path = (id as usize / live.len()) % self.paths.len();
        Some((node, path, format!("{base}{}", self.paths[path])))
    }

    /// No more deliveries to server `node`.
    fn take_out(&self, node: usize) {
        self.targets.lock().unwrap()[node] = None;
    }

    /// The senders stop after the delivery each is sending.
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    fn acknowledged(&self) -> Vec<Acknowledged> {
        self.acknowledged.lock().unwrap().clone()
    }

    fn unacknowledged(&self) -> Vec<String> {
        self.unacknowledged.lock().unwrap().clone()
    }
}

/// Runs `future` on a runtime of its own (the binaries' helpers block; only the load is async).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    runtime.expect("a tokio runtime").block_on(future)
}

/// PostgreSQL restarted under load: while it is down, deliveries are answered 503 with
/// `Retry-After` (nothing stored, the sender retries), and once it is back the servers take
/// deliveries again, and every delivery acknowledged, before or after, runs. (It stops the
/// machine's PostgreSQL for a moment: the scale-out tests take turns, and no other test uses it.)
#[test]
fn postgresql_restarted_under_load_answers_503_meanwhile_and_loses_no_acknowledged_delivery() {
    let Some(store) = SharedStore::create() else { return };
    let Some(cluster) = LocalCluster::find() else { return };
    let binary = store.binary("scale_out");
    activate(&binary, &["a"]);
    let mut nodes = binary.serve_nodes(3, &["serve"]);
    let load = Load::new(&nodes, &["/whoami"], 20_000);
    let probe = nodes[0].hook("a", "/whoami");

    let (refusal, acknowledged_at_restart) = block_on(async {
        let sending = tokio::spawn(load.clone().send(6));
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::task::spawn_blocking(move || cluster.stop()).await.expect("stopping PostgreSQL");
        let refusal = refused_while_down(&probe).await;
        tokio::task::spawn_blocking(move || cluster.start()).await.expect("starting PostgreSQL");
        let acknowledged_at_restart = load.acknowledged().len();
        // Long enough for every server's connections to be made again and used.
        tokio::time::sleep(Duration::from_secs(6)).await;
        load.stop();
        sending.await.expect("the senders");
        (refusal, acknowledged_at_restart)
    });
    let refusal = refusal.expect("deliveries were still acknowledged 20 s after PostgreSQL stopped");
    assert_eq!(refusal.0, 503, "while PostgreSQL was down a delivery got {refusal:?}");
    assert!(refusal.1.is_some(), "the 503 has no Retry-After");

    let acknowledged = load.acknowledged();
    // A claim PostgreSQL committed as it went down, its answer lost, leaves its runs leased to
    // a server that never heard of them: they run again once the lease runs out.
    succeeded(&store.database, &run_ids(&acknowledged), Instant::now() + TAKEOVER);
    let after_restart = acknowledged.len() - acknowledged_at_restart;
    println!(
        "{} deliveries acknowledged ({after_restart} after the restart), {} refused meanwhile",
        acknowledged.len(),
        load.unacknowledged().len()
    );
    assert!(after_restart > 0, "no delivery was acknowledged after PostgreSQL came back");
    assert!(nodes.iter_mut().all(Server::is_running), "a server stopped");
}

/// What a delivery gets while PostgreSQL is down: the status and the `Retry-After` of the first
/// answer that is not a 202 (a delivery may still be acknowledged on a connection that has not
/// noticed yet), within 20 s. It never fails: PostgreSQL must be started again whatever it finds.
async fn refused_while_down(url: &str) -> Option<(u16, Option<String>)> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(answer) = client.post(url).body("{}").send().await
            && answer.status() != 202
        {
            let retry_after =
                answer.headers().get("retry-after").and_then(|value| value.to_str().ok()).map(str::to_owned);
            return Some((answer.status().as_u16(), retry_after));
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The machine's own PostgreSQL cluster, stopped and started with `pg_ctlcluster`.
#[derive(Clone, Copy)]
struct LocalCluster {
    version: u32,
}

impl LocalCluster {
    /// The cluster, if this machine has one `pg_ctlcluster` manages (else the test says so and
    /// passes, unless services are required).
    fn find() -> Option<LocalCluster> {
        let version = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|versions| versions.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok()).max());
        match version {
            Some(version) => Some(LocalCluster { version }),
            None if std::env::var("AQUEDUCT_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("the restart test needs the local PostgreSQL cluster (/etc/postgresql, pg_ctlcluster)")
            }
            None => {
                eprintln!("skipped: no local PostgreSQL cluster to restart (/etc/postgresql)");
                None
            }
        }
    }

    fn stop(self) {
        self.control(&["stop", "-m", "fast"]);
    }

    fn start(self) {
        self.control(&["start"]);
    }

    fn control(self, action: &[&str]) {
        let status = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.version.to_string(), "main"])
            .args(action)
            .status()
            .expect("running pg_ctlcluster");
        assert!(status.success(), "pg_ctlcluster {action:?} failed");
    }
}
