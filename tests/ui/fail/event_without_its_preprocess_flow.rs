use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

mod endpoints {
    use aqueduct::prelude::*;

    #[flow(preprocess, path = "/github", config = super::Settings, route = header("X-GitHub-Event"))]
    pub struct GitHub;

    mod elsewhere {
        aqueduct::integration! { name: "other", config: super::super::Settings, flows: [super::GitHub] }
    }
}

#[flow(event = "push", from = endpoints::GitHub)]
async fn push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [push] }
