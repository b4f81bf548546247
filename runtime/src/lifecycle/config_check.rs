//! What the flows need from an instance's configuration, checked at activation: a
//! configuration that would make an endpoint refuse every delivery is refused itself, naming
//! the field, and nothing is stored.

use crate::model::{Config, Cron, Error, Flows, Handshake, Result, Schedule, Trigger, Verifier};
use crate::verify::check_secret;

/// Every secret a flow verifies deliveries or handshakes with: set, and well-formed for its
/// scheme; every cron a schedule flow takes from the configuration: valid. (Fields of type
/// `Option<…>` that are unset are not checked: the integration's author made them optional.)
pub(crate) fn check_config<C: Config>(flows: Flows<C>, config: &C) -> Result<()> {
    let mut problems = Vec::new();
    // A field two flows share is named once.
    let mut named = Vec::new();
    for flow in flows.iter() {
        if let Some(Verifier::Signed { scheme, secrets }) = &flow.verify {
            for (field, secret) in secrets(config) {
                if let Err(reason) = check_secret(*scheme, secret)
                    && !named.contains(&field)
                {
                    named.push(field);
                    problems
                        .push(format!("`{field}` (the flow `{}` verifies deliveries with it): {reason}", flow.name));
                }
            }
        }
        if matches!(flow.trigger, Trigger::Schedule { cron: Cron::Config(_), .. })
            && let Err(error) = Schedule::of(flow, config)
        {
            problems.push(error.to_string());
        }
        if let Some(Handshake::HubChallenge { verify_token }) = &flow.handshake {
            for (field, token) in verify_token(config) {
                if token.expose().trim().is_empty() && !named.contains(&field) {
                    named.push(field);
                    problems.push(format!(
                        "`{field}` (the flow `{}` answers subscription handshakes with it): it is empty, \
                         and an empty verify token matches a handshake that sends none",
                        flow.name
                    ));
                }
            }
        }
    }
    match problems.as_slice() {
        [] => Ok(()),
        [problem] => Err(Error::msg(format!("the configuration does not fit at {problem}"))),
        _ => Err(Error::msg(format!("the configuration does not fit:\n  - {}", problems.join("\n  - ")))),
    }
}
