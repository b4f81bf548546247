//! A test integration for servers sharing one PostgreSQL store that consume one NATS JetStream
//! source; built by `cargo test` as the example `scale_out_sources` and driven by
//! tests/binary/scale_out_sources.rs. Every run returns the message it ran for and the id of
//! the process that ran it, so a test sees which messages ran, how often, and where.

use aqueduct::prelude::*;

/// An instance needs no settings: the servers find NATS through `AQUEDUCT_NATS_URL`.
#[derive(Deserialize)]
struct Settings {}

/// What the test publishes: a number of its own for each message.
#[derive(Deserialize)]
struct Message {
    id: u64,
}

/// What every run returns.
#[derive(Serialize)]
struct Ran {
    message: u64,
    pid: u32,
}

/// Each instance's messages on a subject of its own, in a stream no other test integration
/// uses, so a test's instance of a fresh name sees only the messages it published.
#[flow(nats = "aqueduct_scale.{instance}.messages", stream = "AQUEDUCT_SCALE_OUT")]
async fn from_nats(_ctx: Ctx<Settings>, Json(message): Json<Message>) -> Result<Ran> {
    Ok(Ran { message: message.id, pid: std::process::id() })
}

aqueduct::integration! {
    name: "scale-out-sources",
    config: Settings,
    flows: [from_nats],
}
