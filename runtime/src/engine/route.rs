//! Which flow takes a delivery: a webhook's own, or, at a pre-process endpoint, the event flow
//! that takes the event the delivery names. Live deliveries and replays decide it here alike.

use crate::model::{FlowDescriptor, Flows, Rejection, Request, Trigger};
use std::collections::HashMap;

/// Each (pre-process flow, event) with the event flow that takes it.
pub(crate) struct Router<C: 'static> {
    events: HashMap<(&'static str, &'static str), &'static FlowDescriptor<C>>,
}

/// Where a delivery goes.
pub(crate) enum Routed<C: 'static> {
    To(&'static FlowDescriptor<C>),
    /// A pre-process endpoint's event that no event flow takes; `reject` when the endpoint
    /// refuses such deliveries (`unhandled = "reject"`) rather than recording them as ignored.
    Unhandled {
        event: String,
        reject: bool,
    },
    /// Nowhere: the delivery names no event.
    Refused(Rejection),
}

impl<C: 'static> Router<C> {
    pub(crate) fn new(flows: Flows<C>) -> Router<C> {
        let events = flows
            .iter()
            .filter_map(|flow| match flow.trigger {
                Trigger::Event { preprocess, event, .. } => Some(((preprocess, event), flow)),
                _ => None,
            })
            .collect();
        Router { events }
    }

    /// The flow that takes `request`, delivered to `endpoint`.
    pub(crate) fn route(&self, endpoint: &'static FlowDescriptor<C>, request: &Request) -> Routed<C> {
        let Trigger::Preprocess { route, reject_unhandled, .. } = endpoint.trigger else {
            return Routed::To(endpoint);
        };
        let event = match route.read_event(request) {
            Ok(event) => event,
            Err(rejection) => return Routed::Refused(rejection),
        };
        match self.events.get(&(endpoint.name, event.as_str())) {
            Some(flow) => Routed::To(flow),
            None => Routed::Unhandled { event, reject: reject_unhandled },
        }
    }
}
