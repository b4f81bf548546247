//! The engine: every run starts through [`Engine::admit`]; it starts at once when a worker is
//! free, or waits in the inbox until a worker claims it; each attempt is recorded, and a
//! failed one is retried by the flow's policy. Which flow takes a pre-process endpoint's
//! delivery is decided here too ([`Router`]), for live deliveries and replays alike.

mod admit;
mod answer;
mod attempt;
mod calls;
mod claim;
mod execute;
mod files;
mod journal;
mod lease;
mod prune;
mod rate;
mod recorder;
mod replay;
mod route;
mod shares;
mod state;
mod tick;
mod traces;
mod workers;

pub(crate) use admit::{Admitted, Execution, NewRun};
pub(crate) use answer::{Answer, callback_of};
pub(crate) use files::{file_step, files_done};
pub(crate) use recorder::{Undo, current_tokens, init_tracing, keep_undo, step};
pub(crate) use replay::Unreplayable;
pub(crate) use route::{Routed, Router};
pub(crate) use workers::DEFAULT_WORKERS;

use crate::instances::Instances;
use crate::model::{Config, Flows, Handler, Retention};
use crate::store::{Pruning, Store};
use std::sync::Arc;
use url::Url;
use workers::Workers;

/// The engine of one process: the integration's flows, the store and instances they run
/// against, the HTTP client runs call third parties with, and the workers.
pub(crate) struct Engine<C: 'static> {
    flows: Flows<C>,
    store: Arc<dyn Store>,
    instances: Arc<Instances<C>>,
    /// Given to every run's context: connection pools are shared across runs.
    http: reqwest::Client,
    /// Where third parties reach this integration's endpoints; activation hooks name them.
    public_url: Url,
    router: Router<C>,
    workers: Workers,
    /// Each flow's retention, for the pruner.
    pruning: Arc<Pruning>,
    /// Sync flows' callers, waiting for their answers.
    waiters: answer::Waiters,
    /// The loops [`Engine::start`] spawned, ended by [`Engine::drain`]: each holds the engine,
    /// and so the store, which a stopped server must let go.
    loops: std::sync::Mutex<Option<Loops>>,
    /// Where each attempt goes as a span, when the server has a collector.
    traces: std::sync::OnceLock<traces::Traces>,
}

/// A serving engine's loops.
struct Loops {
    /// Ends by itself once the drain begins; it may be handing runs back to the inbox then.
    claims: tokio::task::JoinHandle<()>,
    /// Loops that would only see the drain at their next wake-up, with nothing to finish.
    waiting: Vec<tokio::task::JoinHandle<()>>,
}

impl<C: Config> Engine<C> {
    /// An engine; a serving process then starts its loops with [`Engine::start`].
    pub(crate) fn new(
        flows: Flows<C>,
        store: Arc<dyn Store>,
        instances: Arc<Instances<C>>,
        http: reqwest::Client,
        public_url: Url,
        workers: usize,
        retention: Retention,
    ) -> Arc<Engine<C>> {
        let router = Router::new(flows);
        let pruning = Arc::new(prune::pruning(flows, retention));
        let on_workers = flows.iter().filter(|flow| matches!(flow.handler, Handler::Event { .. })).count();
        let workers = Workers::new(workers, on_workers);
        Arc::new(Engine {
            flows,
            store,
            instances,
            http,
            public_url,
            router,
            workers,
            pruning,
            waiters: Default::default(),
            loops: Default::default(),
            traces: Default::default(),
        })
    }

    /// Starts claiming runs from the inbox and keeping leases, until [`Engine::drain`].
    pub(crate) fn start(self: &Arc<Self>) {
        let loops = Loops {
            claims: tokio::spawn(self.clone().claim_loop()),
            waiting: vec![
                tokio::spawn(self.clone().announcement_loop()),
                tokio::spawn(self.clone().maintenance_loop()),
                tokio::spawn(self.clone().prune_loop()),
            ],
        };
        *self.loops.lock().expect("the loops' lock") = Some(loops);
    }

    /// Sends each attempt from now on as a span to the OpenTelemetry collector at `endpoint`.
    pub(crate) fn export_traces(&self, endpoint: &Url, service: &'static str) {
        let _ = self.traces.set(traces::Traces::start(endpoint, service, self.http.clone()));
    }

    pub(crate) fn flows(&self) -> Flows<C> {
        self.flows
    }

    pub(crate) fn router(&self) -> &Router<C> {
        &self.router
    }

    pub(crate) fn public_url(&self) -> &Url {
        &self.public_url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Whether shutdown has begun: no new run starts.
    pub(crate) fn is_stopping(&self) -> bool {
        self.workers.is_stopping()
    }
}
