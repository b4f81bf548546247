//! Step 1: `#[flow(…)]` read into the typed attribute of its kind.

mod attr;
mod handshake;
mod request_key;
mod verify;

pub(crate) use attr::{CronAttr, EndpointOptions, FlowAttr, PreprocessAttr, RunOptions, parse};
pub(crate) use handshake::HandshakeAttr;
pub(crate) use request_key::RequestKey;
pub(crate) use verify::{Scheme, VerifyAttr};
