//! The demo: a fake GitHub and tracker, an instance activated against them, and GitHub's own
//! example deliveries, signed as GitHub signs them.

use crate::Settings;
use crate::fake_apps::FakeApps;
use aqueduct::prelude::*;
use std::time::Duration;

/// GitHub's example payloads (octokit/webhooks, MIT), with the event each is.
const DELIVERIES: [(&str, &[u8]); 4] = [
    ("ping", include_bytes!("../../tests/fixtures/github/ping/payload.json")),
    ("push", include_bytes!("../../tests/fixtures/github/push/payload.json")),
    ("issues", include_bytes!("../../tests/fixtures/github/issues/opened.payload.json")),
    ("pull_request", include_bytes!("../../tests/fixtures/github/pull_request/opened.payload.json")),
];

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let apps = FakeApps::start().await?;
    println!("fake GitHub at {} and tracker at {}", apps.github_url(), apps.tracker_url());
    demo.activate(
        "demo",
        serde_json::json!({
            "repository": "Codertocat/Hello-World",
            "github_api": apps.github_url(),
            "github_token": "ghp_demo",
            "webhook_secret": "It's a Secret to Everybody",
            "tracker_url": apps.tracker_url(),
        }),
    )
    .await?;
    println!("\nGitHub delivers (status and answer):");
    for (number, (event, body)) in DELIVERIES.iter().enumerate() {
        println!("  {event:<13} {}", apps.deliver(event, &format!("delivery-{number}"), body).await?);
    }
    let push = DELIVERIES[1].1;
    println!("  {:<13} {}", "push again", apps.deliver("push", "delivery-1", push).await?);
    println!("  {:<13} {}", "star", apps.deliver("star", "delivery-9", br#"{"action":"created"}"#).await?);

    demo.wait_for_runs::<crate::pull_request_changed>(1, Duration::from_secs(30)).await?;
    demo.wait_for_runs::<crate::issue_changed>(1, Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await?;
    println!("\nthe tracker now holds:");
    for line in apps.tracker() {
        println!("  {line}");
    }
    Ok(())
}
