use aqueduct::prelude::*;

struct Crm {}

impl Crm {
    #[action]
    async fn create_contact(&self) -> Result<()> {
        Ok(())
    }
}

fn main() {}
