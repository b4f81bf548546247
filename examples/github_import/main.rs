//! GitHub into your product, event-driven: one pre-process endpoint receives every GitHub event
//! for a customer's repository, checks GitHub's signature, drops repeated deliveries, and hands
//! each event to the flow that takes it. Activation registers the endpoint with GitHub.
//!
//! `cargo run --example github_import` runs a demo against a fake GitHub and a fake tracker on
//! loopback, replaying GitHub's own example payloads.

mod demo;
mod fake_apps;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

/// What each customer fills in when they activate the integration.
#[derive(Deserialize)]
struct Settings {
    /// The repository to import, `owner/name`.
    repository: String,
    github_api: Url,
    github_token: Secret,
    /// Signs GitHub's deliveries; while rotating, the previous one is accepted too.
    webhook_secret: Secret,
    previous_webhook_secret: Option<Secret>,
    /// Our product's issue tracker.
    tracker_url: Url,
}

/// Every GitHub event for an instance arrives here; `X-GitHub-Event` names it.
#[flow(
    preprocess,
    path = "/github",
    config = Settings,
    route = header("X-GitHub-Event"),
    verify = hmac_sha256(header = "X-Hub-Signature-256", secret = [webhook_secret, previous_webhook_secret], prefix = "sha256="),
    dedupe = header("X-GitHub-Delivery")
)]
pub struct GitHub;

#[derive(Deserialize)]
struct Repository {
    full_name: String,
}

#[derive(Deserialize, Serialize)]
struct User {
    login: String,
}

/// GitHub's first delivery to a new webhook.
#[derive(Deserialize)]
struct Ping {
    zen: String,
}

#[flow(event = "ping", from = GitHub)]
async fn ping(_ctx: Ctx<Settings>, Json(ping): Json<Ping>) -> Result<String> {
    tracing::info!(zen = ping.zen, "GitHub says hello");
    Ok(ping.zen)
}

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    reference: String,
    commits: Vec<Commit>,
    repository: Repository,
}

#[derive(Deserialize, Serialize)]
struct Commit {
    id: String,
    message: String,
}

#[flow(event = "push", from = GitHub)]
async fn push(ctx: Ctx<Settings>, Json(push): Json<Push>) -> Result<usize> {
    Tracker::connect(&ctx).record_push(&push.repository.full_name, &push.reference, &push.commits).await?;
    Ok(push.commits.len())
}

#[derive(Deserialize)]
struct IssueEvent {
    action: String,
    issue: Issue,
    repository: Repository,
}

#[derive(Deserialize, Serialize)]
struct Issue {
    number: u64,
    title: String,
    /// Absent from some events (`unpinned`), as GitHub's own examples show.
    state: Option<String>,
    user: User,
    body: Option<String>,
}

#[flow(event = "issues", from = GitHub)]
async fn issue_changed(ctx: Ctx<Settings>, Json(event): Json<IssueEvent>) -> Result<String> {
    Tracker::connect(&ctx).upsert("issues", &event.repository.full_name, event.issue.number, &event.issue).await?;
    Ok(format!("issue #{} {}", event.issue.number, event.action))
}

#[derive(Deserialize)]
struct PullRequestEvent {
    action: String,
    number: u64,
    pull_request: PullRequest,
    repository: Repository,
    sender: User,
}

#[derive(Deserialize, Serialize)]
struct PullRequest {
    title: String,
    state: String,
    draft: Option<bool>,
    body: Option<String>,
}

#[flow(event = "pull_request", from = GitHub)]
async fn pull_request_changed(ctx: Ctx<Settings>, Json(event): Json<PullRequestEvent>) -> Result<String> {
    Tracker::connect(&ctx).upsert("pulls", &event.repository.full_name, event.number, &event.pull_request).await?;
    Ok(format!("pull request #{} {} by {}", event.number, event.action, event.sender.login))
}

/// GitHub's REST API, for the repository's webhooks.
#[component]
#[derive(Clone)]
struct GitHubApi {
    base: Url,
    token: Secret,
    repository: String,
    http: reqwest::Client,
}

/// A webhook GitHub created: what activation registered, and deactivation removes.
#[derive(Deserialize, Serialize)]
struct Webhook {
    id: u64,
}

#[component]
impl GitHubApi {
    fn connect(ctx: &impl FlowContext<Settings>) -> GitHubApi {
        let settings = ctx.config();
        GitHubApi {
            base: settings.github_api.clone(),
            token: settings.github_token.clone(),
            repository: settings.repository.clone(),
            http: ctx.http().clone(),
        }
    }

    fn hooks(&self) -> Result<Url> {
        Ok(self.base.join(&format!("repos/{}/hooks", self.repository))?)
    }

    /// Undone (the webhook deleted) if activation fails after it.
    #[action(undo = delete_hook)]
    async fn create_hook(&self, url: &Url, secret: &Secret) -> Result<Webhook> {
        let hook = serde_json::json!({
            "name": "web",
            "events": ["push", "issues", "pull_request"],
            "config": { "url": url, "content_type": "json", "secret": secret.expose() },
        });
        let created = self.http.post(self.hooks()?).bearer_auth(self.token.expose()).json(&hook).send().await?;
        Ok(created.check_status()?.json().await?)
    }

    /// Asks GitHub to send the webhook a `ping` event now (our `ping` flow takes it).
    #[action]
    async fn ping_hook(&self, hook: &Webhook) -> Result<()> {
        let url = self.hooks()?.join(&format!("hooks/{}/pings", hook.id))?;
        self.http.post(url).bearer_auth(self.token.expose()).send().await?.check_status()?;
        Ok(())
    }

    #[action]
    async fn delete_hook(&self, hook: &Webhook) -> Result<()> {
        let url = self.hooks()?.join(&format!("hooks/{}", hook.id))?;
        let answer = self.http.delete(url).bearer_auth(self.token.expose()).send().await?;
        // Removed already (by hand, in GitHub's settings): what deactivation wants is done.
        if answer.status() != reqwest::StatusCode::NOT_FOUND {
            answer.check_status()?;
        }
        Ok(())
    }
}

/// Our product's tracker.
#[component]
struct Tracker {
    base: Url,
    http: reqwest::Client,
}

#[component]
impl Tracker {
    fn connect(ctx: &impl FlowContext<Settings>) -> Tracker {
        Tracker { base: ctx.config().tracker_url.clone(), http: ctx.http().clone() }
    }

    #[action]
    async fn record_push(&self, repository: &str, reference: &str, commits: &[Commit]) -> Result<()> {
        let body = serde_json::json!({ "repository": repository, "ref": reference, "commits": commits });
        self.http.post(self.base.join("pushes")?).json(&body).send().await?.check_status()?;
        Ok(())
    }

    #[action]
    async fn upsert(&self, kind: &str, repository: &str, number: u64, item: &impl Serialize) -> Result<()> {
        let url = self.base.join(&format!("{kind}/{}/{number}", repository.replace('/', "--")))?;
        self.http.put(url).json(item).send().await?.check_status()?;
        Ok(())
    }
}

/// Registers our endpoint with GitHub and has GitHub ping it; the webhook is kept with the
/// instance. If the ping cannot be asked for, activation fails and the webhook is deleted
/// again (`undo = delete_hook`): a failed activation leaves nothing at GitHub.
#[flow(on_activate)]
async fn register_hook(ctx: Activation<Settings>) -> Result<Webhook> {
    let github = GitHubApi::connect(&ctx);
    let hook = github.create_hook(&ctx.endpoint::<GitHub>(), &ctx.config().webhook_secret).await?;
    github.ping_hook(&hook).await?;
    Ok(hook)
}

/// Removes exactly the webhook activation registered (also when the instance's configuration
/// changes, before registering again: a rotated secret leaves one webhook, not two).
#[flow(on_deactivate)]
async fn remove_hook(ctx: Activation<Settings>, registered: Webhook) -> Result<()> {
    GitHubApi::connect(&ctx).delete_hook(&registered).await
}

aqueduct::integration! {
    name: "github-import",
    config: Settings,
    flows: [GitHub, ping, push, issue_changed, pull_request_changed, register_hook, remove_hook],
    demo: demo::run,
}
