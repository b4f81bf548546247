use aqueduct::prelude::*;

#[component]
struct Crm {}

trait Contacts {
    async fn create_contact(&self) -> Result<()>;
}

#[component]
impl Contacts for Crm {
    #[action]
    async fn create_contact(&self) -> Result<()> {
        Ok(())
    }
}

fn main() {}
