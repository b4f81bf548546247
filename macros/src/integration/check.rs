//! What `integration!` can check by reading its own input; what spans several flows'
//! attributes is checked by `const` assertions in the generated code (see `expand.rs`).

use super::parse::Integration;
use crate::errors::{Errors, written};
use crate::flow::check::values::duration;

impl Integration {
    pub(crate) fn check(&self) -> Errors {
        let mut errors = Errors::default();
        let name = self.name.value();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            errors.at(
                &self.name,
                format!(
                    "the integration's name `{name}` names its binary and its data; use lowercase letters, digits and `-`, e.g. \"inventory-sync\""
                ),
            );
        }
        if self.flows.is_empty() {
            errors.at(&self.name, "an integration needs at least one flow in `flows: [...]`");
        }
        for (index, flow) in self.flows.iter().enumerate() {
            let name = written(flow);
            if self.flows[..index].iter().any(|earlier| written(earlier) == name) {
                errors.at(flow, format!("the flow `{name}` is listed twice; list each flow once"));
            }
        }
        for (key, text) in [("keep", &self.keep), ("keep_dead", &self.keep_dead), ("keep_payload", &self.keep_payload)]
        {
            if let Some(text) = text {
                duration(key, text, &mut errors);
            }
        }
        errors
    }
}
