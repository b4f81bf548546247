//! The next release of `scale_out` (`main.rs`), built by `cargo test` as the example
//! `scale_out_renamed`: the same flows, but `ingest` is now `import`, at the same path.

mod shared;

use aqueduct::prelude::*;
use shared::{Ran, Settings, Work, run_in_this_process};

/// Deliveries to `/ingest`, under the flow's new name.
#[flow(webhook, path = "/ingest")]
async fn import(_ctx: Ctx<Settings>, Query(work): Query<Work>) -> Result<Ran> {
    Ok(run_in_this_process(work).await)
}

aqueduct::integration! {
    name: "scale-out",
    config: Settings,
    flows: [shared::whoami, shared::signed, shared::deduped, shared::tick, import],
}
