//! `flows` and `check`: what the integration is made of.

use crate::integration::Integration;
use crate::model::{Broker, Config, FlowDescriptor, RequestKey, Result, Trigger};
use crate::report::table;
use crate::schedule::Schedule;
use crate::store::{self, Role};
use serde_json::{Value, json};
use std::io::Write;
use std::process::ExitCode;

/// How many upcoming fire times `flows` shows for a schedule.
const UPCOMING: usize = 3;

pub(super) fn flows<C: Config>(integration: &Integration<C>, json: bool) -> Result<ExitCode> {
    let out = &mut std::io::stdout().lock();
    if json {
        let flows: Vec<Value> = integration.flows().iter().map(describe).collect::<Result<_>>()?;
        writeln!(out, "{}", serde_json::to_string_pretty(&flows)?)?;
    } else {
        write_table(out, integration)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn check<C: Config>(integration: &Integration<C>, store_url: &str) -> Result<ExitCode> {
    for flow in integration.flows().iter() {
        describe(flow)?;
    }
    let store = store::open(store_url, Role::Command).await?;
    let instances = store.instances().await?;
    let active = instances.iter().filter(|instance| instance.active).count();
    let out = &mut std::io::stdout().lock();
    writeln!(out, "integration  {}", integration.name())?;
    writeln!(out, "store        {store_url} (schema up to date; {active} active of {} instances)", instances.len())?;
    writeln!(out)?;
    write_table(out, integration)
}

fn write_table<C>(out: &mut impl Write, integration: &Integration<C>) -> Result<ExitCode> {
    let mut rows = Vec::new();
    for flow in integration.flows().iter() {
        let (trigger, next) = match flow.trigger {
            Trigger::Webhook { path } | Trigger::Preprocess { path, .. } => {
                (format!("POST /hooks/{{instance}}{path}"), String::new())
            }
            Trigger::Event { preprocess, event, .. } => (format!("`{event}` at {preprocess}"), String::new()),
            Trigger::Source { broker: Broker::Nats { subject, stream } } => {
                (format!("{subject} (stream {stream})"), String::new())
            }
            Trigger::Source { broker: Broker::Amqp { queue } } => (format!("queue {queue}"), String::new()),
            Trigger::Source { broker: Broker::Mqtt { topic } } => (format!("{topic} (QoS 1)"), String::new()),
            Trigger::Schedule { cron, tz } => {
                let next = Schedule::parse(cron, tz)?.upcoming(1).first().map(ToString::to_string).unwrap_or_default();
                (format!("{cron} ({tz})"), next)
            }
            _ => (String::new(), String::new()),
        };
        rows.push(vec![flow.name.to_owned(), flow.trigger.kind().to_owned(), trigger, next]);
    }
    table::write(out, &["FLOW", "KIND", "TRIGGER", "NEXT"], &rows)?;
    Ok(ExitCode::SUCCESS)
}

/// One flow as `flows --json` prints it.
fn describe<C>(flow: &FlowDescriptor<C>) -> Result<Value> {
    let mut described = json!({ "name": flow.name, "kind": flow.trigger.kind() });
    match flow.trigger {
        Trigger::Webhook { path } => described["path"] = json!(path),
        Trigger::Preprocess { path, route, reject_unhandled, .. } => {
            described["path"] = json!(path);
            described["route"] = match route {
                RequestKey::Header(name) => json!({ "header": name }),
                RequestKey::Json(pointer) => json!({ "json": pointer }),
            };
            described["unhandled"] = json!(if reject_unhandled { "reject" } else { "ignore" });
        }
        Trigger::Event { preprocess, event, .. } => {
            described["preprocess"] = json!(preprocess);
            described["event"] = json!(event);
        }
        Trigger::Source { broker: Broker::Nats { subject, stream } } => {
            described["subject"] = json!(subject);
            described["stream"] = json!(stream);
        }
        Trigger::Source { broker: Broker::Amqp { queue } } => described["queue"] = json!(queue),
        Trigger::Source { broker: Broker::Mqtt { topic } } => {
            described["topic"] = json!(topic);
            described["qos"] = json!(1);
        }
        Trigger::Schedule { cron, tz } => {
            let upcoming: Vec<String> =
                Schedule::parse(cron, tz)?.upcoming(UPCOMING).iter().map(|time| time.timestamp().to_string()).collect();
            described["schedule"] = json!(cron);
            described["tz"] = json!(tz);
            described["next"] = json!(upcoming);
        }
        _ => {}
    }
    Ok(described)
}
