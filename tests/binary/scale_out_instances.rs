//! Servers sharing one PostgreSQL store see an instance changed through any of them at once:
//! the changing transaction announces it (`NOTIFY`), and every server reads its instances
//! again, so a rotated signing secret is in force everywhere well within a second.
//!
//! It needs PostgreSQL as `scale_out.rs` finds it.

use crate::scale_out::{SharedStore, assert_no_error_logged, block_on};
use crate::support::{Binary, PATIENCE, Server, github_signature};
use std::time::{Duration, Instant};

/// What the issue promises a rotated secret takes to be in force on every server.
const IN_FORCE: Duration = Duration::from_secs(1);

#[test]
fn a_secret_rotated_through_one_server_is_in_force_on_every_server_within_a_second() {
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out");
    activate(&binary, "old");
    let nodes = binary.serve_nodes(3, &["serve"]);
    let client = reqwest::Client::new();
    for node in &nodes {
        assert_eq!(block_on(deliver(&client, node, "old")), 202, "the first secret verifies at {}", node.url);
    }

    activate(&binary, "new");
    let rotated = Instant::now();
    for node in &nodes {
        let took = block_on(until_accepted(&client, node, "new", rotated));
        println!("the new secret verified at {} {took:?} after the rotation", node.url);
        assert!(took < IN_FORCE, "the new secret took {took:?} to be in force at {}", node.url);
        assert_eq!(block_on(deliver(&client, node, "old")), 401, "the old secret still verifies at {}", node.url);
    }
    nodes.iter().for_each(assert_no_error_logged);
}

/// Activates the instance `a` with `secret` through the command line, as an operator would.
fn activate(binary: &Binary, secret: &str) {
    let output = binary.activate("a", &format!("signing_secret = \"{secret}\""), "http://127.0.0.1:9");
    assert!(output.status.success(), "activating a: {}", String::from_utf8_lossy(&output.stderr));
}

/// How long after `since` a delivery signed with `secret` was first accepted by `node`.
async fn until_accepted(client: &reqwest::Client, node: &Server, secret: &str, since: Instant) -> Duration {
    let deadline = Instant::now() + PATIENCE;
    while deliver(client, node, secret).await != 202 {
        assert!(Instant::now() < deadline, "{} never took the new secret", node.url);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    since.elapsed()
}

/// Sends a delivery to `/signed` signed GitHub style with `secret`: the status it was answered.
async fn deliver(client: &reqwest::Client, node: &Server, secret: &str) -> u16 {
    let body = b"{\"ping\":true}";
    let response = client
        .post(node.hook("a", "/signed"))
        .header("X-Hub-Signature-256", github_signature(secret, body))
        .body(body.as_slice())
        .send()
        .await
        .expect("the server answers");
    response.status().as_u16()
}
