//! Retention and run timeouts, as an operator sees them: a hung flow's attempts fail at its
//! timeout; runs past their keep are pruned by the server, and `runs prune --dry-run` lists
//! what `runs prune` then removes.

use crate::retries::{accepted, started};
use crate::support::{Binary, PATIENCE, eventually};
use crate::webhooks::finished_run;
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_attempt_that_runs_past_its_timeout_fails_and_is_retried_and_its_worker_is_free_again() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    let started = Instant::now();
    let id = accepted(&client, &server.hook("a", "/hang"), "").await;
    let run = finished_run(&binary, id);
    assert_eq!((run["status"].as_str(), run["attempts"].as_u64()), (Some("dead"), Some(2)), "{run}");
    // Two attempts of 1 s and a retry delay of 100 ms, not the flow's hour.
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let detail = binary.run_detail(id);
    let error = detail["error"].as_str().expect("an error");
    assert!(error.contains("timeout of 1s"), "{error}");
}

#[tokio::test]
async fn the_server_prunes_runs_past_their_keep_and_payloads_past_keep_payload() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    let brief = accepted(&client, &server.hook("a", "/brief"), "kept briefly").await;
    let noop = accepted(&client, &server.hook("a", "/noop"), r#"{"id": 7}"#).await;
    finished_run(&binary, brief);
    finished_run(&binary, noop);
    assert_eq!(binary.run_detail(brief)["body"], "kept briefly");
    // keep_payload = "1s": the payload goes first, the run stays.
    let detail = eventually(PATIENCE, "the payload to be pruned", || {
        let detail = binary.run_detail(brief);
        detail["body"].is_null().then_some(detail)
    });
    assert!(detail["payload_removed_at"].is_string(), "{detail}");
    let shown = binary.ok(&["runs", "show", &brief.to_string()]);
    assert!(shown.contains("removed at"), "{shown}");
    let replay = binary.run(&["replay", &brief.to_string()]);
    let refusal = String::from_utf8_lossy(&replay.stderr);
    assert!(!replay.status.success() && refusal.contains("keep_payload"), "{refusal}");
    // keep = "3s": then the run.
    eventually(PATIENCE, "the run to be pruned", || (binary.runs_of("brief") == 0).then_some(()));
    assert_eq!(binary.runs_of("noop"), 1, "another flow's run is kept for the default 7 days");
    drop(server);
}

#[tokio::test]
async fn runs_prune_dry_run_lists_what_runs_prune_removes() {
    let binary = Binary::example("probe");
    let (mut server, client) = started(&binary);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(accepted(&client, &server.hook("a", "/brief"), "x").await);
    }
    for id in &ids {
        finished_run(&binary, *id);
    }
    // Stopped at once, before its pruner's next sweep: the commands do the pruning.
    server.kill();
    std::thread::sleep(Duration::from_millis(3_100));
    let dry = binary.ok(&["runs", "prune", "--dry-run"]);
    assert!(dry.starts_with("would remove 3 runs"), "{dry}");
    assert!(dry.contains("brief") && dry.contains("succeeded"), "{dry}");
    assert_eq!(binary.runs_of("brief"), 3, "a dry run removes nothing");
    let removed = binary.ok(&["runs", "prune"]);
    assert_eq!(removed.replacen("removed", "would remove", 1), dry, "the prune removes what the dry run listed");
    assert_eq!(binary.runs_of("brief"), 0);
    assert!(binary.ok(&["runs", "prune", "--dry-run"]).starts_with("would remove 0 runs"));
}
