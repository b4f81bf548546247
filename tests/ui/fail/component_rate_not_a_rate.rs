use aqueduct::prelude::*;

#[component(rate = "ten a second")]
struct Crm {}

#[component]
impl Crm {
    #[action(timeout = "soon")]
    async fn create_contact(&self) -> Result<u64> {
        Ok(7)
    }
}

fn main() {}
