//! `flows`, `flows pause | resume` and `check`: what the integration is made of.

use crate::integration::Integration;
use crate::model::{Broker, Config, Error, FlowDescriptor, RequestKey, Result, Trigger};
use crate::report::table;
use crate::schedule::Schedule;
use crate::store::{self, Paused, Role, Store};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Write;
use std::process::ExitCode;

/// How many upcoming fire times `flows` shows for a schedule.
const UPCOMING: usize = 3;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct FlowsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Option<FlowsCommand>,
}

#[derive(Subcommand)]
enum FlowsCommand {
    /// Stop a schedule flow's ticks, for one instance or all, until it is resumed; the ticks
    /// meanwhile are not run later, even with `catch_up`.
    Pause {
        /// The schedule flow.
        flow: String,
        /// Only this instance's ticks (else every instance's).
        #[arg(long)]
        instance: Option<String>,
    },
    /// Start a paused schedule flow's ticks again, from its next fire time.
    Resume {
        flow: String,
        #[arg(long)]
        instance: Option<String>,
    },
}

pub(super) async fn run<C: Config>(integration: &Integration<C>, store_url: &str, args: FlowsArgs) -> Result<ExitCode> {
    let store = store::open(store_url, Role::Command).await?;
    let (flow, instance, pause) = match args.command {
        None => return list(integration, store.as_ref(), args.json).await,
        Some(FlowsCommand::Pause { flow, instance }) => (flow, instance, true),
        Some(FlowsCommand::Resume { flow, instance }) => (flow, instance, false),
    };
    let schedule = integration.flows().named(&flow).filter(|flow| matches!(flow.trigger, Trigger::Schedule { .. }));
    if schedule.is_none() {
        return Err(Error::msg(format!("`{flow}` is not a schedule flow of this integration; `flows` lists them")));
    }
    if let Some(instance) = &instance
        && store.instance(instance).await?.is_none()
    {
        return Err(Error::msg(format!("there is no instance `{instance}`; `instances list` shows the instances")));
    }
    let whose = instance.as_ref().map_or("every instance".to_owned(), |instance| format!("`{instance}`"));
    let changed = store.set_paused(Paused { flow: flow.clone(), instance }, pause).await?;
    let (done, already) = if pause { ("paused", "was paused already") } else { ("resumed", "was not paused") };
    let said = if changed { format!("{done} `{flow}` for {whose}") } else { format!("`{flow}` {already} for {whose}") };
    writeln!(std::io::stdout().lock(), "{said}")?;
    Ok(ExitCode::SUCCESS)
}

async fn list<C: Config>(integration: &Integration<C>, store: &dyn Store, json: bool) -> Result<ExitCode> {
    let paused = store.paused().await?;
    let active = active_instances(store).await?;
    let out = &mut std::io::stdout().lock();
    if json {
        let flows: Vec<Value> =
            integration.flows().iter().map(|flow| describe(flow, &paused, &active)).collect::<Result<_>>()?;
        writeln!(out, "{}", serde_json::to_string_pretty(&flows)?)?;
    } else {
        write_table(out, integration, &paused)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn check<C: Config>(integration: &Integration<C>, store_url: &str) -> Result<ExitCode> {
    let store = store::open(store_url, Role::Command).await?;
    let paused = store.paused().await?;
    let active = active_instances(store.as_ref()).await?;
    for flow in integration.flows().iter() {
        describe(flow, &paused, &active)?;
    }
    let instances = store.instances().await?;
    let active = instances.iter().filter(|instance| instance.active).count();
    let out = &mut std::io::stdout().lock();
    writeln!(out, "integration  {}", integration.name())?;
    writeln!(out, "store        {store_url} (schema up to date; {active} active of {} instances)", instances.len())?;
    writeln!(out)?;
    write_table(out, integration, &paused)
}

fn write_table<C>(out: &mut impl Write, integration: &Integration<C>, paused: &[Paused]) -> Result<ExitCode> {
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
            Trigger::Schedule { cron, tz, .. } => {
                let next = Schedule::parse(cron, tz)?.upcoming(1).first().map(ToString::to_string).unwrap_or_default();
                let next = match paused_for(flow.name, paused) {
                    Some(whose) => format!("{next} (paused for {whose})"),
                    None => next,
                };
                (format!("{cron} ({tz})"), next)
            }
            _ => (String::new(), String::new()),
        };
        rows.push(vec![flow.name.to_owned(), flow.trigger.kind().to_owned(), trigger, next]);
    }
    table::write(out, &["FLOW", "KIND", "TRIGGER", "NEXT"], &rows)?;
    Ok(ExitCode::SUCCESS)
}

async fn active_instances(store: &dyn Store) -> Result<Vec<String>> {
    let instances = store.instances().await?;
    Ok(instances.into_iter().filter(|instance| instance.active).map(|instance| instance.name).collect())
}

/// Whom `flow` is paused for, as `flows` says it: `every instance`, or names.
fn paused_for(flow: &str, paused: &[Paused]) -> Option<String> {
    let mut whose = paused.iter().filter(|paused| paused.flow == flow).peekable();
    whose.peek()?;
    let names: Vec<&str> = whose.map(|paused| paused.instance.as_deref().unwrap_or("every instance")).collect();
    Some(if names.contains(&"every instance") { "every instance".into() } else { names.join(", ") })
}

/// One flow as `flows --json` prints it.
fn describe<C>(flow: &FlowDescriptor<C>, paused: &[Paused], active: &[String]) -> Result<Value> {
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
        Trigger::Schedule { cron, tz, overlap, catch_up, jitter } => {
            let upcoming = Schedule::parse(cron, tz)?.upcoming(UPCOMING);
            // Each active instance's next run: the next fire time, delayed by its jitter; none while paused.
            let instances: Vec<Value> = active
                .iter()
                .map(|instance| {
                    let is_paused = paused.iter().any(|paused| paused.covers(flow.name, instance));
                    let next = upcoming.first().filter(|_| !is_paused).map(|next| {
                        let delay = crate::schedule::jitter_delay(flow, instance, next.timestamp());
                        (next.timestamp() + delay).to_string()
                    });
                    json!({ "name": instance, "next": next, "paused": is_paused })
                })
                .collect();
            let upcoming: Vec<String> = upcoming.iter().map(|time| time.timestamp().to_string()).collect();
            let duration = |duration: Option<std::time::Duration>| {
                duration.map(|duration| humantime::format_duration(duration).to_string())
            };
            described["schedule"] = json!(cron);
            described["tz"] = json!(tz);
            described["next"] = json!(upcoming);
            described["overlap"] = json!(overlap.as_str());
            described["catch_up"] = json!(duration(catch_up));
            described["jitter"] = json!(duration(jitter));
            let whose: Vec<Option<&str>> = paused
                .iter()
                .filter(|paused| paused.flow == flow.name)
                .map(|paused| paused.instance.as_deref())
                .collect();
            described["instances"] = json!(instances);
            described["paused"] = match whose.as_slice() {
                [] => json!(false),
                whose if whose.contains(&None) => json!(true),
                names => json!(names),
            };
        }
        _ => {}
    }
    Ok(described)
}
