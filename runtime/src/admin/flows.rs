//! The flows: described for `flows`, `check` and `GET /admin/flows`; schedules paused and
//! resumed by `flows pause | resume` and the admin API.

use super::Admin;
use super::problem::Problem;
use crate::instances::Instances;
use crate::model::{Broker, Config, Cron, FlowDescriptor, Flows, RequestKey, Result, Schedule, Trigger};
use crate::report::table;
use crate::store::{Paused, Store};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;

/// How many upcoming fire times are shown for a schedule.
const UPCOMING: usize = 3;

/// `GET /admin/flows`: every flow, as `flows --json` prints them.
pub(super) async fn list<C: Config>(State(admin): State<Arc<Admin<C>>>) -> Result<Json<Value>, Problem> {
    let paused = admin.store.paused().await?;
    let active = configured(&admin.instances).await?;
    let flows: Vec<Value> =
        admin.engine.flows().iter().map(|flow| describe(flow, &paused, &active)).collect::<Result<_>>()?;
    Ok(Json(json!({ "flows": flows })))
}

/// Whose ticks a pause or resume is for: every instance's unless one is named.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Whose {
    instance: Option<String>,
}

/// `POST /admin/flows/{flow}/pause`, with `{"instance": …}` or nothing.
pub(super) async fn pause<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Path(flow): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    pause_or_resume(&admin, flow, &body, true).await
}

/// `POST /admin/flows/{flow}/resume`, with `{"instance": …}` or nothing.
pub(super) async fn resume<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    Path(flow): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    pause_or_resume(&admin, flow, &body, false).await
}

async fn pause_or_resume<C: Config>(
    admin: &Admin<C>,
    flow: String,
    body: &[u8],
    pause: bool,
) -> Result<Json<Value>, Problem> {
    let whose: Whose = if body.iter().all(u8::is_ascii_whitespace) {
        Whose::default()
    } else {
        serde_json::from_slice(body)
            .map_err(|error| Problem::bad_request(format!("the body is not `{{\"instance\": \"NAME\"}}`: {error}")))?
    };
    let changed = set_paused(admin.engine.flows(), admin.store.as_ref(), &flow, whose.instance.clone(), pause)
        .await?
        .map_err(Problem::not_found)?;
    Ok(Json(json!({ "flow": flow, "instance": whose.instance, "paused": pause, "changed": changed })))
}

/// Pauses or resumes the schedule flow `flow` for `instance` (else every instance): whether
/// that changed anything, or why there is nothing to pause (no such schedule or instance).
pub(crate) async fn set_paused<C>(
    flows: Flows<C>,
    store: &dyn Store,
    flow: &str,
    instance: Option<String>,
    pause: bool,
) -> Result<Result<bool, String>> {
    let schedule = flows.named(flow).filter(|flow| matches!(flow.trigger, Trigger::Schedule { .. }));
    if schedule.is_none() {
        return Ok(Err(format!("`{flow}` is not a schedule flow of this integration; `flows` lists them")));
    }
    if let Some(instance) = &instance
        && store.instance(instance).await?.is_none()
    {
        return Ok(Err(format!("there is no instance `{instance}`; `instances list` shows the instances")));
    }
    store.set_paused(Paused { flow: flow.to_owned(), instance }, pause).await.map(Ok)
}

/// The flows as `flows` and `check` print them: kind, trigger, next fire time.
pub(crate) fn write_table<C>(out: &mut impl Write, flows: Flows<C>, paused: &[Paused]) -> Result<()> {
    let mut rows = Vec::new();
    for flow in flows.iter() {
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
    Ok(())
}

/// The active instances with their configuration (`None` for one whose stored configuration
/// no longer fits the type).
pub(crate) async fn configured<C: Config>(instances: &Instances<C>) -> Result<Vec<(String, Option<Arc<C>>)>> {
    let mut configured = Vec::new();
    for instance in instances.active().await? {
        let config = instances.config(&instance).await.ok().flatten();
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

/// One flow as `flows --json` prints it and the admin API answers it.
pub(crate) fn describe<C>(
    flow: &FlowDescriptor<C>,
    paused: &[Paused],
    active: &[(String, Option<Arc<C>>)],
) -> Result<Value> {
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
