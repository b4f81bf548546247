//! The flows both releases of `scale_out` have: each run says which process ran it.

use aqueduct::prelude::*;
use std::time::Duration;

/// An instance needs no settings but for `/signed`.
#[derive(Deserialize)]
pub struct Settings {
    /// Signs deliveries to `/signed`, GitHub style.
    signing_secret: Option<Secret>,
}

/// How long a run works, from `?ms=`; none without it.
#[derive(Deserialize)]
pub struct Work {
    #[serde(default)]
    ms: u64,
}

/// What every run returns: the id of the process that ran it.
#[derive(Serialize)]
pub struct Ran {
    pid: u32,
}

/// Works as long as `work` says, then says which process it ran in.
pub async fn run_in_this_process(work: Work) -> Ran {
    tokio::time::sleep(Duration::from_millis(work.ms)).await;
    Ran { pid: std::process::id() }
}

/// Says which process ran it.
#[flow(webhook, path = "/whoami")]
pub async fn whoami(_ctx: Ctx<Settings>, Query(work): Query<Work>) -> Result<Ran> {
    Ok(run_in_this_process(work).await)
}

/// Takes only deliveries signed with the instance's `signing_secret`, which each server reads
/// from the shared store: one rotated through any server must be in force on all.
#[flow(webhook, path = "/signed", verify = hmac_sha256(header = "X-Hub-Signature-256", secret = signing_secret, prefix = "sha256="))]
pub async fn signed(_ctx: Ctx<Settings>) -> Result<Ran> {
    Ok(run_in_this_process(Work { ms: 0 }).await)
}

/// One run per `X-Delivery-Id`, whichever server each copy of a delivery reaches.
#[flow(webhook, path = "/deduped", dedupe = header("X-Delivery-Id"))]
pub async fn deduped(_ctx: Ctx<Settings>) -> Result<Ran> {
    Ok(run_in_this_process(Work { ms: 0 }).await)
}

/// Every second for each active instance. `overlap = allow`: a run still unfinished at the
/// next tick (a busy machine) must not make that tick skipped, so each tick is one run.
#[flow(schedule = "* * * * * *", overlap = allow)]
pub async fn tick(_ctx: Ctx<Settings>) -> Result<Ran> {
    Ok(run_in_this_process(Work { ms: 0 }).await)
}
