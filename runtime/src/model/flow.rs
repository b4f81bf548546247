//! Flow descriptors: what `#[flow]` emits beside each flow and the runtime reads.

use super::context::{Activation, Ctx};
use super::error::{Error, Result};
use super::extract::Rejection;
use super::handshake::Handshake;
use super::policy::Policy;
use super::reply::Callbacks;
use super::request::Request;
use super::signing::Verifier;
use super::trigger::Trigger;
use futures::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;

/// What a run of a flow produced, recorded on the run: `None` for `()`.
#[doc(hidden)]
pub type Output = Option<serde_json::Value>;

/// How the runtime calls a flow.
#[doc(hidden)]
pub enum Handler<C: 'static> {
    /// Flows started by a request, a message or a tick: `check` refuses a bad request at the
    /// door, `run` runs it.
    Event {
        check: fn(&Request) -> std::result::Result<(), Rejection>,
        run: fn(Ctx<C>, Arc<Request>) -> BoxFuture<'static, Result<Output>>,
    },
    /// Activation hooks.
    Lifecycle(fn(Activation<C>) -> BoxFuture<'static, Result<Output>>),
    /// A pre-process endpoint, which runs nothing itself.
    Dispatch,
}

/// One flow as the runtime sees it.
#[doc(hidden)]
pub struct FlowDescriptor<C: 'static> {
    pub name: &'static str,
    pub trigger: Trigger,
    pub policy: Policy,
    /// How an endpoint checks signatures.
    pub verify: Option<Verifier<C>>,
    /// How an endpoint answers a provider's subscription handshake.
    pub handshake: Option<Handshake<C>>,
    /// What the flow reads from the instance's configuration: a source's broker URL
    /// (`url = field`), a schedule's cron (`schedule = config(field)`).
    pub from_config: Option<fn(&C) -> Option<String>>,
    /// Where a sync flow's callers may be called back, and with what secret.
    pub callbacks: Option<fn(&C) -> Callbacks>,
    pub handler: Handler<C>,
}

impl<C: 'static> FlowDescriptor<C> {
    /// The stand-in for a flow whose definition has a compile error; `preprocess_id` is the
    /// pre-process flow it stands for, if it is one.
    pub const fn invalid(name: &'static str, preprocess_id: Option<&'static str>) -> FlowDescriptor<C> {
        FlowDescriptor {
            name,
            trigger: Trigger::Invalid { preprocess_id },
            policy: Policy::DEFAULT,
            verify: None,
            handshake: None,
            from_config: None,
            callbacks: None,
            handler: Handler::Dispatch,
        }
    }

    /// The path of an endpoint: a webhook, sync or pre-process flow.
    pub const fn path(&self) -> Option<&'static str> {
        match self.trigger {
            Trigger::Webhook { path } | Trigger::Sync { path, .. } | Trigger::Preprocess { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Whether `request` fits what the flow reads from it; a flow that reads no request takes any.
    pub(crate) fn check(&self, request: &Request) -> std::result::Result<(), Rejection> {
        match self.handler {
            Handler::Event { check, .. } => check(request),
            Handler::Lifecycle(_) | Handler::Dispatch => Ok(()),
        }
    }

    /// Whether the flow can be invoked (`invoke`, `testing`) with `request` as its input: it
    /// runs code of its own, and the request fits it.
    pub(crate) fn check_invocation(&self, request: &Request) -> Result<()> {
        if !matches!(self.handler, Handler::Event { .. }) {
            return Err(Error::msg(format!(
                "`{}` runs no code of its own: a lifecycle hook runs with `instances activate` and `instances deactivate`, \
                 a pre-process endpoint hands its deliveries to its event flows",
                self.name
            )));
        }
        self.check(request).map_err(|rejection| {
            Error::msg(format!("the payload is refused ({}): {rejection}", rejection.status().as_u16()))
        })
    }
}

/// Implemented by the type `#[flow]` generates beside each flow.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flow of an integration configured by `{C}`",
    label = "its `Ctx`/`Activation` takes another configuration type, or it is not marked #[flow]",
    note = "every flow of an integration takes the integration's `config:` type, as in `Ctx<{C}>`"
)]
pub trait Flow<C: 'static>: 'static {
    const DESCRIPTOR: FlowDescriptor<C>;
}

/// Implemented by endpoints (webhook and pre-process flows): what `endpoint::<F>()` accepts.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a webhook flow, so it has no endpoint",
    label = "`endpoint::<…>()` takes a flow declared with #[flow(webhook, path = \"…\")]",
    note = "only webhook flows are served at a URL; schedule flows and lifecycle hooks are not"
)]
pub trait WebhookFlow {
    const PATH: &'static str;
}

/// Implemented by pre-process flows: what an event flow's `from = …` names.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pre-process flow",
    label = "`from = …` names the #[flow(preprocess, …)] struct whose endpoint receives this event",
    note = "declare it as #[flow(preprocess, path = \"/github\", config = Settings, route = header(\"X-GitHub-Event\"))] struct GitHub;"
)]
pub trait PreprocessFlow {
    const NAME: &'static str;
    /// The module path and name, as in [`Trigger::Preprocess`].
    const ID: &'static str;
}

/// What a flow function may return.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a flow returns `aqueduct::Result<T>` with `T: Serialize`, not `{Self}`",
    label = "write `-> Result<()>`, or `-> Result<T>` to record `T` as the run's output"
)]
pub trait FlowResult {
    /// What the flow returns when it succeeds.
    type Output;
    fn into_output(self) -> Result<Output>;
}

impl<T: Serialize> FlowResult for Result<T> {
    type Output = T;
    fn into_output(self) -> Result<Output> {
        let value = serde_json::to_value(self?)?;
        Ok((!value.is_null()).then_some(value))
    }
}
