use aqueduct::prelude::*;

#[component]
struct Crm {}

#[component]
impl Crm {
    #[action]
    async fn count(&self) -> u32 {
        7
    }
}

fn main() {}
