//! The model: what every stage shares and nothing else — the request as received and what
//! reads it, flow descriptors with their triggers and policies, the contexts flows run with,
//! run ids, statuses, causes and records, configuration, secrets and errors. It uses no
//! other module of the crate; every other module may use it.

mod action_policy;
mod calls;
mod changes;
mod check_status;
mod clash;
mod config;
mod context;
mod cron;
mod echoes;
mod error;
mod extract;
mod flow;
mod flows;
mod handshake;
mod pairing;
mod policy;
mod records;
mod reply;
mod request;
mod request_key;
mod retention;
mod run;
mod secret;
mod signing;
mod state;
pub(crate) mod telemetry;
mod tick;
mod trigger;

pub use action_policy::{ActionPolicy, DEFAULT_ACTION_TIMEOUT, Rate};
pub use calls::Invocable;
pub(crate) use calls::{Call, FlowCalls};
pub use changes::{Changes, Record};
pub use check_status::CheckStatus;
pub use clash::{both_on_activate, both_on_deactivate, preprocess_listed, share_a_name, share_a_path, share_an_event};
pub use config::Config;
pub(crate) use config::{ParsedConfig, decode as decode_config, parse as parse_config};
pub use context::{Activation, Ctx, FlowContext};
pub(crate) use context::{RunInfo, endpoint_url, names_no_reachable_host};
pub(crate) use cron::Schedule;
pub use echoes::Echoes;
pub(crate) use echoes::{EchoMark, EchoMarks};
pub use error::{Context, Error, Result};
pub use extract::{FromRequest, Json, Query, Rejection};
pub use flow::{Flow, FlowDescriptor, FlowResult, Handler, Output, PreprocessFlow, WebhookFlow};
pub use flows::Flows;
pub use handshake::Handshake;
pub use pairing::{Hook, HookResult, Hooks, NoHook, Or, Unchecked, Undoes, paired};
pub use policy::Policy;
pub(crate) use records::{AttemptRecord, InstanceRecord, LogLine, RunDetail, RunSummary, StepRecord};
pub use reply::{CallbackHosts, CallbackSecret, Callbacks, IntoReply, Reply, SyncResult};
pub use request::Request;
pub use request_key::RequestKey;
pub use retention::Retention;
pub use run::RunId;
pub(crate) use run::{Cause, Dedupe, RunStatus};
pub use secret::Secret;
pub use signing::{Encoding, Scheme, SecretField, Verifier, VerifyError};
pub use state::{State, StateValue};
pub(crate) use state::{StateSlot, StateSlots};
pub(crate) use tick::MAX_COVERED;
pub use tick::Tick;
pub use trigger::{Broker, BrokerUrl, Cron, CronField, Overlap, SyncMethod, Trigger};
