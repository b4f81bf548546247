//! Two-way sync: contacts both ways between your app and a customer's CRM, in one integration.
//! Each side sends a webhook whenever a contact changes — including when this integration
//! changed it. Without echo suppression, a change from your app written to the CRM would come
//! back from the CRM, be written to your app, come back again, forever. `ctx.echoes(…)` marks
//! each record before it is written to a system, and a report from that system matching the
//! mark is its echo: not sent on.
//!
//! `cargo run --example crm_two_way` runs a demo against a fake app and a fake CRM that report
//! every change back, as real ones do.

mod demo;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// Your app's API.
    app_url: Url,
    /// The customer's CRM.
    crm_url: Url,
}

/// A contact as your app has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct AppContact {
    email: String,
    name: String,
}

/// A contact as the CRM has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CrmContact {
    email: String,
    first_name: String,
    last_name: String,
}

impl Record for AppContact {
    fn id(&self) -> String {
        self.email.clone()
    }
}

impl Record for CrmContact {
    fn id(&self) -> String {
        self.email.clone()
    }
}

impl From<&AppContact> for CrmContact {
    fn from(contact: &AppContact) -> CrmContact {
        let (first_name, last_name) = contact.name.split_once(' ').unwrap_or((&contact.name, ""));
        CrmContact { email: contact.email.clone(), first_name: first_name.into(), last_name: last_name.into() }
    }
}

impl From<&CrmContact> for AppContact {
    fn from(contact: &CrmContact) -> AppContact {
        let name = format!("{} {}", contact.first_name, contact.last_name).trim().to_owned();
        AppContact { email: contact.email.clone(), name }
    }
}

/// Your app, or the CRM: both take a contact by `PUT /contacts/{email}`.
#[component]
struct Contacts {
    base: Url,
    http: reqwest::Client,
}

#[component]
impl Contacts {
    #[action]
    async fn put(&self, email: &str, contact: &serde_json::Value) -> Result<()> {
        self.http.put(self.base.join(&format!("contacts/{email}"))?).json(contact).send().await?.check_status()?;
        Ok(())
    }
}

/// What a run did with a reported change.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Synced {
    /// Written to the other side.
    Written,
    /// The side's report of this integration's own write: not sent back.
    Echo,
}

/// Your app changed a contact: write it to the CRM, unless it is the CRM's change coming back.
#[flow(webhook, path = "/app/contacts")]
async fn contact_changed_in_app(ctx: Ctx<Settings>, Json(contact): Json<AppContact>) -> Result<Synced> {
    if ctx.echoes("app").is_echo(&contact).await? {
        return Ok(Synced::Echo);
    }
    let crm_contact = CrmContact::from(&contact);
    ctx.echoes("crm").writing(&crm_contact).await?;
    let crm = Contacts { base: ctx.config().crm_url.clone(), http: ctx.http().clone() };
    crm.put(&crm_contact.email, &serde_json::to_value(&crm_contact)?).await?;
    Ok(Synced::Written)
}

/// The CRM changed a contact: write it to your app, unless it is your app's change coming back.
#[flow(webhook, path = "/crm/contacts")]
async fn contact_changed_in_crm(ctx: Ctx<Settings>, Json(contact): Json<CrmContact>) -> Result<Synced> {
    if ctx.echoes("crm").is_echo(&contact).await? {
        return Ok(Synced::Echo);
    }
    let app_contact = AppContact::from(&contact);
    ctx.echoes("app").writing(&app_contact).await?;
    let app = Contacts { base: ctx.config().app_url.clone(), http: ctx.http().clone() };
    app.put(&app_contact.email, &serde_json::to_value(&app_contact)?).await?;
    Ok(Synced::Written)
}

aqueduct::integration! {
    name: "crm-two-way",
    config: Settings,
    flows: [contact_changed_in_app, contact_changed_in_crm],
    demo: demo::run,
}
