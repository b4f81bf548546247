//! Whoever waits for a run's answer — a sync flow's caller, a run that invoked another — and
//! the callback ("hang up and redial") for a sync caller who stopped waiting.
//!
//! A caller registers a waiter as its run is admitted. Whichever attempt answers — at once, or
//! a retry a worker claims later — takes the waiter and hands it the reply; when no one waits
//! any more and the caller named a callback URL, the reply is POSTed there, signed with
//! Standard Webhooks, as a durable step of the attempt: a failed callback fails the attempt,
//! which is retried by the flow's policy (its action calls are not made again), and a callback
//! made is not made again.

use super::Engine;
use crate::model::{
    ActionPolicy, Config, Error, FlowDescriptor, Output, Reply, Request, Result, RunId, Scheme, Secret, Trigger,
};
use crate::store::ClaimedRun;
use crate::verify::sign;
use http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::oneshot;
use url::Url;

/// The callback `run`'s caller asked for, if `config` still allows it (its allow-list may have
/// changed since the call was taken); a refusal is logged.
pub(super) fn allowed_callback<C>(flow: &FlowDescriptor<C>, config: &C, run: &ClaimedRun) -> Option<Callback> {
    callback_of(flow, config, &run.request).unwrap_or_else(|refused| {
        tracing::warn!(run = %run.id, reason = refused, "not calling back");
        None
    })
}

/// The header in which a sync flow's caller names where to be called back.
pub(crate) const CALLBACK_HEADER: &str = "x-callback-url";

/// What a waiting caller is answered.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The flow's reply.
    Replied(Reply),
    /// Another run's output (`ctx.invoke`).
    Finished(Output),
    /// The run is dead: its error.
    Failed(String),
}

/// Who waits for each run's answer.
#[derive(Default)]
pub(super) struct Waiters(Mutex<HashMap<RunId, oneshot::Sender<Answer>>>);

impl Waiters {
    pub(super) fn register(&self, id: RunId, waiter: oneshot::Sender<Answer>) {
        self.0.lock().expect("waiters lock").insert(id, waiter);
    }

    fn take(&self, id: RunId) -> Option<oneshot::Sender<Answer>> {
        self.0.lock().expect("waiters lock").remove(&id)
    }

    /// `answer` to the caller of `id`, if one still waits; else the answer back.
    fn answer(&self, id: RunId, answer: Answer) -> Option<Answer> {
        match self.take(id) {
            Some(waiter) => waiter.send(answer).err(),
            None => Some(answer),
        }
    }
}

/// Where and how to call a caller back.
pub(crate) struct Callback {
    url: Url,
    secret: Secret,
}

/// The callback `request` asks for, checked against the instance's allow-list: `None` when it
/// asks for none; an error, for the caller, when it names a URL it may not have.
pub(crate) fn callback_of<C>(
    flow: &FlowDescriptor<C>,
    config: &C,
    request: &Request,
) -> std::result::Result<Option<Callback>, String> {
    let Some(value) = request.headers().get(CALLBACK_HEADER) else { return Ok(None) };
    let url = value
        .to_str()
        .ok()
        .and_then(|text| Url::parse(text).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| format!("`{CALLBACK_HEADER}` is not an http(s) URL"))?;
    let Some(callbacks) = flow.callbacks.map(|read| read(config)) else {
        return Err(format!("`{}` calls no one back; send the request without `{CALLBACK_HEADER}`", flow.name));
    };
    let host = url.host_str().unwrap_or_default();
    if !callbacks.hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host)) {
        return Err(format!("the callback host `{host}` is not on this instance's allow-list"));
    }
    let secret = callbacks
        .secret
        .ok_or_else(|| "this instance has no secret to sign callbacks with, so it calls no one back".to_owned())?;
    Ok(Some(Callback { url, secret }))
}

impl<C: Config> Engine<C> {
    /// Hands a sync flow's `output` to its waiting caller, or else to its callback, if any.
    pub(super) async fn answer(&self, id: RunId, output: Output, callback: Option<Callback>) -> Result<Output> {
        let reply = Reply::from_output(output.as_ref())?;
        if let (Some(Answer::Replied(reply)), Some(callback)) =
            (self.waiters.answer(id, Answer::Replied(reply)), callback)
        {
            let policy = ActionPolicy { component: "callback", timeout: CALLBACK_TIMEOUT, rate: None };
            let name = format!("callback to {}", callback.url.host_str().unwrap_or_default());
            super::step(name, None, policy, callback.deliver(id, &reply)).await?;
        }
        Ok(output)
    }

    /// Tells whoever waits for a run that has finished for good: a sync flow's caller of its
    /// failure (it was answered its reply by the attempt), another run of its output or error.
    pub(super) async fn answer_finished(&self, flow: &FlowDescriptor<C>, run: &ClaimedRun, result: &Result<Output>) {
        match (&flow.trigger, result) {
            (Trigger::Sync { .. }, Ok(_)) => {}
            (Trigger::Sync { .. }, Err(error)) => {
                let callback = self.callback(flow, run).await;
                self.answer_failure(run.id, &format!("{error:#}"), callback).await;
            }
            (_, Ok(output)) => drop(self.waiters.answer(run.id, Answer::Finished(output.clone()))),
            (_, Err(error)) => drop(self.waiters.answer(run.id, Answer::Failed(format!("{error:#}")))),
        }
    }

    /// The callback a sync run's caller asked for, if it still may have it.
    async fn callback(&self, flow: &FlowDescriptor<C>, run: &ClaimedRun) -> Option<Callback> {
        let config = self.instances.config(&run.instance).await.ok().flatten()?;
        allowed_callback(flow, &config, run)
    }

    /// Tells the caller of a dead sync run, or its callback (once: a dead run is not retried).
    async fn answer_failure(&self, id: RunId, error: &str, callback: Option<Callback>) {
        if let (Some(_), Some(callback)) = (self.waiters.answer(id, Answer::Failed(error.to_owned())), callback) {
            let reply =
                Reply::json(&serde_json::json!({ "error": error })).with_status(StatusCode::INTERNAL_SERVER_ERROR);
            if let Err(failed) = callback.deliver(id, &reply).await {
                tracing::warn!(run = %id, error = %format!("{failed:#}"), "the callback of a dead sync run failed");
            }
        }
    }
}

/// How long a callback's receiver has to answer.
const CALLBACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Callback {
    /// POSTs `reply` — its body and content type, its status in `aqueduct-reply-status` — signed
    /// as Standard Webhooks message `run_{id}`, the same id on every retry so that the
    /// receiver can tell a repeat.
    async fn deliver(&self, id: RunId, reply: &Reply) -> Result<()> {
        let (status, headers, body) = reply.parts()?;
        let message = format!("run_{id}");
        let now = jiff::Timestamp::now().as_second();
        let mut request = client().post(self.url.clone()).body(body.clone());
        for (name, value) in headers.iter().filter(|(name, _)| name == http::header::CONTENT_TYPE) {
            request = request.header(name, value);
        }
        for (name, value) in sign(Scheme::StandardWebhooks, &self.secret, &body, now, &message) {
            request = request.header(name, value);
        }
        let response = request
            .header("aqueduct-run-id", id.to_string())
            .header("aqueduct-reply-status", status.as_u16().to_string())
            .send()
            .await
            .map_err(|error| Error::msg(format!("the callback to {} failed: {error}", self.url)))?;
        match response.status() {
            answered if answered.is_success() => Ok(()),
            answered => Err(Error::msg(format!("the callback to {} was answered {answered}", self.url))),
        }
    }
}

/// No redirects: the allow-list names where callbacks go, not where a receiver sends them on.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| crate::outbound::handshake_client().expect("the callback client builds"))
}

/// Removes the caller's waiter when the caller stops waiting, answered or not: a run that
/// starts later then calls back instead.
pub(crate) struct Waiting<C: 'static> {
    engine: Arc<Engine<C>>,
    id: RunId,
}

impl<C: 'static> Drop for Waiting<C> {
    fn drop(&mut self) {
        self.engine.waiters.take(self.id);
    }
}

impl<C: Config> Engine<C> {
    /// The caller of `id` waits until dropped.
    pub(crate) fn waiting(self: &Arc<Self>, id: RunId) -> Waiting<C> {
        Waiting { engine: self.clone(), id }
    }
}
