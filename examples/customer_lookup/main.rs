//! Synchronous request/response: your app asks, while a user waits, who a customer is in the
//! customer's CRM. The answer comes back in the same HTTP call when the CRM answers within two
//! seconds. When it is slow, the caller is answered `202` with a status URL to fetch the
//! answer from, and — if it named a callback URL on the instance's allow-list — the answer is
//! POSTed there when ready, signed with Standard Webhooks ("hang up and redial").
//!
//! `cargo run --example customer_lookup` runs a demo against a fake CRM, one lookup that it
//! answers at once and one that takes it three seconds.

mod demo;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

/// One customer's CRM, and where your app may be called back.
#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// The CRM's API.
    crm_url: Url,
    crm_token: Secret,
    /// The hosts a caller may name in `X-Callback-Url`, e.g. `["app.example.com"]`.
    callback_hosts: Vec<String>,
    /// The Standard Webhooks secret (`whsec_…`) callbacks are signed with.
    callback_secret: Secret,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Customer {
    id: String,
    name: String,
    email: String,
}

/// The customer's CRM.
#[component]
struct Crm {
    base: Url,
    token: Secret,
    http: reqwest::Client,
}

#[component]
impl Crm {
    /// The customer with this email, if the CRM has one.
    #[action]
    async fn find_customer(&self, email: &str) -> Result<Option<Customer>> {
        let request = self.http.get(self.base.join("customers")?).query(&[("email", email)]);
        let response = request.bearer_auth(self.token.expose()).send().await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(response.check_status()?.json().await?))
    }
}

#[derive(Deserialize)]
struct Lookup {
    email: String,
}

/// `GET /hooks/{instance}/customers/lookup?email=…`: the customer, or 404.
#[flow(
    sync,
    path = "/customers/lookup",
    method = GET,
    timeout = "2s",
    callback_hosts = callback_hosts,
    callback_secret = callback_secret
)]
async fn lookup_customer(
    ctx: Ctx<Settings>,
    Query(lookup): Query<Lookup>,
) -> Result<(StatusCode, Json<serde_json::Value>)> {
    let settings = ctx.config();
    let crm = Crm { base: settings.crm_url.clone(), token: settings.crm_token.clone(), http: ctx.http().clone() };
    Ok(match crm.find_customer(&lookup.email).await? {
        Some(customer) => (StatusCode::OK, Json(serde_json::json!({ "customer": customer }))),
        None => {
            let error = format!("no customer has the email {}", lookup.email);
            (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": error })))
        }
    })
}

aqueduct::integration! {
    name: "customer-lookup",
    config: Settings,
    flows: [lookup_customer],
    demo: demo::run,
}
