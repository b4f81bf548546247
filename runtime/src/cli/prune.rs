//! `runs prune [--dry-run]`: removes now what the server's pruner would remove over its next
//! sweeps — finished runs and payloads past their flow's keep — or, dry, lists it.

use super::CommandContext;
use crate::integration::Integration;
use crate::model::{Config, Result};
use crate::report;
use std::io::Write;
use std::process::ExitCode;

pub(super) async fn prune<C: Config>(integration: Integration<C>, store_url: &str, dry_run: bool) -> Result<ExitCode> {
    let context = CommandContext::open(&integration, store_url).await?;
    let pruned = context.engine.prune_all(!dry_run).await?;
    let out = &mut std::io::stdout().lock();
    let (runs, payloads) = (pruned.total_runs(), pruned.payloads);
    let verb = if dry_run { "would remove" } else { "removed" };
    writeln!(out, "{verb} {runs} runs and the payloads of {payloads} runs kept longer")?;
    if runs > 0 {
        let rows: Vec<Vec<String>> = pruned
            .runs
            .iter()
            .map(|((flow, status), count)| vec![flow.clone(), status.as_str().to_owned(), count.to_string()])
            .collect();
        report::table::write(out, &["FLOW", "STATUS", "RUNS"], &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}
