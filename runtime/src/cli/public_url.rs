//! The URL commands name endpoints with: the one the server recorded in the store, unless
//! `--public-url` says otherwise, so `instances activate` registers the server's real address.

use crate::model::{Result, names_no_reachable_host};
use crate::store::Store;
use clap::Args;
use url::Url;

/// Where endpoints are served when no server has said: `serve`'s default address.
const SERVE_DEFAULT: &str = "http://127.0.0.1:8080/";

/// `--public-url`, on the commands whose hooks name endpoints.
#[derive(Args)]
pub(super) struct PublicUrlArg {
    /// The URL third parties reach the server at [default: the one `serve` recorded in the store].
    #[arg(long, env = "AQUEDUCT_PUBLIC_URL")]
    public_url: Option<Url>,
}

impl PublicUrlArg {
    /// The URL to name endpoints with; a URL that may not be the server's is pointed out.
    pub(super) async fn resolve(&self, store: &dyn Store) -> Result<Url> {
        let recorded = recorded(store).await?;
        Ok(match (&self.public_url, recorded) {
            (Some(given), Some(recorded)) if *given != recorded => {
                eprintln!(
                    "note: endpoints are named with --public-url {given}, not {recorded}, which the server recorded"
                );
                given.clone()
            }
            (Some(given), _) => given.clone(),
            (None, Some(recorded)) if names_no_reachable_host(&recorded) => {
                eprintln!(
                    "note: the server recorded {recorded}, an address no third party can reach; pass --public-url \
                     here and to serve"
                );
                recorded
            }
            (None, Some(recorded)) => recorded,
            (None, None) => {
                eprintln!(
                    "note: no server has recorded its public URL in this store yet, so endpoints are named with serve's \
                     default, {SERVE_DEFAULT}; pass --public-url if the server will be reached elsewhere"
                );
                Url::parse(SERVE_DEFAULT).expect("a URL")
            }
        })
    }
}

/// The recorded URL, or `serve`'s default, for commands that name no endpoints.
pub(super) async fn recorded_or_default(store: &dyn Store) -> Result<Url> {
    Ok(recorded(store).await?.unwrap_or_else(|| Url::parse(SERVE_DEFAULT).expect("a URL")))
}

async fn recorded(store: &dyn Store) -> Result<Option<Url>> {
    Ok(store.public_url().await?.and_then(|url| Url::parse(&url).ok()))
}
