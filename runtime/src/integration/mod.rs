//! One integration as `integration!` assembles it: its name, flows and optional demo.

mod demo;
mod schema;

use crate::model::{FlowDescriptor, Flows, Result, Retention};
pub use demo::Demo;
use futures::future::BoxFuture;
pub use schema::{ConfigSchema, NoConfigSchema, SchemaFn, SchemaOf};

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
    flows: Flows<C>,
    demo: Option<DemoFn<C>>,
    /// How long runs are kept where a flow does not say.
    retention: Retention,
    /// The configuration type's JSON Schema, if it derives `JsonSchema`.
    schema: SchemaFn,
}

impl<C> Clone for Integration<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Integration<C> {}

impl<C: 'static> Integration<C> {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        flows: &'static [FlowDescriptor<C>],
        demo: Option<DemoFn<C>>,
        retention: Retention,
        schema: SchemaFn,
    ) -> Self {
        Integration { name, flows: Flows::new(flows), demo, retention, schema }
    }

    /// The integration's name, as `integration!` gives it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn flows(&self) -> Flows<C> {
        self.flows
    }

    /// How long runs are kept where a flow does not say, as `integration!` gives it.
    pub(crate) fn retention(&self) -> Retention {
        self.retention
    }

    pub(crate) fn demo(&self) -> Option<DemoFn<C>> {
        self.demo
    }

    /// The configuration type's JSON Schema; `None` when it does not derive `JsonSchema`.
    pub(crate) fn config_schema(&self) -> Option<serde_json::Value> {
        (self.schema)()
    }
}
