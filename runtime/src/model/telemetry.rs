//! What the server counts and times for `/metrics`, in Prometheus's text format: every metric
//! aqueduct records is named here, with its labels. Flows and endpoints label them; customer
//! instances do not (thousands of them would make thousands of series).

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Seconds, from a millisecond to five minutes: a run's duration, a wait, a commit.
const BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP: Duration = Duration::from_secs(5);

/// The process's recorder, installed at the first call. The `metrics` facade has one recorder
/// per process, so servers started in one process (tests) count together.
pub(crate) fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder =
            PrometheusBuilder::new().set_buckets(BUCKETS).expect("the buckets are not empty").build_recorder();
        let handle = recorder.handle();
        // Another recorder installed first (a custom `main`'s) keeps counting; ours then
        // answers `/metrics` with nothing rather than fail the server.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed before aqueduct's; /metrics shows nothing");
        }
        // Histograms keep their samples until upkeep folds them in: without it, a server
        // nobody scrapes would hold every sample it ever recorded.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    upkeep.run_upkeep();
                }
            })
            .expect("starting the metrics upkeep thread");
        handle
    })
}

/// A request to an endpoint (its path, as the flow names it) answered with `status`.
pub(crate) fn delivery(endpoint: &str, status: u16) {
    metrics::counter!("aqueduct_deliveries_total", "endpoint" => endpoint.to_owned(), "status" => status.to_string())
        .increment(1);
}

/// A run of `flow` stored.
pub(crate) fn admitted(flow: &'static str) {
    metrics::counter!("aqueduct_runs_admitted_total", "flow" => flow).increment(1);
}

/// An attempt of `flow` started `waited` after it was due (admitted, or its retry's time).
pub(crate) fn started(flow: &str, waited: Duration) {
    metrics::histogram!("aqueduct_run_start_delay_seconds", "flow" => flow.to_owned()).record(waited.as_secs_f64());
}

/// An attempt of `flow` ended: the run `succeeded`, is `retrying`, or is `dead`.
pub(crate) fn attempted(flow: &str, outcome: &'static str, took: Duration) {
    let flow = flow.to_owned();
    metrics::counter!("aqueduct_runs_total", "flow" => flow.clone(), "status" => outcome).increment(1);
    metrics::histogram!("aqueduct_run_duration_seconds", "flow" => flow).record(took.as_secs_f64());
}

/// A schedule's tick of `flow` stored as a run `late` after its fire time and its jitter.
pub(crate) fn tick(flow: &'static str, late: Duration) {
    metrics::histogram!("aqueduct_tick_lateness_seconds", "flow" => flow).record(late.as_secs_f64());
}

/// A broker's message for `flow`, published `lag` before it was stored as a run.
#[cfg(any(feature = "nats", feature = "amqp", feature = "mqtt"))]
pub(crate) fn source_lag(flow: &'static str, lag: Duration) {
    metrics::histogram!("aqueduct_source_lag_seconds", "flow" => flow).record(lag.as_secs_f64());
}

/// A write to the store (`admit`, `finish`) committed in `took`.
pub(crate) fn committed(write: &'static str, took: Duration) {
    metrics::histogram!("aqueduct_store_commit_seconds", "write" => write).record(took.as_secs_f64());
}

/// The runs waiting in the inbox, as the store counted them for this scrape: the whole
/// store's, so servers sharing one report the same number.
pub(crate) fn queue_depth(depth: u64) {
    metrics::gauge!("aqueduct_queue_depth").set(depth as f64);
}
