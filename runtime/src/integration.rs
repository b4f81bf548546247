//! One integration as `integration!` assembles it: its name, flows and optional demo.

use crate::demo::Demo;
use crate::error::Result;
use crate::flow::{FlowDescriptor, Trigger};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;

/// What an integration's configuration type must be: read from the customer's config file,
/// shared by every run of the instance.
///
/// Every `Deserialize` type that is `Send + Sync + 'static` is one:
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { api_url: Url, api_token: Secret }
///
/// fn takes_config<C: aqueduct::Config>() {}
/// takes_config::<Settings>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot configure an integration",
    label = "each customer's config file is read into this type",
    note = "derive `Deserialize` for it; it must also be `Send + Sync + 'static`"
)]
pub trait Config: DeserializeOwned + Send + Sync + 'static {}

impl<C: DeserializeOwned + Send + Sync + 'static> Config for C {}

/// The demo `integration!` may name: started beside the server when the binary runs with no command.
#[doc(hidden)]
pub type DemoFn<C> = fn(Demo<C>) -> BoxFuture<'static, Result<()>>;

/// What `integration!` generates and hands to the runtime.
#[doc(hidden)]
pub struct Integration<C: 'static> {
    pub name: &'static str,
    pub flows: &'static [FlowDescriptor<C>],
    pub demo: Option<DemoFn<C>>,
}

impl<C: 'static> Integration<C> {
    pub(crate) fn flow(&self, name: &str) -> Option<&'static FlowDescriptor<C>> {
        self.flows.iter().find(|flow| flow.name == name)
    }

    pub(crate) fn hook(&self, trigger: Trigger) -> Option<&'static FlowDescriptor<C>> {
        self.flows.iter().find(|flow| flow.trigger == trigger)
    }

    /// The webhook flows with their paths.
    pub(crate) fn webhooks(&self) -> impl Iterator<Item = (&'static FlowDescriptor<C>, &'static str)> {
        self.flows.iter().filter_map(|flow| Some((flow, flow.path()?)))
    }
}
