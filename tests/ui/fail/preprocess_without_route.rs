use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings)]
struct GitHub;

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub] }
