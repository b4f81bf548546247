//! `cargo run --example inventory_sync` with no command runs the demo against fake apps.

use crate::support::{Binary, PATIENCE};

#[test]
fn the_demo_imports_the_fake_deliveries() {
    let binary = Binary::example("inventory_sync");
    let mut demo = binary.serve(&[]);
    demo.wait_for_line("catalog stock now:", PATIENCE);
    let output = demo.output();
    assert!(output.contains("activated instance demo"), "{output}");
    assert_eq!(output.matches("stock_changed     demo      webhook   succeeded").count(), 3, "{output}");
    // The deliveries' changes, unless the two-minute reconcile ran in between and reset the levels.
    assert!(
        output.contains("catalog stock now: gadgets=-5, sprockets=7, widgets=17") || output.contains("reconcile"),
        "{output}"
    );
}

#[test]
fn the_github_demo_routes_each_event_and_ignores_the_rest() {
    let binary = Binary::example("github_import");
    let mut demo = binary.serve(&[]);
    demo.wait_for_line("the tracker now holds:", PATIENCE);
    let output = demo.output();
    for answer in ["push again    202 {\"duplicate\":true", "star          202 {\"ignored\":true"] {
        assert!(output.contains(answer), "{answer}: {output}");
    }
    demo.wait_for_line("pulls Codertocat/Hello-World #2", PATIENCE);
}

#[test]
fn the_orders_demo_exports_every_order_through_a_throttle() {
    let binary = Binary::example("orders_export");
    let mut demo = binary.serve(&[]);
    demo.wait_for_line("shows the throttled attempt and its retry", PATIENCE);
    let output = demo.output();
    assert_eq!(output.matches("accounting app: invoice").count(), 3, "{output}");
    assert!(output.contains("succeeded  2"), "the throttled order took a second attempt: {output}");
}

#[test]
#[cfg(all(feature = "nats", feature = "amqp", feature = "mqtt"))]
fn the_pubsub_demo_imports_what_the_warehouse_publishes() {
    if !crate::brokers::available("NATS", 4222) {
        return;
    }
    let _alone = crate::sources::ONE_BROKER_TEST_AT_A_TIME.blocking_lock();
    let binary = Binary::example("pubsub_import");
    let mut demo = binary.serve(&[]);
    demo.wait_for_line("the catalog's stock:", PATIENCE);
    assert!(demo.output().contains(r#""widget": 17"#), "{}", demo.output());
}

#[test]
fn the_polling_demo_imports_only_what_changed_since_the_last_poll() {
    let binary = Binary::example("orders_poll");
    let mut demo = binary.serve(&[]);
    demo.wait_for_line("OAuth2 token(s) for the three polls", PATIENCE);
    let output = demo.output();
    let imported = |order: &str| output.matches(&format!("your app: order {order} imported")).count();
    // 1002 changed between the first and second polls; the third imported nothing again.
    assert_eq!([imported("1001"), imported("1002"), imported("1003"), imported("1004")], [1, 2, 1, 1], "{output}");
    // Three by hand, and one more if the minute's own tick came meanwhile.
    assert!(output.matches("poll_orders  demo      schedule  succeeded").count() >= 3, "{output}");
    assert!(output.contains("the shop issued 1 OAuth2 token(s)"), "{output}");
}
