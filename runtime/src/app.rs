//! What the serving process shares between its ingress, scheduler and workers.

use crate::integration::{Config, Integration};
use crate::lifecycle::InstanceCache;
use crate::store::Store;
use std::sync::Arc;
use tokio::sync::Notify;
use url::Url;

pub(crate) struct App<C: 'static> {
    pub integration: Integration<C>,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    /// The URL third parties reach this process at; endpoint URLs start with it.
    pub public_url: Url,
    pub instances: InstanceCache<C>,
    /// Wakes the workers when a run is added, so they need not wait for their next poll.
    pub new_runs: Notify,
}

impl<C: Config> App<C> {
    pub(crate) fn new(
        integration: Integration<C>,
        store: Arc<dyn Store>,
        public_url: Url,
    ) -> crate::Result<Arc<App<C>>> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("aqueduct/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| crate::Error::msg(format!("cannot build the HTTP client: {error}")))?;
        Ok(Arc::new(App {
            integration,
            store,
            http,
            public_url,
            instances: InstanceCache::default(),
            new_runs: Notify::new(),
        }))
    }
}
