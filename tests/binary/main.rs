//! Tests that run integration binaries as processes and drive them over HTTP and their
//! command line, as an integration's operator would.

mod support;

mod bad_input;
mod brokers;
mod cli;
mod crash;
mod dedupe;
mod demo;
mod events;
mod handshakes;
mod instances;
mod limits;
mod order;
mod retries;
mod schedule;
mod shutdown;
mod signatures;
mod sources;
mod webhooks;
