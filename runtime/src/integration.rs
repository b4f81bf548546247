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

/// One integration: its name and flows, as `integration!` assembles them.
///
/// `integration!` defines it as the constant `INTEGRATION` beside the `main` it generates; a
/// test, a benchmark or a custom `main` hands it to [`Server::start`](crate::Server::start).
///
/// ```
/// use aqueduct::prelude::*;
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
/// fn main() {
///     assert_eq!(app::INTEGRATION.name(), "ping");
/// }
/// ```
pub struct Integration<C: 'static> {
    name: &'static str,
    flows: &'static [FlowDescriptor<C>],
    demo: Option<DemoFn<C>>,
}

impl<C> Clone for Integration<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Integration<C> {}

impl<C: 'static> Integration<C> {
    #[doc(hidden)]
    pub const fn new(name: &'static str, flows: &'static [FlowDescriptor<C>], demo: Option<DemoFn<C>>) -> Self {
        Integration { name, flows, demo }
    }

    /// The integration's name, as `integration!` gives it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn flows(&self) -> &'static [FlowDescriptor<C>] {
        self.flows
    }

    pub(crate) fn demo(&self) -> Option<DemoFn<C>> {
        self.demo
    }

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
