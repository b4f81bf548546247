//! A test integration with one flow per behaviour the process tests need; built by
//! `cargo test` as the example `probe` and driven over HTTP and its command line.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    /// Echoed back, so a test can tell instances apart.
    label: String,
    /// A third-party API that `call_api` calls.
    api_url: Option<Url>,
    /// Signs deliveries to `/standard` (Standard Webhooks); the previous one too while rotating.
    signing_secret: Option<Secret>,
    previous_signing_secret: Option<Secret>,
    /// Signs deliveries to `/github`, GitHub style.
    github_secret: Option<Secret>,
    /// Signs Slack's requests to `/slack`.
    slack_secret: Option<Secret>,
    /// The `hub.verify_token` a subscription handshake to `/meta` must present.
    hub_token: Option<Secret>,
    /// How `/contacts` authenticates to the API at `api_url`.
    crm: Option<Connection>,
}

#[derive(Deserialize, Serialize)]
struct EchoQuery {
    page: u32,
}

/// Returns what each extractor read.
#[flow(webhook, path = "/echo")]
async fn echo(
    ctx: Ctx<Settings>,
    Query(query): Query<EchoQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<serde_json::Value> {
    let marker = headers.get("x-marker").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    Ok(serde_json::json!({
        "label": ctx.config().label,
        "page": query.page,
        "marker": marker,
        "body_len": body.len(),
    }))
}

/// Fires every second for each active instance.
#[flow(schedule = "* * * * * *")]
async fn tick(ctx: Ctx<Settings>) -> Result<String> {
    Ok(ctx.config().label.clone())
}

/// Fails every time.
#[flow(webhook, path = "/fail", retries = 2, backoff = "100ms..200ms")]
async fn fail(_ctx: Ctx<Settings>) -> Result<()> {
    tracing::warn!(reason = "by design", "about to fail");
    Err(Error::msg("this flow always fails"))
}

/// Fails on its first two attempts, then succeeds.
#[flow(webhook, path = "/flaky", retries = 3, backoff = "200ms..2s")]
async fn flaky(ctx: Ctx<Settings>) -> Result<u32> {
    if ctx.attempt() < 3 {
        return Err(Error::msg(format!("attempt {} fails", ctx.attempt())));
    }
    Ok(ctx.attempt())
}

/// Fails in a way no retry can fix.
#[flow(webhook, path = "/permanent", retries = 5, backoff = "100ms..1s")]
async fn permanent(_ctx: Ctx<Settings>) -> Result<()> {
    Err(Error::permanent(Error::msg("the order has no customer")))
}

/// Fails while a file named `broken` exists in the working directory.
#[flow(webhook, path = "/fixable", retries = 0)]
async fn fixable(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    if std::path::Path::new("broken").exists() {
        return Err(Error::msg("the file `broken` is there"));
    }
    Ok(body.len())
}

#[derive(Deserialize)]
struct Event {
    id: u64,
}

/// Does nothing but return the event's id.
#[flow(webhook, path = "/noop")]
async fn noop(_ctx: Ctx<Settings>, Json(event): Json<Event>) -> Result<u64> {
    Ok(event.id)
}

/// Takes a while: `ms` milliseconds from the query.
#[derive(Deserialize)]
struct Pause {
    ms: u64,
}

#[flow(webhook, path = "/slow")]
async fn slow(_ctx: Ctx<Settings>, Query(pause): Query<Pause>) -> Result<u64> {
    tokio::time::sleep(std::time::Duration::from_millis(pause.ms)).await;
    Ok(pause.ms)
}

/// One run per delivery id in the `X-Delivery-Id` header.
#[flow(webhook, path = "/deduped", dedupe = header("X-Delivery-Id"))]
async fn deduped(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

/// One run per `id` in the body, remembered for a second.
#[flow(webhook, path = "/deduped-json", dedupe = json("/id"), dedupe_window = "1s")]
async fn deduped_json(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

/// Takes at most a kilobyte.
#[flow(webhook, path = "/small", max_body = "1KB")]
async fn small(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// One run at a time per instance, in arrival order.
#[flow(webhook, path = "/ordered", ordered = true)]
async fn ordered(_ctx: Ctx<Settings>, Query(pause): Query<Pause>) -> Result<()> {
    tokio::time::sleep(std::time::Duration::from_millis(pause.ms)).await;
    Ok(())
}

#[derive(Deserialize)]
struct Failing {
    fail: bool,
}

/// Ordered, and fails its first attempt when asked to: later runs must wait for the retry.
#[flow(webhook, path = "/ordered-retry", ordered = true, retries = 1, backoff = "400ms..400ms")]
async fn ordered_retry(ctx: Ctx<Settings>, Query(failing): Query<Failing>) -> Result<()> {
    if failing.fail && ctx.attempt() == 1 {
        return Err(Error::msg("the first attempt fails"));
    }
    Ok(())
}

/// At most two runs at once, across instances.
#[flow(webhook, path = "/limited", concurrency = 2)]
async fn limited(_ctx: Ctx<Settings>, Query(pause): Query<Pause>) -> Result<()> {
    tokio::time::sleep(std::time::Duration::from_millis(pause.ms)).await;
    Ok(())
}

/// Accepts only deliveries signed the Standard Webhooks way, with either secret.
#[flow(webhook, path = "/standard", verify = standard_webhooks(secret = [signing_secret, previous_signing_secret]))]
async fn standard(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// Accepts only deliveries signed as GitHub signs them.
#[flow(webhook, path = "/github", verify = hmac_sha256(header = "X-Hub-Signature-256", secret = github_secret, prefix = "sha256="))]
async fn github(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// One endpoint for order events, named by the body's `type`; other events are refused.
#[flow(preprocess, path = "/events", config = Settings, route = json("/type"), unhandled = "reject")]
struct OrderEvents;

#[flow(event = "order.created", from = OrderEvents)]
async fn order_created(_ctx: Ctx<Settings>, Json(order): Json<serde_json::Value>) -> Result<serde_json::Value> {
    Ok(order["id"].clone())
}

#[flow(event = "order.cancelled", from = OrderEvents)]
async fn order_cancelled(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

/// Slack's events: signed, and the `url_verification` handshake answered.
#[flow(webhook, path = "/slack", verify = slack(secret = slack_secret), handshake = slack)]
async fn slack_event(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// A provider that subscribes with `GET ?hub.challenge=…` (Meta, Strava).
#[flow(webhook, path = "/meta", handshake = hub_challenge(verify_token = hub_token))]
async fn meta_event(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// Amazon SNS notifications; the subscription is confirmed at the handshake.
#[flow(webhook, path = "/sns", handshake = sns(host = "127.0.0.1"))]
async fn sns_notification(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// Calls the instance's API and fails the way its answer says.
#[flow(webhook, path = "/call", retries = 3, backoff = "100ms..200ms")]
async fn call_api(ctx: Ctx<Settings>) -> Result<()> {
    let url = ctx.config().api_url.clone().context("this instance has no api_url")?;
    ctx.http().get(url).send().await?.check_status()?;
    Ok(())
}

/// A third party that never answers: each attempt runs into the flow's timeout.
#[flow(webhook, path = "/hang", timeout = "1s", retries = 1, backoff = "100ms..100ms")]
async fn hang(_ctx: Ctx<Settings>) -> Result<()> {
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    Ok(())
}

/// A third party that never answers within the test: holds its worker (the default timeout is ten minutes).
#[flow(webhook, path = "/stall")]
async fn stall(_ctx: Ctx<Settings>) -> Result<()> {
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    Ok(())
}

/// Runs kept briefly, and their payloads more briefly still.
#[flow(webhook, path = "/brief", keep = "3s", keep_payload = "1s")]
async fn brief(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

/// The instance's CRM at `api_url`, for the durable-step flows.
#[component]
struct Crm {
    base: Url,
    http: reqwest::Client,
}

#[derive(Deserialize, Serialize)]
struct Contact {
    id: u64,
}

#[component]
impl Crm {
    fn connect(ctx: &Ctx<Settings>) -> Result<Crm> {
        let base = ctx.config().api_url.clone().context("this instance has no api_url")?;
        Ok(Crm { base, http: ctx.http().clone() })
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> Result<reqwest::Response> {
        self.http.post(self.base.join(path)?).json(&body).send().await?.check_status()
    }

    #[action]
    async fn create_contact(&self, name: &str) -> Result<Contact> {
        Ok(self.post("contacts", serde_json::json!({ "name": name })).await?.json().await?)
    }

    #[action]
    async fn add_note(&self, contact: u64, note: &str) -> Result<()> {
        self.post("notes", serde_json::json!({ "contact": contact, "note": note })).await?;
        Ok(())
    }

    #[action]
    async fn notify(&self, contact: u64) -> Result<()> {
        self.post("notify", serde_json::json!({ "contact": contact })).await?;
        Ok(())
    }
}

/// Three actions in a row: a retry calls again only those that did not complete.
#[flow(webhook, path = "/steps", retries = 2, backoff = "100ms..200ms")]
async fn three_steps(ctx: Ctx<Settings>) -> Result<u64> {
    let crm = Crm::connect(&ctx)?;
    let contact = crm.create_contact("Ada").await?;
    crm.add_note(contact.id, "met at the fair").await?;
    crm.notify(contact.id).await?;
    Ok(contact.id)
}

/// Its steps change once a file named `renamed` exists in the working directory, as a flow's
/// code may change between two attempts of a run; until then each attempt fails after a step.
#[flow(webhook, path = "/drifting", retries = 50, backoff = "200ms..200ms")]
async fn drifting(ctx: Ctx<Settings>) -> Result<()> {
    let crm = Crm::connect(&ctx)?;
    if std::path::Path::new("renamed").exists() {
        crm.notify(1).await?;
        return Ok(());
    }
    crm.create_contact("Ada").await?;
    Err(Error::msg("failing after the first step, until the code changes"))
}

/// A third party that allows 10 calls a second per customer.
#[component(rate = "10/s")]
struct Metered {
    base: Url,
    http: reqwest::Client,
}

#[component]
impl Metered {
    #[action(timeout = "2s")]
    async fn call(&self, query: &str) -> Result<()> {
        let url = self.base.join(&format!("metered?{query}"))?;
        self.http.post(url).send().await?.check_status()?;
        Ok(())
    }
}

#[derive(Deserialize)]
struct MeteredQuery {
    #[serde(default)]
    q: String,
}

/// Calls the metered API once; returns when the call returned.
#[flow(webhook, path = "/metered", retries = 0)]
async fn metered(ctx: Ctx<Settings>, Query(query): Query<MeteredQuery>) -> Result<jiff::Timestamp> {
    let base = ctx.config().api_url.clone().context("this instance has no api_url")?;
    Metered { base, http: ctx.http().clone() }.call(&query.q).await?;
    Ok(jiff::Timestamp::now())
}

#[derive(Default, Serialize, Deserialize)]
struct Tally {
    count: u64,
}

#[derive(Deserialize)]
struct TallyQuery {
    ms: u64,
    #[serde(default)]
    fail: bool,
}

/// Counts its runs per instance in its state, waiting `ms` between reading the count and
/// changing it so that concurrent runs race; with `fail=true` it fails after counting.
#[flow(webhook, path = "/tally", retries = 0)]
async fn tally(ctx: Ctx<Settings>, Query(query): Query<TallyQuery>) -> Result<u64> {
    let mut tally = ctx.state::<Tally>().await?;
    tokio::time::sleep(std::time::Duration::from_millis(query.ms)).await;
    tally.count += 1;
    if query.fail {
        return Err(Error::permanent(Error::msg("failing after counting")));
    }
    Ok(tally.count)
}

/// The instance's API at `api_url`, reached through its `crm` connection.
#[component]
struct Contacts {
    base: Url,
    connection: Connection,
    http: reqwest::Client,
}

#[component]
impl Contacts {
    #[action]
    async fn count(&self) -> Result<u64> {
        let request = self.http.get(self.base.join("contacts")?);
        self.connection.send(request).await?.check_status()?;
        Ok(1)
    }
}

/// Calls the API once through the instance's connection.
#[flow(webhook, path = "/contacts", retries = 0)]
async fn contacts(ctx: Ctx<Settings>) -> Result<u64> {
    let base = ctx.config().api_url.clone().context("this instance has no api_url")?;
    let connection = ctx.config().crm.clone().context("this instance has no crm connection")?;
    Contacts { base, connection, http: ctx.http().clone() }.count().await
}

aqueduct::integration! {
    name: "probe",
    config: Settings,
    flows: [
        echo, tick, fail, flaky, permanent, fixable, noop, slow, deduped, deduped_json, small, ordered, limited, call_api,
                        standard, github, ordered_retry, OrderEvents, order_created, order_cancelled, slack_event, meta_event,
        sns_notification, hang, brief, stall, three_steps, drifting, tally, metered, contacts,
    ],
}
