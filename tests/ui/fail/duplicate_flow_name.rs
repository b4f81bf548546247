use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

mod github {
    use aqueduct::prelude::*;

    #[flow(webhook, path = "/github")]
    pub async fn handle(_ctx: Ctx<super::Settings>) -> Result<()> {
        Ok(())
    }
}

mod stripe {
    use aqueduct::prelude::*;

    #[flow(webhook, path = "/stripe")]
    pub async fn handle(_ctx: Ctx<super::Settings>) -> Result<()> {
        Ok(())
    }
}

aqueduct::integration! { name: "ui", config: Settings, flows: [github::handle, stripe::handle] }
