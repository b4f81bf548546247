use aqueduct::prelude::*;

#[component]
struct Crm {}

#[component]
impl Crm {
    #[action(undo_with = delete_contact)]
    async fn create_contact(&self) -> Result<u64> {
        Ok(7)
    }
}

fn main() {}
