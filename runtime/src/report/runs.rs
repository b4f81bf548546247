//! Runs as people read them: the `runs` table and one run in full.

use super::table;
use crate::model::{RunDetail, RunSummary};
use std::io::{self, Write};

/// The runs as a table, newest first.
pub(crate) fn write_list(out: &mut impl Write, runs: &[RunSummary]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|run| {
            vec![
                run.id.to_string(),
                run.flow.clone(),
                run.instance.clone(),
                run.cause.as_str().into(),
                run.status.as_str().into(),
                run.attempts.to_string(),
                format!("{:.3}", run.created_at),
                duration(run),
            ]
        })
        .collect();
    table::write(out, &["ID", "FLOW", "INSTANCE", "CAUSE", "STATUS", "ATTEMPTS", "CREATED", "TOOK"], &rows)
}

fn duration(run: &RunSummary) -> String {
    match run.finished_at {
        Some(finished) => format!("{}ms", finished.duration_since(run.created_at).as_millis()),
        None => String::new(),
    }
}

/// The query string with the values of credential-like parameters hidden.
fn redacted(query: &str) -> String {
    let hidden = |key: &str| {
        ["token", "secret", "password", "key", "sig", "auth"].iter().any(|word| key.to_lowercase().contains(word))
    };
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if hidden(key) => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One run as `runs show` prints it: its input, attempts with their steps and log lines, and how it ended.
pub(crate) fn write_detail(out: &mut impl Write, run: &RunDetail) -> io::Result<()> {
    let summary = &run.summary;
    writeln!(out, "run       {}", summary.id)?;
    writeln!(out, "flow      {}", summary.flow)?;
    writeln!(out, "instance  {}", summary.instance)?;
    writeln!(out, "cause     {}", summary.cause.as_str())?;
    writeln!(out, "status    {}", summary.status.as_str())?;
    writeln!(out, "attempts  {}", summary.attempts)?;
    if let Some(progress) = &run.progress {
        writeln!(out, "progress  {progress}")?;
    }
    writeln!(out, "created   {:.3}", summary.created_at)?;
    if let Some(query) = &run.query {
        writeln!(out, "query     {}", redacted(query))?;
    }
    match (&run.body, run.payload_removed_at) {
        (Some(body), _) if !body.is_empty() => writeln!(out, "input     {body}")?,
        (None, Some(removed)) => writeln!(out, "input     removed at {removed:.0} (the flow's keep_payload)")?,
        _ => {}
    }
    if let Some(original) = run.replay_of {
        writeln!(out, "replays   run {original}")?;
    }
    for attempt in &run.history {
        let took = attempt.finished_at.duration_since(attempt.started_at).as_millis();
        let outcome = attempt.error.as_deref().map_or("ok".to_owned(), |error| format!("failed: {error}"));
        writeln!(out, "attempt {} at {} ({took}ms): {outcome}", attempt.attempt, attempt.started_at)?;
        for step in &attempt.steps {
            let outcome = match &step.error {
                Some(error) => format!("failed: {error}"),
                // An earlier attempt made the call; this one got its recorded output back.
                None if step.replayed => "ok, recorded by an earlier attempt, not called again".to_owned(),
                None => "ok".to_owned(),
            };
            writeln!(out, "  step {} ({:.1}ms): {outcome}", step.name, step.duration_ms)?;
        }
        for line in &attempt.logs {
            writeln!(out, "  {} {:<5} {}", line.at, line.level, line.message)?;
        }
    }
    if let Some(due_at) = run.due_at {
        writeln!(out, "next      attempt {} at {due_at}", summary.attempts + 1)?;
    }
    if let Some(replay) = run.replayed_as {
        writeln!(out, "replayed  as run {replay}")?;
    }
    if let Some(output) = &run.output {
        writeln!(out, "output    {output}")?;
    }
    if let Some(error) = &run.error {
        writeln!(out, "error     {error}")?;
    }
    Ok(())
}
