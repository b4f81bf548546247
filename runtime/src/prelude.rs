//! Everything an integration file needs: `use aqueduct::prelude::*;`.
//!
//! ```
//! use aqueduct::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Settings { api_url: Url, api_token: Secret }
//!
//! let settings: Settings = serde_json::from_str(r#"{"api_url":"https://api.example.com","api_token":"t"}"#).unwrap();
//! assert_eq!(settings.api_url.host_str(), Some("api.example.com"));
//! ```

pub use crate::{
    Activation, Changes, CheckStatus, Connection, Context, Ctx, Demo, Echoes, Error, FlowContext, FromRequest,
    IntoReply, Json, Query, Record, Rejection, Reply, Request, Result, RunId, Secret, State, Tick, VerifyError, action,
    component, flow, integration,
};
pub use bytes::Bytes;
pub use http::{HeaderMap, StatusCode};
// The derive writes paths into `schemars`: an integration that derives it depends on `schemars` too.
pub use schemars::JsonSchema;
pub use serde::{Deserialize, Serialize};
pub use url::Url;
