//! `header("…")` or `json("/…")`: where a request carries a value — its event (`route`) or its
//! delivery id (`dedupe`).

use crate::call::Call;
use crate::errors::Errors;
use crate::read::OptionValue;
use syn::LitStr;

/// Where a request carries a value, as written.
#[derive(Clone)]
pub(crate) enum RequestKey {
    Header(LitStr),
    /// A JSON pointer into the body.
    Json(LitStr),
}

impl RequestKey {
    pub(crate) fn parse(option: &OptionValue, errors: &mut Errors) -> Option<RequestKey> {
        let call = Call::of(option.value).filter(|call| call.parens);
        match call.as_ref().map(|call| (call.name.to_string(), call.string_argument())) {
            Some((name, Some(argument))) if name == "header" => Some(RequestKey::Header(argument)),
            Some((name, Some(argument))) if name == "json" => Some(RequestKey::Json(argument)),
            _ => {
                let usage = match option.key {
                    "route" => {
                        "`route` takes `header(\"X-GitHub-Event\")` or `json(\"/type\")`: where each delivery says which event it is"
                    }
                    _ => "`dedupe` takes `header(\"X-Delivery-Id\")` or `json(\"/id\")`: where the delivery id is",
                };
                // At the function's name when it is a call of another name, else at the value.
                match call.filter(|call| call.string_argument().is_some()) {
                    Some(call) => errors.at(&call.name, usage),
                    None => errors.at(option.value, usage),
                }
                None
            }
        }
    }
}
