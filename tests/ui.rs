//! Compile-time checks: each case in tests/ui/fail must fail with the message in its
//! `.stderr`. What must compile is in tests/compiles, a plain test build: with no passing case,
//! trybuild only type-checks, every case in one cargo call. The messages list what the build
//! holds (which types implement a trait), so the cases run in one build: every feature on, as
//! `cargo test --all-features` builds; the cases of a build without the source features run
//! in that build.

#[test]
#[cfg(all(feature = "nats", feature = "amqp", feature = "mqtt", feature = "s3", feature = "sftp"))]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}

/// With the default features: using a source names the feature it needs.
#[test]
#[cfg(not(any(feature = "nats", feature = "amqp", feature = "mqtt", feature = "s3", feature = "sftp")))]
fn ui_without_features() {
    trybuild::TestCases::new().compile_fail("tests/ui/without_features/*.rs");
}
