use aqueduct::prelude::*;

#[component]
struct Crm {}

#[component(rate = "10/s")]
impl Crm {
    #[action]
    async fn count(&self) -> Result<u64> {
        Ok(7)
    }
}

fn main() {}
