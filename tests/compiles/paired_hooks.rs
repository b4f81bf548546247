//! Lifecycle hooks that pair: on_activate returns what it registered, on_deactivate takes it;
//! an on_activate that registers nothing needs no on_deactivate, and the reverse.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Serialize, Deserialize)]
struct Registration {
    hook_ids: Vec<u64>,
}

mod both {
    use super::*;

    #[flow(on_activate)]
    async fn register(_ctx: Activation<Settings>) -> Result<Registration> {
        Ok(Registration { hook_ids: vec![7] })
    }

    #[flow(on_deactivate)]
    async fn unregister(_ctx: Activation<Settings>, registered: Registration) -> Result<()> {
        assert_eq!(registered.hook_ids, [7]);
        Ok(())
    }

    aqueduct::integration! { name: "both", config: Settings, flows: [register, unregister] }
}

mod activation_registers_nothing {
    use super::*;

    #[flow(on_activate)]
    async fn notify(_ctx: Activation<Settings>) -> Result<()> {
        Ok(())
    }

    aqueduct::integration! { name: "notify", config: Settings, flows: [notify] }
}

mod deactivation_takes_nothing {
    use super::*;

    #[flow(on_deactivate)]
    async fn goodbye(_ctx: Activation<Settings>) -> Result<()> {
        Ok(())
    }

    aqueduct::integration! { name: "goodbye", config: Settings, flows: [goodbye] }
}
