use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

mod staging {
    use aqueduct::prelude::*;

    #[flow(preprocess, path = "/staging/github", config = super::Settings, route = header("X-GitHub-Event"))]
    pub struct GitHub;
}

mod production {
    use aqueduct::prelude::*;

    #[flow(preprocess, path = "/github", config = super::Settings, route = header("X-GitHub-Event"))]
    pub struct GitHub;
}

// Takes pushes from the staging endpoint, but the integration lists the production one.
#[flow(event = "push", from = staging::GitHub)]
async fn push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [production::GitHub, push] }
