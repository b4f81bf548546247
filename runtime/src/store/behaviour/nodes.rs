//! Servers sharing one store, all at once: a delivery id still runs once, a run is claimed by
//! one server, and a flow's concurrency and order hold across them. (On SQLite, which one
//! server serves, the "servers" are one store handle, and the same must hold.)

use super::on_every_store;
use super::test_store::{claim, delivery};
use crate::model::RunId;
use crate::store::{Enqueued, Store, WhenFull};
use std::collections::HashSet;
use std::sync::Arc;

async fn servers(store: &super::test_store::TestStore, count: usize) -> Vec<Arc<dyn Store>> {
    let mut servers = Vec::new();
    for _ in 0..count {
        servers.push(store.another_server().await);
    }
    servers
}

on_every_store! {
    async fn one_delivery_id_sent_to_every_server_at_once_runs_once(store: TestStore) {
        let servers = servers(&store, 3).await;
        let mut sending = tokio::task::JoinSet::new();
        for round in 0..30 {
            let server = servers[round % servers.len()].clone();
            sending.spawn(async move { server.enqueue(delivery("push", "GitHub", "d-1"), WhenFull::Wait).await.unwrap() });
        }
        let answers = sending.join_all().await;
        let created: Vec<_> = answers.iter().filter_map(|answer| match answer { Enqueued::Created(id) => Some(*id), _ => None }).collect();
        assert_eq!(created.len(), 1, "{answers:?}");
        assert!(answers.iter().all(|answer| matches!(answer, Enqueued::Created(id) | Enqueued::Duplicate(id) if *id == created[0])), "{answers:?}");
    }

    async fn servers_claiming_at_once_each_take_different_runs(store: TestStore) {
        let mut queued = HashSet::new();
        for _ in 0..60 {
            queued.insert(store.queued("import").await);
        }
        let servers = servers(&store, 3).await;
        let mut claiming = tokio::task::JoinSet::new();
        for server in servers {
            claiming.spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let flows = vec![crate::store::FlowClaim { flow: "import", limit: 4, concurrency: None, ordered: false, passing_over: Vec::new() }];
                    let claimed = server.claim(flows, 4, crate::store::behaviour::test_store::LEASE).await.unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    mine.extend(claimed.into_iter().map(|run| run.id));
                }
            });
        }
        let claimed: Vec<RunId> = claiming.join_all().await.into_iter().flatten().collect();
        assert_eq!(claimed.len(), 60, "each run claimed once");
        assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), queued);
    }

    async fn a_flows_concurrency_holds_across_servers(store: TestStore) {
        for _ in 0..20 {
            store.queued("export").await;
        }
        let mut claiming = tokio::task::JoinSet::new();
        for server in servers(&store, 4).await {
            claiming.spawn(async move { claim(&*server, "export", Some(3), false).await.len() });
        }
        let claimed: usize = claiming.join_all().await.into_iter().sum();
        assert_eq!(claimed, 3);
    }

    async fn an_ordered_flow_starts_one_run_of_an_instance_across_servers(store: TestStore) {
        store.store.activate_instance("globex", "{}").await.unwrap();
        for instance in ["acme", "globex", "acme", "globex", "acme"] {
            let mut ordered = crate::store::behaviour::test_store::entry("sync", instance, crate::store::Start::Queued);
            ordered.ordered = true;
            assert!(matches!(store.store.enqueue(ordered, WhenFull::Wait).await.unwrap(), Enqueued::Created(_)));
        }
        let mut claiming = tokio::task::JoinSet::new();
        for server in servers(&store, 4).await {
            claiming.spawn(async move { claim(&*server, "sync", None, true).await });
        }
        let claimed: Vec<RunId> = claiming.join_all().await.into_iter().flatten().collect();
        assert_eq!(claimed.len(), 2, "one per instance: {claimed:?}");
        let mut instances = Vec::new();
        for run in claimed {
            instances.push(store.store.run(run).await.unwrap().unwrap().summary.instance);
        }
        instances.sort();
        assert_eq!(instances, ["acme", "globex"]);
    }
}

/// A server hears at once of an instance another changed (PostgreSQL's `NOTIFY`), so a new
/// configuration, a rotated secret, is in force on every server without waiting to poll.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_changed_by_one_server_is_announced_to_the_others() {
    let Some(store) = super::test_store::TestStore::postgres().await else { return };
    let listening = crate::store::open(store.url(), crate::store::Role::Server { queue_capacity: 16 }).await.unwrap();
    let heard = || tokio::time::timeout(std::time::Duration::from_secs(5), listening.instances_changed());
    // Heard first once listening starts: what changed before then is read again.
    heard().await.expect("listening started");
    store.store.activate_instance("globex", r#"{"token":"new"}"#).await.unwrap();
    heard().await.expect("an activation is announced");
    store.store.deactivate_instance("globex").await.unwrap();
    heard().await.expect("a deactivation is announced");
    listening.close().await;
}

/// A store closed lets go of whoever waits for an announcement (a stopped server's loops),
/// rather than keep them, and the engine they hold, waiting for ever.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_store_ends_the_waits_for_announcements() {
    let Some(store) = super::test_store::TestStore::postgres().await else { return };
    let listening = crate::store::open(store.url(), crate::store::Role::Server { queue_capacity: 16 }).await.unwrap();
    let waiting = tokio::spawn({
        let listening = listening.clone();
        async move { listening.runs_announced().await }
    });
    // The waiter is parked before the store closes.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    listening.close().await;
    tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await.expect("the wait ended").unwrap();
}
