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
