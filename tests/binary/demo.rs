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
