use aqueduct::prelude::*;

#[component]
struct Crm {}

#[component]
impl Crm {
    #[action]
    fn create_contact(&self) -> Result<()> {
        Ok(())
    }
}

fn main() {}
