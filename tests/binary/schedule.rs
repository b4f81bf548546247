//! A schedule flow fires once per tick for every active instance.

use crate::support::{Binary, PATIENCE, eventually};
use std::collections::BTreeMap;

#[test]
fn a_per_second_schedule_fires_for_each_active_instance() {
    let binary = Binary::example("probe");
    for (name, label) in [("a", "first"), ("b", "second"), ("c", "retired")] {
        assert!(binary.activate(name, &format!("label = \"{label}\""), "http://127.0.0.1:9").status.success());
    }
    binary.ok(&["instances", "deactivate", "c"]);
    let _server = binary.serve(&["serve"]);

    let ticks = eventually(PATIENCE, "three ticks for each active instance", || {
        let mut per_instance: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for run in binary.json(&["runs", "--flow", "tick", "--status", "succeeded", "--json"]).as_array().unwrap() {
            per_instance
                .entry(run["instance"].as_str().unwrap().to_owned())
                .or_default()
                .push(run["id"].as_u64().unwrap());
        }
        (per_instance.len() == 2 && per_instance.values().all(|ids| ids.len() >= 3)).then_some(per_instance)
    });
    assert!(!ticks.contains_key("c"), "an inactive instance was scheduled");
    let output = binary.json(&["runs", "show", &ticks["b"][0].to_string(), "--json"])["output"].clone();
    assert_eq!(output, "second", "the tick ran with the instance's configuration");
    assert_eq!(binary.json(&["runs", "show", &ticks["b"][0].to_string(), "--json"])["cause"], "schedule");
}

/// The `clock` integration with instance `a`, its runs working `work_ms`, and every flow but
/// `flows` paused.
fn clock(work_ms: u64, flows: &[&str]) -> Binary {
    let binary = Binary::example("clock");
    assert!(binary.activate("a", &format!("work_ms = {work_ms}"), "http://127.0.0.1:9").status.success());
    for flow in ["skipping", "queueing", "allowing", "catching_up", "not_catching_up", "configured", "backfilled"] {
        if !flows.contains(&flow) {
            binary.ok(&["flows", "pause", flow]);
        }
    }
    binary
}

/// A flow's runs, oldest first: status, and output (what `clock`'s flows return).
fn runs_of(binary: &Binary, flow: &str) -> Vec<(String, Option<serde_json::Value>)> {
    let database = binary.database();
    let mut query = database.prepare("SELECT status, output FROM runs WHERE flow = ?1 ORDER BY id").unwrap();
    let rows = query.query_map([flow], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))).unwrap();
    rows.map(|row| row.unwrap())
        .map(|(status, output)| (status, output.map(|json| serde_json::from_str(&json).unwrap())))
        .collect()
}

/// The (started, finished) of each succeeded run.
fn worked(binary: &Binary, flow: &str) -> Vec<(jiff::Timestamp, jiff::Timestamp)> {
    let time = |value: &serde_json::Value| value.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    runs_of(binary, flow)
        .into_iter()
        .filter_map(|(_, output)| output)
        .map(|output| (time(&output["started"]), time(&output["finished"])))
        .collect()
}

fn overlapping(runs: &[(jiff::Timestamp, jiff::Timestamp)]) -> usize {
    runs.windows(2).filter(|pair| pair[1].0 < pair[0].1).count()
}

#[test]
fn each_overlap_policy_does_what_it_says_with_a_tick_while_a_run_works() {
    // Each run works 2.5 s; the flows tick every second.
    let binary = clock(2500, &["skipping", "queueing", "allowing"]);
    let server = binary.serve_logging(&["serve"], "info");
    eventually(PATIENCE, "three finished runs of each flow", || {
        ["skipping", "queueing", "allowing"].iter().all(|flow| worked(&binary, flow).len() >= 3).then_some(())
    });
    server.wait_for_log(&["skipped a tick", "overlap = skip"], 1, PATIENCE);
    drop(server);

    let skipping = worked(&binary, "skipping");
    assert_eq!(overlapping(&skipping), 0, "skip: a run started while another worked: {skipping:?}");
    let unfinished = runs_of(&binary, "skipping").iter().filter(|(status, _)| status != "succeeded").count();
    assert!(unfinished <= 1, "skip: ticks were stored to run later");

    let queueing = worked(&binary, "queueing");
    assert_eq!(overlapping(&queueing), 0, "queue: a run started while another worked: {queueing:?}");
    let waiting = runs_of(&binary, "queueing").iter().filter(|(status, _)| status == "queued").count();
    assert!(waiting >= 2, "queue: the ticks while a run worked wait their turn ({waiting} waiting)");

    let allowing = worked(&binary, "allowing");
    assert!(overlapping(&allowing) >= 2, "allow: the runs did not run side by side: {allowing:?}");
}

#[test]
fn ticks_missed_while_stopped_run_as_one_at_start_only_with_catch_up() {
    let binary = clock(0, &["catching_up", "not_catching_up"]);
    let mut server = binary.serve(&["serve"]);
    eventually(PATIENCE, "a tick of each flow", || {
        ["catching_up", "not_catching_up"].iter().all(|flow| !worked(&binary, flow).is_empty()).then_some(())
    });
    server.terminate();
    let before = runs_of(&binary, "catching_up").len();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let _server = binary.serve(&["serve"]);
    // Its row is there before it has run: wait for its output.
    let caught_up = eventually(PATIENCE, "the catch-up run to finish", || {
        runs_of(&binary, "catching_up").get(before).and_then(|(_, output)| output.clone())
    });
    let tick = &caught_up["tick"];
    let count = tick["count"].as_u64().unwrap();
    println!("after 3 s stopped, the catch-up run covered {count} ticks: {tick}");
    assert!((3..=5).contains(&count), "{tick}");
    assert_eq!(tick["covers"].as_array().unwrap().len() as u64, count);
    assert_eq!(tick["at"], tick["covers"][count as usize - 1], "the run is at the latest tick it covers");
    // Without catch_up, every run stands for its own tick.
    eventually(PATIENCE, "a tick of not_catching_up after the restart", || {
        (runs_of(&binary, "not_catching_up").len() > before + 1).then_some(())
    });
    // The newest may still be running; every finished one is checked.
    for output in runs_of(&binary, "not_catching_up").into_iter().filter_map(|(_, output)| output) {
        assert_eq!(output["tick"]["count"], 1);
    }
}

#[test]
fn a_paused_schedule_starts_no_run_until_it_is_resumed() {
    let binary = clock(0, &["skipping"]);
    let _server = binary.serve(&["serve"]);
    eventually(PATIENCE, "a tick", || (!runs_of(&binary, "skipping").is_empty()).then_some(()));
    assert_eq!(binary.ok(&["flows", "pause", "skipping", "--instance", "a"]).trim(), "paused `skipping` for `a`");
    // A tick in flight when it was paused may still land.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let paused_at = runs_of(&binary, "skipping").len();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(runs_of(&binary, "skipping").len(), paused_at, "a paused flow ran");
    let flows = binary.json(&["flows", "--json"]);
    let skipping = flows.as_array().unwrap().iter().find(|flow| flow["name"] == "skipping").unwrap();
    assert_eq!(skipping["paused"], serde_json::json!(["a"]), "{skipping}");
    assert_eq!(
        skipping["instances"],
        serde_json::json!([{ "name": "a", "next": null, "paused": true, "schedule": null }])
    );
    assert!(binary.ok(&["flows"]).contains("(paused for a)"));

    assert_eq!(binary.ok(&["flows", "resume", "skipping", "--instance", "a"]).trim(), "resumed `skipping` for `a`");
    eventually(PATIENCE, "a tick after resuming", || (runs_of(&binary, "skipping").len() > paused_at).then_some(()));
    let refused = binary.run(&["flows", "pause", "nope"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("`nope` is not a schedule flow"));
    let refused = binary.run(&["flows", "pause", "skipping", "--instance", "nope"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("there is no instance `nope`"));
    assert_eq!(binary.json(&["flows", "--json"])[0]["paused"], false, "nothing was paused");
}

/// The instances a flow ran for, each with how many runs.
fn runs_per_instance(binary: &Binary, flow: &str) -> BTreeMap<String, i64> {
    let database = binary.database();
    let mut query = database.prepare("SELECT instance, count(*) FROM runs WHERE flow = ?1 GROUP BY instance").unwrap();
    let rows = query.query_map([flow], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))).unwrap();
    rows.map(|row| row.unwrap()).collect()
}

#[test]
fn a_cron_from_the_configuration_is_checked_at_activation_and_each_instance_ticks_on_its_own() {
    let binary = clock(0, &["configured"]);
    let refused = binary.activate("bad", "work_ms = 0\nsync_cron = \"every day\"", "http://127.0.0.1:9");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains("`sync_cron` (the flow `configured`'s schedule)"), "{said}");
    // `a` (from `clock`) has no cron; `b` ticks every second, `c` at 00:00 on 1 January.
    for (name, cron) in [("b", "* * * * * *"), ("c", "0 0 1 1 *")] {
        let config = format!("work_ms = 0\nsync_cron = \"{cron}\"");
        assert!(binary.activate(name, &config, "http://127.0.0.1:9").status.success());
    }
    let _server = binary.serve(&["serve"]);
    eventually(PATIENCE, "three runs for b", || {
        (runs_per_instance(&binary, "configured").get("b") >= Some(&3)).then_some(())
    });
    let ran = runs_per_instance(&binary, "configured");
    assert_eq!(ran.keys().collect::<Vec<_>>(), ["b"], "only b's cron was due: {ran:?}");

    let flows = binary.json(&["flows", "--json"]);
    let configured = flows.as_array().unwrap().iter().find(|flow| flow["name"] == "configured").unwrap();
    assert_eq!(configured["schedule"], "config(sync_cron)");
    let instances = configured["instances"].as_array().unwrap();
    assert_eq!(instances[0]["next"], serde_json::Value::Null, "a has no cron: {configured}");
    assert_eq!(instances[2]["schedule"], "0 0 1 1 *");
    assert!(instances[2]["next"].as_str().unwrap().ends_with("-01-01T00:00:00Z"), "{configured}");

    // Re-configured to the yearly cron, b stops within the second the server looks again.
    assert!(binary.activate("b", "work_ms = 0\nsync_cron = \"0 0 1 1 *\"", "http://127.0.0.1:9").status.success());
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let settled = runs_per_instance(&binary, "configured")["b"];
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert_eq!(runs_per_instance(&binary, "configured")["b"], settled, "b still ran every second");
}

#[test]
fn a_backfilling_schedule_runs_for_a_newly_activated_instance_at_once_and_only_then() {
    // `a` was activated by `clock`, with no server: its run waits in the inbox for one.
    let binary = clock(0, &[]);
    let _server = binary.serve(&["serve"]);
    assert!(binary.activate("b", "work_ms = 0", "http://127.0.0.1:9").status.success());
    // A new configuration for `a` is not a new instance.
    assert!(binary.activate("a", "work_ms = 1", "http://127.0.0.1:9").status.success());
    let ran = eventually(PATIENCE, "a backfill run for a and for b", || {
        let finished = worked(&binary, "backfilled").len();
        (finished >= 2).then(|| runs_per_instance(&binary, "backfilled"))
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(ran, BTreeMap::from([("a".to_owned(), 1), ("b".to_owned(), 1)]));
    assert_eq!(runs_per_instance(&binary, "backfilled"), ran, "a re-configuration backfilled again");
}
