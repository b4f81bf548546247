//! Flow descriptors: what `#[flow]` emits for each flow and the runtime reads.

use crate::context::{Activation, Ctx};
use crate::error::Result;
use crate::ingress::{Rejection, Request};
use futures::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;

/// What starts a flow.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A POST to `/hooks/{instance}{path}`.
    Webhook { path: &'static str },
    /// A cron schedule read in a time zone.
    Schedule { cron: &'static str, tz: &'static str },
    /// Activation of a customer instance.
    OnActivate,
    /// Deactivation of a customer instance.
    OnDeactivate,
    /// Stands in for a flow whose definition did not compile; never reaches the runtime.
    Invalid,
}

impl Trigger {
    /// The kind's name, as `flows` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Webhook { .. } => "webhook",
            Trigger::Schedule { .. } => "schedule",
            Trigger::OnActivate => "on_activate",
            Trigger::OnDeactivate => "on_deactivate",
            Trigger::Invalid => "invalid",
        }
    }
}

/// What a run of a flow produced, recorded on the run: `None` for `()`.
#[doc(hidden)]
pub type Output = Option<serde_json::Value>;

/// How the runtime calls a flow.
#[doc(hidden)]
pub enum Handler<C: 'static> {
    /// Webhook and schedule flows: `check` refuses a bad request at the door, `run` runs it.
    Event {
        check: fn(&Request) -> std::result::Result<(), Rejection>,
        run: fn(Ctx<C>, Arc<Request>) -> BoxFuture<'static, Result<Output>>,
    },
    /// Activation hooks.
    Lifecycle(fn(Activation<C>) -> BoxFuture<'static, Result<Output>>),
}

/// One flow as the runtime sees it.
#[doc(hidden)]
pub struct FlowDescriptor<C: 'static> {
    pub name: &'static str,
    pub trigger: Trigger,
    pub handler: Handler<C>,
}

impl<C: 'static> FlowDescriptor<C> {
    /// The stand-in for a flow whose definition has a compile error.
    pub const fn invalid(name: &'static str) -> FlowDescriptor<C> {
        FlowDescriptor { name, trigger: Trigger::Invalid, handler: Handler::Lifecycle(never_called::<C>) }
    }

    /// The webhook path, for webhook flows.
    pub fn path(&self) -> Option<&'static str> {
        match self.trigger {
            Trigger::Webhook { path } => Some(path),
            _ => None,
        }
    }
}

fn never_called<C>(_: Activation<C>) -> BoxFuture<'static, Result<Output>> {
    unreachable!("a flow that failed to compile is never run")
}

/// Implemented by the type `#[flow]` generates beside each flow function.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flow of an integration configured by `{C}`",
    label = "its `Ctx`/`Activation` takes another configuration type, or it is not marked #[flow]",
    note = "every flow of an integration takes the integration's `config:` type, as in `Ctx<{C}>`"
)]
pub trait Flow<C: 'static>: 'static {
    const DESCRIPTOR: FlowDescriptor<C>;
}

/// Implemented by webhook flows: what `endpoint::<F>()` accepts.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a webhook flow, so it has no endpoint",
    label = "`endpoint::<…>()` takes a flow declared with #[flow(webhook, path = \"…\")]",
    note = "only webhook flows are served at a URL; schedule flows and lifecycle hooks are not"
)]
pub trait WebhookFlow {
    const PATH: &'static str;
}

/// What a flow function may return.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a flow returns `aqueduct::Result<T>` with `T: Serialize`, not `{Self}`",
    label = "write `-> Result<()>`, or `-> Result<T>` to record `T` as the run's output"
)]
pub trait FlowResult {
    fn into_output(self) -> Result<Output>;
}

impl<T: Serialize> FlowResult for Result<T> {
    fn into_output(self) -> Result<Output> {
        let value = serde_json::to_value(self?)?;
        Ok((!value.is_null()).then_some(value))
    }
}

/// Whether two flows are webhooks served at the same path (checked when `integration!` compiles).
#[doc(hidden)]
pub const fn share_a_path<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    match (a.trigger, b.trigger) {
        (Trigger::Webhook { path: a }, Trigger::Webhook { path: b }) => same_str(a, b),
        _ => false,
    }
}

/// `a == b`, which is not yet callable in a `const fn`.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// Whether two flows are both `on_activate` hooks.
#[doc(hidden)]
pub const fn both_on_activate<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    matches!((a.trigger, b.trigger), (Trigger::OnActivate, Trigger::OnActivate))
}

/// Whether two flows are both `on_deactivate` hooks.
#[doc(hidden)]
pub const fn both_on_deactivate<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    matches!((a.trigger, b.trigger), (Trigger::OnDeactivate, Trigger::OnDeactivate))
}
