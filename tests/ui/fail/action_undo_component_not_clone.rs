use aqueduct::prelude::*;

#[derive(Serialize, Deserialize)]
struct Contact {
    id: u64,
}

/// Not `Clone`, so no copy can be kept to undo a call with.
#[component]
struct Crm {}

#[component]
impl Crm {
    #[action(undo = delete_contact)]
    async fn create_contact(&self) -> Result<Contact> {
        Ok(Contact { id: 7 })
    }

    #[action]
    async fn delete_contact(&self, contact: &Contact) -> Result<()> {
        let _ = contact.id;
        Ok(())
    }
}

fn main() {}
