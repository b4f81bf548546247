use aqueduct::prelude::*;

#[derive(Serialize, Deserialize)]
struct Contact {
    id: u64,
}

#[component]
#[derive(Clone)]
struct Crm {}

#[component]
impl Crm {
    /// Consumes its component: no copy is left to undo the call with.
    #[action(undo = delete_contact)]
    async fn create_contact(self) -> Result<Contact> {
        Ok(Contact { id: 7 })
    }

    #[action]
    async fn delete_contact(&self, contact: &Contact) -> Result<()> {
        let _ = contact.id;
        Ok(())
    }
}

fn main() {}
