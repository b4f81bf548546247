//! What a flow gets first: its run's context ([`Ctx`]) or, for lifecycle hooks, the
//! activation's ([`Activation`]).

use super::calls::{Call, FlowCalls, Invocable};
use super::changes::{Changes, Record, Seen, detect};
use super::echoes::{EchoMarks, Echoes};
use super::error::{Error, Result};
use super::flow::{Flow, WebhookFlow};
use super::run::RunId;
use super::state::{State, StateSlots, StateValue};
use super::tick::Tick;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use url::Url;

/// The context of one run of a flow: the customer instance's typed configuration, the run's
/// identity and tracing span, and a shared HTTP client.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { inventory_url: Url }
///
/// #[flow(webhook, path = "/ping")]
/// async fn ping(ctx: Ctx<Settings>) -> Result<String> {
///     tracing::info!(instance = ctx.instance(), "pinged");
///     Ok(format!("run {} for {}", ctx.run_id(), ctx.config().inventory_url))
/// }
/// # aqueduct::integration! { name: "ping", config: Settings, flows: [ping] }
/// ```
pub struct Ctx<C> {
    config: Arc<C>,
    run: Arc<RunInfo>,
    http: reqwest::Client,
    state: Arc<dyn StateSlots>,
    calls: Arc<dyn FlowCalls<C>>,
    echoes: Arc<dyn EchoMarks>,
}

/// Who is running: shared by the clones of one run's `Ctx`.
pub(crate) struct RunInfo {
    pub instance: String,
    pub flow: &'static str,
    pub run_id: RunId,
    pub attempt: u32,
    pub span: tracing::Span,
    /// A schedule flow's tick.
    pub tick: Option<Tick>,
    /// How many calls to other flows the attempt has made.
    pub calls: AtomicU32,
}

impl<C> Ctx<C> {
    pub(crate) fn new(
        config: Arc<C>,
        run: RunInfo,
        http: reqwest::Client,
        state: Arc<dyn StateSlots>,
        calls: Arc<dyn FlowCalls<C>>,
        echoes: Arc<dyn EchoMarks>,
    ) -> Ctx<C> {
        Ctx { config, run: Arc::new(run), http, state, calls, echoes }
    }

    /// Echo suppression for a two-way integration, against `system` (your name for it, e.g.
    /// `"crm"`): mark each record [before writing it there](Echoes::writing), and ask of each
    /// change that system reports [whether it is that write coming back](Echoes::is_echo).
    /// Marks are kept per instance, shared by its flows, for an hour ([`Echoes::within`]).
    ///
    /// ```
    /// use aqueduct::prelude::*;
    /// # #[derive(Deserialize)] struct Settings {}
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Contact { email: String, name: String }
    ///
    /// impl Record for Contact {
    ///     fn id(&self) -> String { self.email.clone() }
    /// }
    ///
    /// /// Your app changed a contact: write it to the CRM, unless it is the CRM's own change
    /// /// coming back from your app.
    /// #[flow(webhook, path = "/app/contacts")]
    /// async fn contact_changed_in_app(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<bool> {
    ///     if ctx.echoes("app").is_echo(&contact).await? {
    ///         return Ok(false);
    ///     }
    ///     ctx.echoes("crm").writing(&contact).await?;
    ///     // … upsert `contact` in the CRM …
    ///     Ok(true)
    /// }
    /// # aqueduct::integration! { name: "contacts", config: Settings, flows: [contact_changed_in_app] }
    /// ```
    pub fn echoes(&self, system: &str) -> Echoes {
        Echoes::new(self.echoes.clone(), &self.run.instance, system)
    }

    /// Runs the flow `F` of this instance with `input` and waits for what it returns. The
    /// callee is a run of its own (retried by its policy, shown by `runs`), and the call is a
    /// durable step: a retried caller gets the first callee's output instead of starting
    /// another. `F` takes `input` as its `Json<…>`; the compiler checks both types.
    ///
    /// ```
    /// use aqueduct::prelude::*;
    /// # #[derive(Deserialize)] struct Settings {}
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Contact { email: String }
    ///
    /// #[flow(webhook, path = "/contacts/upsert")]
    /// async fn upsert_contact(_ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    ///     Ok(format!("crm-{}", contact.email))
    /// }
    ///
    /// #[flow(webhook, path = "/signups")]
    /// async fn signup(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    ///     let crm_id: String = ctx.invoke::<upsert_contact>(contact).await?;
    ///     Ok(crm_id)
    /// }
    /// # aqueduct::integration! { name: "signups", config: Settings, flows: [upsert_contact, signup] }
    /// ```
    pub async fn invoke<F: Invocable<C>>(&self, input: F::Input) -> Result<F::Output>
    where
        C: 'static,
        F::Input: Serialize,
        F::Output: DeserializeOwned,
    {
        let call = self.call();
        let output = self.calls.invoke(F::DESCRIPTOR.name, call, serde_json::to_vec(&input)?).await?;
        serde_json::from_value(output.unwrap_or_default()).map_err(|error| {
            Error::permanent(Error::msg(format!(
                "the output of `{}` does not fit its type: {error}",
                F::DESCRIPTOR.name
            )))
        })
    }

    /// Starts a run of the flow `F` of this instance with `input` and returns its id, without
    /// waiting for it; a retried caller does not start a second one.
    pub async fn enqueue<F: Invocable<C>>(&self, input: F::Input) -> Result<RunId>
    where
        C: 'static,
        F::Input: Serialize,
    {
        let call = self.call();
        self.calls.enqueue(F::DESCRIPTOR.name, call, serde_json::to_vec(&input)?).await
    }

    /// The next call this attempt makes; numbered in order, as its steps are.
    fn call(&self) -> Call {
        let number = self.run.calls.fetch_add(1, Ordering::Relaxed) + 1;
        Call { caller: self.run.run_id, instance: self.run.instance.clone(), number }
    }

    /// The configuration of the customer instance this run belongs to.
    pub fn config(&self) -> &C {
        &self.config
    }

    /// The name of the customer instance this run belongs to.
    pub fn instance(&self) -> &str {
        &self.run.instance
    }

    /// The name of the running flow.
    pub fn flow(&self) -> &'static str {
        self.run.flow
    }

    /// The run's id, as `runs` shows it.
    pub fn run_id(&self) -> RunId {
        self.run.run_id
    }

    /// Which attempt this is, starting at 1.
    pub fn attempt(&self) -> u32 {
        self.run.attempt
    }

    /// The tick this run of a schedule flow stands for; `None` for other flows, and for a run
    /// of a schedule flow started by `invoke`.
    pub fn tick(&self) -> Option<&Tick> {
        self.run.tick.as_ref()
    }

    /// The run's tracing span; events inside the flow are recorded in it already.
    pub fn span(&self) -> &tracing::Span {
        &self.run.span
    }

    /// A shared HTTP client (connection pools are reused across runs).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// This flow's state for this instance (`T::default()` until a run commits one); a change
    /// is committed when the run succeeds. One state per flow and instance: see [`State`].
    pub async fn state<T: StateValue>(&self) -> Result<State<T>> {
        State::load(self.state.slot("")).await
    }

    /// This flow's cursor for this instance: where the last successful run got to (a time, a
    /// page token, an id), `T::default()` until one is committed. It advances only when the run
    /// succeeds, committed with the run's result; a failed run leaves it where it was, so the
    /// next run starts from the same place. It is kept apart from [`Ctx::state`], and races
    /// with other runs of the flow as the state does.
    ///
    /// ```
    /// use aqueduct::prelude::*;
    /// # #[derive(Deserialize)] struct Settings {}
    ///
    /// #[derive(Default, Serialize, Deserialize)]
    /// struct Since { updated_after: Option<jiff::Timestamp> }
    ///
    /// #[flow(schedule = "*/5 * * * *")]
    /// async fn poll_orders(ctx: Ctx<Settings>) -> Result<()> {
    ///     let mut since = ctx.cursor::<Since>().await?;
    ///     // … fetch the orders updated after `since.updated_after`, import them …
    ///     since.updated_after = Some(jiff::Timestamp::now());
    ///     Ok(())
    /// }
    /// # aqueduct::integration! { name: "orders", config: Settings, flows: [poll_orders] }
    /// ```
    pub async fn cursor<T: StateValue>(&self) -> Result<State<T>> {
        State::load(self.state.slot("cursor")).await
    }

    /// What changed in a third party's records since this flow's last successful run for this
    /// instance, for an API that can only list everything: hand over the full current listing,
    /// get back what was created, updated (its JSON differs) or deleted (no longer listed).
    /// A digest of each record is kept per flow and instance and committed with the run's
    /// success, so a failed run hands the same changes to the next, and a successful one never
    /// hands a change on twice.
    ///
    /// ```
    /// use aqueduct::prelude::*;
    /// # #[derive(Deserialize)] struct Settings {}
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Product { sku: String, price_cents: u64 }
    ///
    /// impl Record for Product {
    ///     fn id(&self) -> String { self.sku.clone() }
    /// }
    ///
    /// #[flow(schedule = "0 * * * *")]
    /// async fn sync_catalog(ctx: Ctx<Settings>) -> Result<usize> {
    ///     let listed = vec![Product { sku: "A-1".into(), price_cents: 1999 }];
    ///     let changes = ctx.changes(listed).await?;
    ///     // … create `changes.created`, update `changes.updated`, remove `changes.deleted` …
    ///     Ok(changes.created.len() + changes.updated.len() + changes.deleted.len())
    /// }
    /// # aqueduct::integration! { name: "catalog", config: Settings, flows: [sync_catalog] }
    /// ```
    pub async fn changes<R: Record>(&self, listed: impl IntoIterator<Item = R>) -> Result<Changes<R>> {
        let mut seen = State::<Seen>::load(self.state.slot("records")).await?;
        let (changes, now) = detect(&seen, listed)?;
        if !changes.is_empty() {
            seen.set(now);
        }
        Ok(changes)
    }
}

impl<C> Clone for Ctx<C> {
    fn clone(&self) -> Self {
        Ctx {
            config: self.config.clone(),
            run: self.run.clone(),
            http: self.http.clone(),
            state: self.state.clone(),
            calls: self.calls.clone(),
            echoes: self.echoes.clone(),
        }
    }
}

/// The context of an `on_activate` or `on_deactivate` hook: the instance being activated or
/// removed, its configuration, and the public URLs of its webhook flows.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { inventory_url: Url }
///
/// #[flow(webhook, path = "/stock")]
/// async fn stock_changed(ctx: Ctx<Settings>) -> Result<()> { Ok(()) }
///
/// #[flow(on_activate)]
/// async fn register(ctx: Activation<Settings>) -> Result<()> {
///     let url = ctx.endpoint::<stock_changed>();
///     assert!(url.path().ends_with("/stock"));
///     Ok(())
/// }
/// # aqueduct::integration! { name: "stock", config: Settings, flows: [stock_changed, register] }
/// ```
pub struct Activation<C> {
    config: Arc<C>,
    instance: String,
    public_url: Url,
    http: reqwest::Client,
    /// What the instance's `on_activate` returned, as stored (JSON), for `on_deactivate`.
    registered: Option<String>,
}

impl<C: 'static> Activation<C> {
    pub(crate) fn new(
        config: Arc<C>,
        instance: String,
        public_url: Url,
        http: reqwest::Client,
        registered: Option<String>,
    ) -> Activation<C> {
        Activation { config, instance, public_url, http, registered }
    }

    /// What the instance's `on_activate` registered, for an `on_deactivate` that takes it.
    #[doc(hidden)]
    pub fn registered<T: DeserializeOwned>(&self) -> Result<T> {
        let stored = self.registered.as_deref().unwrap_or("null");
        serde_json::from_str(stored).map_err(|error| {
            let missing = if self.registered.is_none() {
                "no registration is stored for it (it was activated before on_activate returned one), and "
            } else {
                ""
            };
            Error::permanent(Error::msg(format!(
                "the instance `{}`'s registration cannot be read: {missing}it does not fit `{}` ({error}); \
                 deactivate it with --force and remove what it registered by hand",
                self.instance,
                std::any::type_name::<T>()
            )))
        })
    }

    /// The configuration of the instance.
    pub fn config(&self) -> &C {
        &self.config
    }

    /// The instance's name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// A shared HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The public URL at which this instance receives the webhook flow `F`, e.g.
    /// `https://hooks.example.com/hooks/acme/inventory`. Naming a flow that is not a webhook
    /// flow of this integration does not compile.
    pub fn endpoint<F: WebhookFlow + Flow<C>>(&self) -> Url {
        endpoint_url(&self.public_url, &self.instance, F::PATH)
    }
}

/// `{public_url}/hooks/{instance}{path}`, keeping any path prefix of the public URL.
pub(crate) fn endpoint_url(public_url: &Url, instance: &str, path: &str) -> Url {
    let mut url = public_url.clone();
    let prefix = public_url.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/hooks/{instance}{path}"));
    url
}

/// Whether `url` names the unspecified address (`0.0.0.0`, `[::]`), which a server listens on
/// but no third party can send to.
pub(crate) fn names_no_reachable_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_unspecified(),
        _ => false,
    }
}

/// What both contexts offer, for a component's constructor that runs in flows and hooks.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { api_url: Url, api_token: Secret }
///
/// #[component]
/// struct Crm { base: Url, token: Secret, http: reqwest::Client }
///
/// #[component]
/// impl Crm {
///     fn connect(ctx: &impl FlowContext<Settings>) -> Crm {
///         let settings = ctx.config();
///         Crm { base: settings.api_url.clone(), token: settings.api_token.clone(), http: ctx.http().clone() }
///     }
/// }
/// ```
pub trait FlowContext<C> {
    /// The instance's configuration.
    fn config(&self) -> &C;
    /// The instance's name.
    fn instance(&self) -> &str;
    /// A shared HTTP client.
    fn http(&self) -> &reqwest::Client;
}

impl<C> FlowContext<C> for Ctx<C> {
    fn config(&self) -> &C {
        Ctx::config(self)
    }
    fn instance(&self) -> &str {
        Ctx::instance(self)
    }
    fn http(&self) -> &reqwest::Client {
        Ctx::http(self)
    }
}

impl<C: 'static> FlowContext<C> for Activation<C> {
    fn config(&self) -> &C {
        Activation::config(self)
    }
    fn instance(&self) -> &str {
        Activation::instance(self)
    }
    fn http(&self) -> &reqwest::Client {
        Activation::http(self)
    }
}
