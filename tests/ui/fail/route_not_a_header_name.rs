use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

// A space is not allowed in a header name: no request could ever carry this one.
#[flow(preprocess, path = "/github", config = Settings, route = header("X GitHub Event"))]
pub struct GitHub;

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub] }
