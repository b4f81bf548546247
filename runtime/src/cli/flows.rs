//! `flows`, `flows pause | resume` and `check`: what the integration is made of.

use super::CommandContext;
use crate::integration::Integration;
use crate::model::{Broker, Config, Cron, Error, FlowDescriptor, RequestKey, Result, Schedule, Trigger};
use crate::report::table;
use crate::store::Paused;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

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
    let context = CommandContext::open(integration, store_url).await?;
    let store = &context.store;
    let (flow, instance, pause) = match args.command {
        None => return list(integration, &context, args.json).await,
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

async fn list<C: Config>(integration: &Integration<C>, context: &CommandContext<C>, json: bool) -> Result<ExitCode> {
    let paused = context.store.paused().await?;
    let active = configured(context).await?;
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
    let context = CommandContext::open(integration, store_url).await?;
    let paused = context.store.paused().await?;
    let active = configured(&context).await?;
    for flow in integration.flows().iter() {
        describe(flow, &paused, &active)?;
    }
    let instances = context.store.instances().await?;
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
            Trigger::Sync { path, method, wait } => {
                let wait = humantime::format_duration(wait);
                (format!("{} /hooks/{{instance}}{path} (answers within {wait})", method.as_str()), String::new())
            }
            Trigger::Event { preprocess, event, .. } => (format!("`{event}` at {preprocess}"), String::new()),
            Trigger::Source { broker: Broker::Nats { subject, stream } } => {
                (format!("{subject} (stream {stream})"), String::new())
            }
            Trigger::Source { broker: Broker::Amqp { queue } } => (format!("queue {queue}"), String::new()),
            Trigger::Source { broker: Broker::Mqtt { topic } } => (format!("{topic} (QoS 1)"), String::new()),
            Trigger::Schedule { cron, tz, .. } => {
                let next = match cron {
                    Cron::Written(cron) => {
                        Schedule::parse(cron, tz)?.upcoming(1).first().map(ToString::to_string).unwrap_or_default()
                    }
                    Cron::Config(_) => "each instance's own (flows --json)".to_owned(),
                };
                let next = match paused_for(flow.name, paused) {
                    PausedFor::Nobody => next,
                    PausedFor::Everyone => format!("{next} (paused for every instance)"),
                    PausedFor::Instances(names) => format!("{next} (paused for {})", names.join(", ")),
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

/// The active instances with their configuration (`None` for one whose stored configuration
/// no longer fits the type).
async fn configured<C: Config>(context: &CommandContext<C>) -> Result<Vec<(String, Option<Arc<C>>)>> {
    let mut configured = Vec::new();
    for instance in context.instances.active().await? {
        let config = context.instances.config(&instance).await.ok().flatten();
        configured.push((instance, config));
    }
    Ok(configured)
}

/// Whom a schedule flow is paused for.
enum PausedFor<'a> {
    Nobody,
    Everyone,
    Instances(Vec<&'a str>),
}

fn paused_for<'a>(flow: &str, paused: &'a [Paused]) -> PausedFor<'a> {
    let whose: Vec<Option<&str>> =
        paused.iter().filter(|paused| paused.flow == flow).map(|paused| paused.instance.as_deref()).collect();
    match whose.as_slice() {
        [] => PausedFor::Nobody,
        whose if whose.contains(&None) => PausedFor::Everyone,
        names => PausedFor::Instances(names.iter().flatten().copied().collect()),
    }
}

/// One flow as `flows --json` prints it.
fn describe<C>(flow: &FlowDescriptor<C>, paused: &[Paused], active: &[(String, Option<Arc<C>>)]) -> Result<Value> {
    let mut described = json!({ "name": flow.name, "kind": flow.trigger.kind() });
    match flow.trigger {
        Trigger::Webhook { path } => described["path"] = json!(path),
        Trigger::Sync { path, method, wait } => {
            described["path"] = json!(path);
            described["method"] = json!(method.as_str());
            described["timeout_ms"] = json!(wait.as_millis() as u64);
        }
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
        Trigger::Schedule { cron, tz, overlap, catch_up, jitter, backfill } => {
            let upcoming = match cron {
                Cron::Written(cron) => Schedule::parse(cron, tz)?.upcoming(UPCOMING),
                Cron::Config(_) => Vec::new(),
            };
            // Each active instance's next run: its schedule's next fire time (the flow's, or
            // its own cron's), delayed by its jitter; none while paused, or without a schedule.
            let instances: Vec<Value> = active
                .iter()
                .map(|(instance, config)| {
                    let is_paused = paused.iter().any(|paused| paused.covers(flow.name, instance));
                    let next = match cron {
                        Cron::Written(_) => upcoming.first().cloned(),
                        Cron::Config(_) => config
                            .as_ref()
                            .and_then(|config| Schedule::of(flow, config).ok().flatten())
                            .and_then(|schedule| schedule.upcoming(1).pop()),
                    };
                    let next = next.filter(|_| !is_paused).map(|next| {
                        let delay = crate::schedule::jitter_delay(flow, instance, next.timestamp());
                        (next.timestamp() + delay).to_string()
                    });
                    let cron = config.as_ref().and_then(|config| flow.from_config.and_then(|read| read(config)));
                    json!({ "name": instance, "next": next, "paused": is_paused, "schedule": cron })
                })
                .collect();
            let upcoming: Vec<String> = upcoming.iter().map(|time| time.timestamp().to_string()).collect();
            let duration = |duration: Option<std::time::Duration>| {
                duration.map(|duration| humantime::format_duration(duration).to_string())
            };
            described["schedule"] = json!(cron.to_string());
            described["tz"] = json!(tz);
            described["next"] = json!(upcoming);
            described["overlap"] = json!(overlap.as_str());
            described["catch_up"] = json!(duration(catch_up));
            described["jitter"] = json!(duration(jitter));
            described["backfill"] = json!(backfill);
            described["instances"] = json!(instances);
            described["paused"] = match paused_for(flow.name, paused) {
                PausedFor::Nobody => json!(false),
                PausedFor::Everyone => json!(true),
                PausedFor::Instances(names) => json!(names),
            };
        }
        _ => {}
    }
    Ok(described)
}
