//! The HTTP clients that call out: one that runs share to call third parties, and one for URLs
//! a request names, which must not be led elsewhere.

use crate::model::{Error, Result};
use std::time::Duration;

/// The client runs call third parties with; its connection pools are shared across runs.
pub(crate) fn runs_client() -> Result<reqwest::Client> {
    built(client())
}

/// For URLs a request names (SNS's `SubscribeURL`): no redirects, a short timeout.
pub(crate) fn handshake_client() -> Result<reqwest::Client> {
    built(client().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(10)))
}

fn client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(concat!("aqueduct/", env!("CARGO_PKG_VERSION")))
}

fn built(builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
    builder.build().map_err(|error| Error::msg(format!("cannot build the HTTP client: {error}")))
}
