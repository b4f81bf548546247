use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Serialize, Deserialize)]
struct Contact {
    email: String,
}

#[flow(webhook, path = "/contacts")]
async fn upsert_contact(_ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    Ok(contact.email)
}

#[flow(webhook, path = "/signups")]
async fn signup(ctx: Ctx<Settings>, Json(email): Json<String>) -> Result<String> {
    ctx.invoke::<upsert_contact>(email).await
}

aqueduct::integration! { name: "ui", config: Settings, flows: [upsert_contact, signup] }
