//! What the serving process shares between its ingress, scheduler and workers.

use crate::engine::EngineState;
use crate::flow::{FlowDescriptor, Trigger};
use crate::integration::{Config, Integration};
use crate::lifecycle::InstanceCache;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

pub(crate) struct App<C: 'static> {
    pub integration: Integration<C>,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    /// For URLs a request names (SNS's `SubscribeURL`): no redirects, a short timeout.
    pub handshake_http: reqwest::Client,
    /// The URL third parties reach this process at; endpoint URLs start with it.
    pub public_url: Url,
    pub instances: InstanceCache<C>,
    /// The workers' shared state.
    pub engine: EngineState,
    /// Each (pre-process flow, event) with the event flow that takes it.
    pub events: HashMap<(&'static str, &'static str), &'static FlowDescriptor<C>>,
}

impl<C: Config> App<C> {
    pub(crate) fn new(
        integration: Integration<C>,
        store: Arc<dyn Store>,
        public_url: Url,
        workers: usize,
    ) -> crate::Result<Arc<App<C>>> {
        let client = || reqwest::Client::builder().user_agent(concat!("aqueduct/", env!("CARGO_PKG_VERSION")));
        let built = |builder: reqwest::ClientBuilder| {
            builder.build().map_err(|error| crate::Error::msg(format!("cannot build the HTTP client: {error}")))
        };
        let http = built(client())?;
        let handshake_http =
            built(client().redirect(reqwest::redirect::Policy::none()).timeout(std::time::Duration::from_secs(10)))?;
        let instances = InstanceCache::default();
        let events = integration
            .flows()
            .iter()
            .filter_map(|flow| match flow.trigger {
                Trigger::Event { preprocess, event, .. } => Some(((preprocess, event), flow)),
                _ => None,
            })
            .collect();
        Ok(Arc::new(App {
            integration,
            store,
            http,
            handshake_http,
            public_url,
            instances,
            engine: EngineState::new(workers),
            events,
        }))
    }
}
