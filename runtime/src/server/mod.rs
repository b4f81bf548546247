//! An integration served in this process: what `serve` runs, and what tests, benchmarks and
//! custom `main`s start directly.

mod idle;
mod listener;
mod open_files;

use crate::admin::{self, Admin};
use crate::engine::{DEFAULT_WORKERS, Engine};
use crate::ingress::{self, Endpoints};
use crate::instances::{AdminTokens, FIRST_TOKEN, Instances, Sealer};
use crate::integration::{Demo, Integration};
use crate::lifecycle;
use crate::model::{Config, Error, Flows, Result, Trigger, names_no_reachable_host, parse_config};
use crate::outbound;
use crate::schedule;
use crate::store::{self, Role, Store};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

/// Where and how a [`Server`] runs; the defaults are those of `serve`.
///
/// ```
/// let options = aqueduct::ServerOptions { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
/// assert_eq!(options.store, "sqlite:aqueduct.db");
/// ```
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The store URL, e.g. `sqlite:aqueduct.db`.
    pub store: String,
    /// The address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The URL third parties reach the server at; `http://` and the bound address when `None`.
    pub public_url: Option<Url>,
    /// How long [`Server::stop`] waits for runs in progress.
    pub drain_timeout: Duration,
    /// Deliveries that may wait to be written before webhooks are answered 503.
    pub queue_capacity: usize,
    /// Runs executing at once (256 by default, from 1 to 65,535); a flow's `concurrency = N` limits
    /// within it.
    pub workers: usize,
    /// How long a client has to send a request's headers, from connecting or, on a kept-alive
    /// connection, from the previous answer (10 s by default); then the connection is closed.
    pub header_timeout: Duration,
    /// How long a delivery's body has to arrive once its endpoint reads it (30 s by default); a
    /// slower one is answered 408 and nothing is stored.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may go without anything arriving between requests
    /// before it is closed (5 s by default). The wait for a next request also counts against
    /// the header timeout, so a longer idle timeout has that one's effect.
    pub idle_timeout: Duration,
    /// The file of the key that encrypts instances' configurations; `None` (the default):
    /// `AQUEDUCT_KEY_FILE`, else `PATH.key` beside a `sqlite:PATH` store, else `aqueduct.key`.
    pub key_file: Option<std::path::PathBuf>,
    /// Connections open at once; beyond it, new ones are closed as soon as they are accepted
    /// while those open go on being served. `None` (the default): 10,000, or half the open-file
    /// limit if that is lower, leaving the other half to the store and outbound connections.
    pub max_connections: Option<usize>,
    /// An OpenTelemetry collector's OTLP/HTTP address, such as `http://127.0.0.1:4318`: each
    /// run attempt is sent there as a span (to `/v1/traces`), its action calls as child spans.
    /// `None` (the default): nothing is sent.
    pub otlp_endpoint: Option<Url>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            store: "sqlite:aqueduct.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            drain_timeout: Duration::from_secs(30),
            queue_capacity: 4096,
            workers: usize::from(DEFAULT_WORKERS),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(5),
            key_file: None,
            max_connections: None,
            otlp_endpoint: None,
        }
    }
}

/// A running integration: webhook server, scheduler and workers.
///
/// ```no_run
/// use aqueduct::prelude::*;
/// use aqueduct::{Server, ServerOptions};
///
/// #[derive(Deserialize)]
/// struct Settings {}
///
/// #[flow(webhook, path = "/ping")]
/// async fn ping(_ctx: Ctx<Settings>) -> Result<()> { Ok(()) }
///
/// mod app {
///     aqueduct::integration! { name: "ping", config: super::Settings, flows: [super::ping] }
/// }
///
/// # fn main() {}
/// # async fn run() -> aqueduct::Result<()> {
/// let options = ServerOptions { store: "sqlite:test.db".into(), listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
/// let server = Server::start(app::INTEGRATION, options).await?;
/// server.activate("acme", serde_json::json!({})).await?;
/// reqwest::Client::new().post(format!("{}hooks/acme/ping", server.url())).send().await?;
/// server.stop().await;
/// # Ok(()) }
/// ```
pub struct Server<C: Config> {
    engine: Arc<Engine<C>>,
    instances: Arc<Instances<C>>,
    store: Arc<dyn Store>,
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    http: JoinHandle<()>,
    /// The source supervisors.
    sources: Vec<JoinHandle<()>>,
    /// The schedule flows' tickers.
    schedules: schedule::Schedules,
    /// Reads the instances again every second, until the server stops.
    refresher: JoinHandle<()>,
    drain_timeout: Duration,
}

impl<C: Config> Server<C> {
    /// Opens the store (taking over runs a stopped server left), raises the open-file limit to
    /// its hard limit (and logs it), binds the address and starts serving, ticking and working.
    pub async fn start(integration: Integration<C>, options: ServerOptions) -> Result<Server<C>> {
        Server::launch(integration, options, Front::Tcp).await.map(|(server, _)| server)
    }

    /// As [`Server::start`], but answering requests only through the router it returns (no
    /// port), and with no clock-driven schedules or broker consumers: what `testing` drives.
    pub(crate) async fn in_process(integration: Integration<C>, options: ServerOptions) -> Result<(Server<C>, Router)> {
        let (server, router) = Server::launch(integration, options, Front::InProcess).await?;
        Ok((server, router.expect("an in-process server has its router")))
    }

    async fn launch(
        integration: Integration<C>,
        options: ServerOptions,
        front: Front,
    ) -> Result<(Server<C>, Option<Router>)> {
        let store = store::open(&options.store, Role::Server { queue_capacity: options.queue_capacity }).await?;
        let listener = match front {
            Front::Tcp => Some(tokio::net::TcpListener::bind(options.listen).await.map_err(|error| {
                Error::msg(format!(
                    "cannot listen on {}: {error}; choose another address with --listen or AQUEDUCT_LISTEN",
                    options.listen
                ))
            })?),
            Front::InProcess => None,
        };
        let address = match &listener {
            Some(listener) => listener.local_addr()?,
            None => options.listen,
        };
        let public_url = match options.public_url.clone() {
            Some(url) => url,
            None => Url::parse(&format!("http://{address}")).expect("an address is a URL"),
        };
        // Commands run beside the server (`instances activate`) name endpoints with it.
        store.record_public_url(public_url.as_str()).await?;
        if listener.is_some() && names_no_reachable_host(&public_url) {
            tracing::warn!(%public_url, "endpoint URLs name an address no third party can reach; give the server its --public-url");
        }
        move_old_delivery_ids(store.as_ref(), integration.flows()).await?;
        let sealer = match &options.key_file {
            Some(path) => Sealer::at(path.clone()),
            None => Sealer::for_store(&options.store),
        };
        let instances = Arc::new(Instances::new(store.clone(), Arc::new(sealer)));
        instances.check_sealed(true).await?;
        instances.all().await?;
        let workers = options.workers.clamp(1, usize::from(u16::MAX));
        let flows = integration.flows();
        let http = outbound::runs_client()?;
        let engine =
            Engine::new(flows, store.clone(), instances.clone(), http, public_url, workers, integration.retention());
        if let Some(endpoint) = &options.otlp_endpoint {
            engine.export_traces(endpoint, integration.name());
        }
        engine.start();
        let (schedules, sources) = match front {
            Front::Tcp => {
                (schedule::start(&engine, &instances, &store)?, start_sources(&engine, &instances, &integration))
            }
            Front::InProcess => (schedule::Schedules::default(), Vec::new()),
        };
        let refresher = tokio::spawn(instances.clone().keep_fresh());

        let admin_tokens = Arc::new(AdminTokens::new(store.clone()));
        let endpoints = Endpoints {
            engine: engine.clone(),
            instances: instances.clone(),
            store: store.clone(),
            admin_tokens: admin_tokens.clone(),
            handshakes: outbound::handshake_client()?,
            body_timeout: options.body_timeout,
        };
        let admin =
            Admin { engine: engine.clone(), instances: instances.clone(), store: store.clone(), tokens: admin_tokens };
        let router = ingress::router(endpoints).merge(admin::router(admin));
        let (stop, stopped) = oneshot::channel::<()>();
        let (http, router) = match listener {
            Some(listener) => {
                let limits = listener::Limits::new(&options, open_files::raise_limit());
                let serving = listener::serve(listener, router, limits, async move {
                    let _ = stopped.await;
                });
                (tokio::spawn(serving), None)
            }
            None => (tokio::spawn(async move { drop(stopped.await) }), Some(router)),
        };
        let server = Server {
            engine,
            instances,
            store,
            address,
            stop,
            http,
            sources,
            schedules,
            refresher,
            drain_timeout: options.drain_timeout,
        };
        Ok((server, router))
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL endpoints start with (the public URL).
    pub fn url(&self) -> &Url {
        self.engine.public_url()
    }

    /// Activates (or re-configures) the instance `name`, as `instances activate` does with a
    /// config file holding `config`.
    pub async fn activate(&self, name: &str, config: serde_json::Value) -> Result<()> {
        lifecycle::activate(&self.engine, &self.instances, name, parse_config::<C>(config)?).await.map(drop)
    }

    /// Makes an admin token named `name` for the admin API and the dashboard, as `admin token
    /// create NAME` does, and gives its value (only its digest is stored); `None` when the
    /// store has a token of that name.
    ///
    /// ```no_run
    /// # async fn run<C: aqueduct::Config>(server: aqueduct::Server<C>) -> aqueduct::Result<()> {
    /// let token = server.create_admin_token("deploys").await?.expect("no token is named so yet");
    /// let runs = reqwest::Client::new().get(format!("http://{}/admin/runs", server.address())).bearer_auth(token);
    /// # Ok(()) }
    /// ```
    pub async fn create_admin_token(&self, name: &str) -> Result<Option<String>> {
        AdminTokens::new(self.store.clone()).create(name).await
    }

    /// Makes the store's first admin token when it never had one, and gives its value (shown
    /// once: only its digest is kept); `None` when it has or had one (revoked tokens are kept),
    /// or another server made it.
    pub(crate) async fn first_admin_token(&self) -> Result<Option<String>> {
        let tokens = AdminTokens::new(self.store.clone());
        if !tokens.list().await?.is_empty() {
            return Ok(None);
        }
        tokens.create(FIRST_TOKEN).await
    }

    pub(crate) fn engine(&self) -> &Arc<Engine<C>> {
        &self.engine
    }

    pub(crate) fn instances(&self) -> &Arc<Instances<C>> {
        &self.instances
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A handle for the integration's demo.
    pub(crate) fn demo(&self) -> Demo<C> {
        Demo::new(self.engine.clone(), self.instances.clone(), self.store.clone())
    }

    /// Stops within the drain timeout: from the start, sources stop consuming and schedules
    /// ticking, deliveries are answered 503 with `Retry-After` and `/readyz` fails (requests in
    /// progress still commit before they are answered); runs get until the timeout to finish,
    /// and those that do not go back to the inbox for the next start; then the server closes
    /// its connections and flushes the store.
    pub async fn stop(self) {
        let deadline = tokio::time::Instant::now() + self.drain_timeout;
        // Sources stop taking messages first, as endpoints do; the brokers keep the rest. Ticks
        // stop too: a tick not admitted is one a stopped process would have missed.
        for supervisor in self.sources {
            supervisor.abort();
            let _ = supervisor.await;
        }
        self.schedules.stop().await;
        self.engine.drain(self.drain_timeout).await;
        let _ = self.stop.send(());
        if tokio::time::timeout_at(deadline, self.http).await.is_err() {
            tracing::warn!("connections still open at the drain timeout are closed");
        }
        self.refresher.abort();
        // Awaited, so the store it holds is let go: a server started next on it finds it free.
        let _ = self.refresher.await;
        self.store.close().await;
        tracing::info!("stopped");
    }
}

/// Pub/sub consumers, in a build with a source's feature.
#[cfg(any(feature = "nats", feature = "amqp", feature = "mqtt"))]
fn start_sources<C: Config>(
    engine: &Arc<Engine<C>>,
    instances: &Arc<Instances<C>>,
    integration: &Integration<C>,
) -> Vec<JoinHandle<()>> {
    crate::sources::start(crate::sources::Source {
        engine: engine.clone(),
        instances: instances.clone(),
        integration: integration.name(),
    })
}

#[cfg(not(any(feature = "nats", feature = "amqp", feature = "mqtt")))]
fn start_sources<C: Config>(_: &Arc<Engine<C>>, _: &Arc<Instances<C>>, _: &Integration<C>) -> Vec<JoinHandle<()>> {
    Vec::new()
}

/// How requests reach a server.
#[derive(Clone, Copy)]
enum Front {
    /// A TCP listener, with its limits.
    Tcp,
    /// The router, called in this process.
    InProcess,
}

/// Delivery ids an older aqueduct remembered for each event flow are its endpoint's now, as
/// every new one is: a delivery sent again after the upgrade is still a duplicate.
async fn move_old_delivery_ids<C>(store: &dyn Store, flows: Flows<C>) -> Result<()> {
    let moves: Vec<_> = flows
        .iter()
        .filter_map(|flow| match flow.trigger {
            Trigger::Event { preprocess, .. } => Some((flow.name, preprocess)),
            _ => None,
        })
        .collect();
    if moves.is_empty() { Ok(()) } else { store.move_delivery_ids(moves).await }
}
