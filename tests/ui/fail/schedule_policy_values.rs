use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "@hourly", overlap = never)]
async fn unknown_overlap(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "@hourly", overlap = "skip")]
async fn overlap_as_a_string(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "@hourly", catch_up = "an hour", jitter = "0s")]
async fn bad_durations(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "@hourly", overlap = queue, ordered = false)]
async fn queue_unordered(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! {
    name: "ui",
    config: Settings,
    flows: [unknown_overlap, overlap_as_a_string, bad_durations, queue_unordered],
}
