use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings, route = header("X-GitHub-Event"), unhandled = reject)]
struct GitHub;

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub] }
