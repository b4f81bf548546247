//! Components: actions take any arguments, receivers and results; plain methods pass through.

use aqueduct::prelude::*;

#[component]
struct Crm {
    base: Url,
    calls: u32,
}

#[component]
impl Crm {
    fn new(base: Url) -> Crm {
        Crm { base, calls: 0 }
    }

    /// Documented actions keep their docs.
    #[action]
    async fn contact_url(&self, id: u64, (first, last): (&str, &str)) -> Result<Url> {
        Ok(self.base.join(&format!("contacts/{id}?name={first}+{last}"))?)
    }

    #[action]
    async fn count(&mut self) -> std::result::Result<u32, std::io::Error> {
        self.calls += 1;
        Ok(self.calls)
    }

    #[action]
    async fn into_base(self, suffix: impl Into<String>) -> Result<String> {
        Ok(format!("{}{}", self.base, suffix.into()))
    }
}

#[derive(Serialize, Deserialize)]
struct Subscription {
    id: u64,
}

/// An action that declares how it is undone, if an on_activate hook fails after it.
#[component]
#[derive(Clone)]
struct Events {}

#[component]
impl Events {
    #[action(undo = unsubscribe)]
    async fn subscribe(&self, topic: &str) -> Result<Subscription> {
        Ok(Subscription { id: topic.len() as u64 })
    }

    #[action]
    async fn unsubscribe(&self, subscription: &Subscription) -> std::result::Result<(), std::io::Error> {
        let _ = subscription.id;
        Ok(())
    }
}

#[test]
fn an_undoable_action_is_called_as_any_other_outside_a_run() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let subscription = runtime.block_on(Events {}.subscribe("orders")).unwrap();
    assert_eq!(subscription.id, 6);
}

#[test]
fn actions_keep_their_signatures() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let mut crm = Crm::new(Url::parse("https://crm.example.com/").unwrap());
        assert_eq!(crm.contact_url(7, ("Ada", "Lovelace")).await.unwrap().path(), "/contacts/7");
        assert_eq!(crm.count().await.unwrap(), 1);
        assert_eq!(crm.into_base("x").await.unwrap(), "https://crm.example.com/x");
    });
}
