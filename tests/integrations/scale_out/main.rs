//! A test integration for servers sharing one PostgreSQL store; built by `cargo test` as the
//! example `scale_out`. Every run returns the id of the process that ran it, so a test sees
//! which server ran what. `renamed.rs` is its next release, with `ingest` renamed `import`.

mod shared;

use aqueduct::prelude::*;
use shared::{Ran, Settings, Work, run_in_this_process};

/// Deliveries to `/ingest`: a flow the next release renames.
#[flow(webhook, path = "/ingest")]
async fn ingest(_ctx: Ctx<Settings>, Query(work): Query<Work>) -> Result<Ran> {
    Ok(run_in_this_process(work).await)
}

aqueduct::integration! {
    name: "scale-out",
    config: Settings,
    flows: [shared::whoami, shared::signed, shared::deduped, shared::tick, ingest],
}
