//! Tests that run integration binaries as processes and drive them over HTTP and their
//! command line, as an integration's operator would.

#[path = "../services/mod.rs"]
mod services;
mod support;

mod admin;
mod bad_input;
// The broker tests need every source client in the build: `cargo test --all-features`.
#[cfg(all(feature = "nats", feature = "amqp", feature = "mqtt"))]
mod brokers;
mod cli;
mod connections;
mod crash;
mod dashboard;
mod dedupe;
mod demo;
mod events;
mod fairness;
mod files;
mod handshakes;
mod instances;
mod lifecycle;
mod limits;
mod oauth2;
mod order;
mod polling;
mod rate;
#[cfg(all(feature = "nats", feature = "amqp", feature = "mqtt"))]
mod recovery;
mod retention;
mod retries;
#[cfg(feature = "postgres")]
mod scale_out;
#[cfg(feature = "postgres")]
mod scale_out_instances;
#[cfg(all(feature = "postgres", feature = "nats"))]
mod scale_out_sources;
mod schedule;
mod secrets;
mod shutdown;
mod signatures;
#[cfg(all(feature = "nats", feature = "amqp", feature = "mqtt"))]
mod sources;
mod state;
mod steps;
mod webhooks;
