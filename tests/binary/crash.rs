//! SIGKILL at random points under load: every acknowledged delivery still runs to success,
//! and the database stays intact.

use crate::support::{Binary, PATIENCE, eventually};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KILLS: usize = 12;
const MIN_DELIVERIES: u64 = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_server_loses_no_acknowledged_delivery() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let next_id = Arc::new(AtomicU64::new(0));
    let acknowledged = Arc::new(Mutex::new(HashSet::<u64>::new()));
    let mut kills = 0;
    // A busy machine acknowledges fewer deliveries in a round: rounds then last longer, up to
    // 16 times. Bounded: at most 60 rounds of at most 10 s, whatever the machine's speed.
    let mut stretch = 1;
    for _ in 0..60 {
        let got_through = acknowledged.lock().unwrap().len() as u64;
        if kills >= KILLS && next_id.load(Ordering::SeqCst) >= MIN_DELIVERIES && got_through >= MIN_DELIVERIES / 2 {
            break;
        }
        let mut server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
        let url = server.hook("a", "/noop");
        let senders: Vec<_> = (0..16)
            .map(|_| {
                let (url, next_id, acknowledged) = (url.clone(), next_id.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
                    loop {
                        let id = next_id.fetch_add(1, Ordering::SeqCst);
                        match client.post(&url).body(format!("{{\"id\":{id}}}")).send().await {
                            Ok(response) if response.status().is_success() => {
                                acknowledged.lock().unwrap().insert(id);
                            }
                            // A refusal is no acknowledgement; a dropped connection ends this round.
                            Ok(_) => {}
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        let pause = stretch * (150 + (jiff::Timestamp::now().subsec_nanosecond() as u64 % 450));
        tokio::time::sleep(Duration::from_millis(pause)).await;
        tokio::task::block_in_place(|| server.kill());
        kills += 1;
        for sender in senders {
            sender.await.unwrap();
        }
        if (acknowledged.lock().unwrap().len() as u64) < got_through + 50 {
            stretch = (stretch * 2).min(16);
        }
    }
    assert!(kills >= KILLS);

    let _last = tokio::task::block_in_place(|| binary.serve(&["serve"]));
    let database = binary.database();
    eventually(PATIENCE, "every stored run to finish", || {
        let open: i64 = database
            .query_row("SELECT count(*) FROM runs WHERE status IN ('queued', 'running', 'failed')", [], |row| {
                row.get(0)
            })
            .unwrap();
        (open == 0).then_some(())
    });
    let mut statement = database
        .prepare("SELECT body, status FROM runs JOIN payloads ON payloads.run_id = runs.id WHERE flow = 'noop'")
        .unwrap();
    let mut succeeded = HashSet::new();
    let mut stored = HashSet::new();
    for row in statement.query_map([], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?))).unwrap() {
        let (body, status) = row.unwrap();
        let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"].as_u64().unwrap();
        stored.insert(id);
        if status == "succeeded" {
            succeeded.insert(id);
        }
    }
    let acknowledged = acknowledged.lock().unwrap();
    let lost: Vec<_> = acknowledged.iter().filter(|id| !succeeded.contains(id)).collect();
    assert!(lost.is_empty(), "{} acknowledged deliveries have no succeeded run: {lost:?}", lost.len());
    let integrity: String = database.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    let sent = next_id.load(Ordering::SeqCst);
    let unacknowledged_but_stored = stored.iter().filter(|id| !acknowledged.contains(id)).count();
    println!(
        "crash test: {kills} kills, {sent} deliveries sent, {} acknowledged, {} stored, {unacknowledged_but_stored} stored but never acknowledged",
        acknowledged.len(),
        stored.len()
    );
    assert!(acknowledged.len() as u64 >= MIN_DELIVERIES / 2, "too few deliveries got through to test anything");
}
