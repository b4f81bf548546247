//! The command line: flows, check, invoke, runs.

use crate::support::Binary;
use serde_json::json;

#[test]
fn flows_json_describes_each_flow() {
    let flows = Binary::example("inventory_sync").json(&["flows", "--json"]);
    let flows = flows.as_array().unwrap();
    assert_eq!(flows.len(), 4);
    assert_eq!(flows[0], json!({ "name": "stock_changed", "kind": "webhook", "path": "/inventory" }));
    assert_eq!((flows[1]["name"].as_str(), flows[1]["kind"].as_str()), (Some("reconcile"), Some("schedule")));
    assert_eq!((flows[1]["schedule"].as_str(), flows[1]["tz"].as_str()), (Some("*/2 * * * *"), Some("Europe/Berlin")));
    let next = flows[1]["next"].as_array().unwrap();
    assert_eq!(next.len(), 3);
    assert!(next.iter().all(|time| time.as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second() % 120 == 0));
    assert_eq!(flows[2], json!({ "name": "register_webhook", "kind": "on_activate" }));
    assert_eq!(flows[3], json!({ "name": "remove_webhook", "kind": "on_deactivate" }));
}

#[test]
fn check_prints_the_manifest() {
    let output = Binary::example("inventory_sync").ok(&["check"]);
    assert!(output.contains("integration  inventory-sync"), "{output}");
    assert!(output.contains("schema up to date; 0 active of 0 instances"), "{output}");
    assert!(output.contains("POST /hooks/{instance}/inventory"), "{output}");
}

#[test]
fn invoke_runs_a_flow_once_and_records_it() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let payload = binary.dir().join("payload.txt");
    std::fs::write(&payload, "hello").unwrap();

    let output = binary.json(&["invoke", "echo", "--payload", payload.to_str().unwrap(), "--query", "page=2"]);
    assert_eq!(output, json!({ "label": "first", "page": 2, "marker": "", "body_len": 5 }));
    let run = &binary.runs()[0];
    assert_eq!(
        (run["flow"].as_str(), run["cause"].as_str(), run["status"].as_str()),
        (Some("echo"), Some("invoke"), Some("succeeded"))
    );

    let refused = binary.run(&["invoke", "echo", "--query", "page=many"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("`page`"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let failed = binary.run(&["invoke", "fail"]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("this flow always fails"));
    let dead = binary.json(&["runs", "--status", "dead", "--json"]);
    assert_eq!(dead.as_array().unwrap().len(), 1);
    let shown = binary.ok(&["runs", "show", &dead[0]["id"].to_string()]);
    assert!(shown.contains("error     this flow always fails"), "{shown}");

    assert!(binary.activate("b", "label = \"second\"", "http://127.0.0.1:9").status.success());
    binary.ok(&["invoke", "echo", "--instance", "b", "--query", "page=1"]);
    let of_b = binary.json(&["runs", "--instance", "b", "--json"]);
    assert_eq!(of_b.as_array().unwrap().len(), 1, "{of_b}");
    assert_eq!(binary.json(&["runs", "--instance", "a", "--flow", "echo", "--json"]).as_array().unwrap().len(), 1);

    let unknown = binary.run(&["invoke", "nope"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("the flows are: echo, tick, fail, flaky"));
}

/// A command whose reader has gone away, as in `runs | head -2`, ends quietly.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    binary.ok(&["invoke", "echo", "--query", "page=1"]);
    let run = binary.runs()[0]["id"].to_string();
    for args in [vec!["runs"], vec!["runs", "show", &run], vec!["flows"], vec!["instances", "list"]] {
        let mut child = binary
            .command()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The read end is closed before the command writes anything.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success() && stderr.is_empty(), "`{}`: {:?} {stderr}", args.join(" "), output.status);
    }
}

/// Each option is on the command that reads it.
#[test]
fn serve_options_are_on_serve_only() {
    let binary = Binary::example("probe");
    let runs_help = binary.ok(&["runs", "--help"]);
    for serve_only in ["--workers", "--queue-capacity", "--drain-timeout", "--listen", "--public-url"] {
        assert!(!runs_help.contains(serve_only), "`runs --help` lists {serve_only}:\n{runs_help}");
        assert!(binary.ok(&["serve", "--help"]).contains(serve_only), "`serve --help` lacks {serve_only}");
    }
    assert!(runs_help.contains("[default: 50]"), "{runs_help}");
    let mixed = binary.run(&["--workers", "3", "runs"]);
    assert!(!mixed.status.success());
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("cannot be used with"), "{mixed:?}");
}
