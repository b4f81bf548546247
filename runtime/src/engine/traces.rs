//! Runs as OpenTelemetry traces, for a server given a collector (`--otlp-endpoint`): each
//! attempt a span named for its flow, each of its action calls a child span, all attempts of
//! a run in one trace. Sent as OTLP over HTTP in its JSON encoding, in batches, by a task of
//! their own: a collector that is slow or away costs runs nothing (what does not fit in the
//! queue, or is refused, is dropped and counted in the log).

use crate::model::{RunId, StepRecord};
use crate::store::{FinishedAttempt, Outcome};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::sync::mpsc;
use url::Url;

/// Spans waiting to be sent; past this, new ones are dropped.
const QUEUE: usize = 4096;
/// Spans sent in one request, at most.
const BATCH: usize = 512;
/// How long a span may wait for others to share its request.
const LINGER: Duration = Duration::from_secs(1);

/// The exporter of one serving process.
pub(crate) struct Traces {
    spans: mpsc::Sender<Value>,
}

/// The run an attempt belongs to, as its spans name it.
pub(crate) struct RunSpan<'a> {
    pub id: RunId,
    pub flow: &'a str,
    pub instance: &'a str,
}

impl Traces {
    /// Starts sending to the collector at `endpoint` (its base, such as
    /// `http://127.0.0.1:4318`; spans go to `/v1/traces` under it), as the service `service`.
    pub(crate) fn start(endpoint: &Url, service: &'static str, http: reqwest::Client) -> Traces {
        let mut url = endpoint.clone();
        url.set_path(&format!("{}/v1/traces", endpoint.path().trim_end_matches('/')));
        let (spans, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(send_batches(waiting, url, service, http));
        Traces { spans }
    }

    /// Hands an attempt's spans to the sender, or drops them when it is behind.
    pub(crate) fn attempt(&self, run: &RunSpan<'_>, attempt: &FinishedAttempt) {
        for span in spans(run, attempt) {
            if self.spans.try_send(span).is_err() {
                tracing::debug!(run = %run.id, "the trace exporter is behind; a span is dropped");
            }
        }
    }
}

/// The attempt's span and its steps' spans.
fn spans(run: &RunSpan<'_>, attempt: &FinishedAttempt) -> Vec<Value> {
    let trace = hex::encode(&Sha256::digest(format!("aqueduct run {}", run.id))[..16]);
    let attempt_span = span_id(run.id, attempt.attempt, None);
    let ended = jiff::Timestamp::now();
    let (outcome, error) = match &attempt.outcome {
        Outcome::Succeeded(_) => ("succeeded", None),
        Outcome::Retry { error, .. } => ("retrying", Some(error)),
        Outcome::Dead { error } => ("dead", Some(error)),
    };
    let attributes = json!([
        attribute("aqueduct.run_id", json!({ "intValue": run.id.to_string() })),
        attribute("aqueduct.flow", json!({ "stringValue": run.flow })),
        attribute("aqueduct.instance", json!({ "stringValue": run.instance })),
        attribute("aqueduct.attempt", json!({ "intValue": attempt.attempt.to_string() })),
        attribute("aqueduct.outcome", json!({ "stringValue": outcome })),
    ]);
    let mut spans = vec![json!({
        "traceId": trace,
        "spanId": attempt_span,
        "name": run.flow,
        "kind": 1,
        "startTimeUnixNano": nanos(attempt.started_at),
        "endTimeUnixNano": nanos(ended),
        "attributes": attributes,
        "status": status(error),
    })];
    for (place, step) in attempt.steps.iter().enumerate() {
        spans.push(step_span(&trace, &attempt_span, span_id(run.id, attempt.attempt, Some(place)), step));
    }
    spans
}

fn step_span(trace: &str, parent: &str, id: String, step: &StepRecord) -> Value {
    let ended = step.started_at + Duration::from_secs_f64(step.duration_ms.max(0.0) / 1000.0);
    json!({
        "traceId": trace,
        "spanId": id,
        "parentSpanId": parent,
        "name": step.name,
        "kind": 3,
        "startTimeUnixNano": nanos(step.started_at),
        "endTimeUnixNano": nanos(ended),
        "attributes": [attribute("aqueduct.replayed", json!({ "boolValue": step.replayed }))],
        "status": status(step.error.as_ref()),
    })
}

/// The same for an attempt (or its step) whichever server sends it, so a span sent twice is one.
fn span_id(run: RunId, attempt: u32, step: Option<usize>) -> String {
    let named = format!("aqueduct run {run} attempt {attempt} step {step:?}");
    hex::encode(&Sha256::digest(named)[..8])
}

fn attribute(key: &str, value: Value) -> Value {
    json!({ "key": key, "value": value })
}

/// OK, or ERROR with the error's text.
fn status(error: Option<&String>) -> Value {
    match error {
        Some(error) => json!({ "code": 2, "message": error }),
        None => json!({ "code": 1 }),
    }
}

/// OTLP's JSON encoding writes 64-bit integers as strings.
fn nanos(at: jiff::Timestamp) -> String {
    at.as_nanosecond().to_string()
}

/// Sends what arrives, a batch at a time, until the engine (the last sender) is gone.
async fn send_batches(mut waiting: mpsc::Receiver<Value>, url: Url, service: &'static str, http: reqwest::Client) {
    let mut batch = Vec::with_capacity(BATCH);
    while waiting.recv_many(&mut batch, BATCH).await > 0 {
        let linger = tokio::time::sleep(LINGER);
        tokio::pin!(linger);
        while batch.len() < BATCH {
            let room = BATCH - batch.len();
            tokio::select! {
                received = waiting.recv_many(&mut batch, room) => if received == 0 { break },
                () = &mut linger => break,
            }
        }
        let spans = std::mem::take(&mut batch);
        let count = spans.len();
        let request = json!({ "resourceSpans": [{
            "resource": { "attributes": [attribute("service.name", json!({ "stringValue": service }))] },
            "scopeSpans": [{ "scope": { "name": "aqueduct", "version": env!("CARGO_PKG_VERSION") }, "spans": spans }],
        }]});
        let sent = http.post(url.clone()).timeout(Duration::from_secs(10)).json(&request).send().await;
        match sent.and_then(reqwest::Response::error_for_status) {
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%url, spans = count, %error, "the trace collector did not take a batch; it is dropped")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StepRecord;

    #[test]
    fn an_attempt_is_a_span_of_its_runs_trace_with_its_steps_as_children() {
        let started_at = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let step = StepRecord {
            name: "Crm.create".into(),
            started_at,
            duration_ms: 12.5,
            error: Some("429".into()),
            replayed: false,
        };
        let attempt = FinishedAttempt {
            id: RunId(7),
            attempt: 2,
            started_at,
            outcome: Outcome::Dead { error: "gave up".into() },
            steps: vec![step],
            logs: Vec::new(),
            state: Vec::new(),
        };
        let run = RunSpan { id: RunId(7), flow: "export", instance: "acme" };
        let spans = spans(&run, &attempt);
        assert_eq!(spans.len(), 2);
        let (span, child) = (&spans[0], &spans[1]);
        assert_eq!((span["name"].as_str(), span["status"]["code"].as_i64()), (Some("export"), Some(2)));
        assert_eq!(span["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(child["traceId"], span["traceId"]);
        assert_eq!(child["parentSpanId"], span["spanId"]);
        assert_eq!(child["startTimeUnixNano"], "1700000000000000000");
        assert_eq!(child["endTimeUnixNano"], "1700000000012500000");
        let again = spans_of_attempt(3);
        assert_eq!(again[0]["traceId"], span["traceId"], "every attempt of a run is in its trace");
        assert_ne!(again[0]["spanId"], span["spanId"]);
    }

    fn spans_of_attempt(attempt: u32) -> Vec<Value> {
        let finished = FinishedAttempt {
            id: RunId(7),
            attempt,
            started_at: jiff::Timestamp::now(),
            outcome: Outcome::Succeeded(None),
            steps: Vec::new(),
            logs: Vec::new(),
            state: Vec::new(),
        };
        spans(&RunSpan { id: RunId(7), flow: "export", instance: "acme" }, &finished)
    }
}
