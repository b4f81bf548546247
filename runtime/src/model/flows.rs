//! The flows of one integration, as `integration!` lists them, and the lookups every stage
//! makes in them.

use super::flow::FlowDescriptor;
use super::trigger::{SyncMethod, Trigger};

/// The flows of one integration.
#[doc(hidden)]
pub struct Flows<C: 'static>(&'static [FlowDescriptor<C>]);

impl<C> Clone for Flows<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Flows<C> {}

impl<C: 'static> Flows<C> {
    pub const fn new(flows: &'static [FlowDescriptor<C>]) -> Flows<C> {
        Flows(flows)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'static FlowDescriptor<C>> + use<C> {
        self.0.iter()
    }

    /// The flow called `name`.
    pub(crate) fn named(&self, name: &str) -> Option<&'static FlowDescriptor<C>> {
        self.iter().find(|flow| flow.name == name)
    }

    /// The names of every flow, in the order they are listed.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.iter().map(|flow| flow.name).collect()
    }

    /// The lifecycle hook for `trigger` (`OnActivate` or `OnDeactivate`).
    pub(crate) fn hook(&self, trigger: Trigger) -> Option<&'static FlowDescriptor<C>> {
        self.iter().find(|flow| flow.trigger == trigger)
    }

    /// The endpoints that take deliveries (webhook and pre-process flows) with their paths.
    pub(crate) fn endpoints(&self) -> impl Iterator<Item = (&'static FlowDescriptor<C>, &'static str)> + use<C> {
        self.iter()
            .filter(|flow| !matches!(flow.trigger, Trigger::Sync { .. }))
            .filter_map(|flow| Some((flow, flow.path()?)))
    }

    /// The sync flows with their paths and methods.
    pub(crate) fn sync_endpoints(
        &self,
    ) -> impl Iterator<Item = (&'static FlowDescriptor<C>, &'static str, SyncMethod)> + use<C> {
        self.iter().filter_map(|flow| match flow.trigger {
            Trigger::Sync { path, method, .. } => Some((flow, path, method)),
            _ => None,
        })
    }
}
