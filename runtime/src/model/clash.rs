//! What `integration!` checks across its flows at compile time: `const fn`s over descriptors,
//! which the generated `const` assertions call. A stand-in for a flow that did not compile
//! clashes with nothing, so one mistake gives one error.

use super::flow::FlowDescriptor;
use super::trigger::Trigger;

/// Whether two flows are endpoints (webhook or pre-process) served at the same path (checked
/// when `integration!` compiles).
#[doc(hidden)]
pub const fn share_a_path<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    match (a.path(), b.path()) {
        (Some(a), Some(b)) => same_str(a, b),
        _ => false,
    }
}

/// `a == b`, which is not yet callable in a `const fn`.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// Whether two flows have one name (functions of one name in two modules).
#[doc(hidden)]
pub const fn share_a_name<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    same_str(a.name, b.name)
}

/// Whether two event flows take the same event of the same pre-process flow.
#[doc(hidden)]
pub const fn share_an_event<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    match (a.trigger, b.trigger) {
        (
            Trigger::Event { preprocess_id: a_from, event: a_event, .. },
            Trigger::Event { preprocess_id: b_from, event: b_event, .. },
        ) => same_str(a_from, b_from) && same_str(a_event, b_event),
        _ => false,
    }
}

/// Whether `flow`, if it is an event flow, has its pre-process flow among `flows`.
#[doc(hidden)]
pub const fn preprocess_listed<C>(flow: &FlowDescriptor<C>, flows: &[FlowDescriptor<C>]) -> bool {
    let Trigger::Event { preprocess_id, .. } = flow.trigger else { return true };
    let mut index = 0;
    while index < flows.len() {
        if let Trigger::Preprocess { id, .. } | Trigger::Invalid { preprocess_id: Some(id) } = flows[index].trigger
            && same_str(id, preprocess_id)
        {
            return true;
        }
        index += 1;
    }
    false
}

/// Whether two flows are both `on_activate` hooks.
#[doc(hidden)]
pub const fn both_on_activate<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    matches!((a.trigger, b.trigger), (Trigger::OnActivate, Trigger::OnActivate))
}

/// Whether two flows are both `on_deactivate` hooks.
#[doc(hidden)]
pub const fn both_on_deactivate<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    matches!((a.trigger, b.trigger), (Trigger::OnDeactivate, Trigger::OnDeactivate))
}
