//! Fair shares of the workers. A flow holds at most all the workers but an eighth, so a third
//! party that never answers stalls only the flow that calls it; and one instance's runs of a
//! flow hold at most all but a quarter, so a customer who floods an endpoint leaves room to the
//! other customers of the same flow, and to their own other flows.
//!
//! Counted per slot held, and forgotten at zero: the maps hold at most one entry per running run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A worker slot held for a run of one flow and instance; given back when dropped.
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
    shares: Arc<Shares>,
    flow: &'static str,
    instance: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.shares.held.lock().expect("shares lock");
        forget_one(&mut held.flows, &self.flow);
        forget_one(&mut held.instances, &(self.flow, std::mem::take(&mut self.instance)));
    }
}

fn forget_one<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
    if let Some(count) = counts.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(key);
        }
    }
}

pub(crate) struct Shares {
    /// The most slots one flow may hold; `None` when the integration has one flow on workers.
    flow_cap: Option<usize>,
    /// The most slots one instance's runs of one flow may hold.
    instance_cap: usize,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    flows: HashMap<&'static str, usize>,
    /// By flow and instance.
    instances: HashMap<(&'static str, String), usize>,
}

impl Shares {
    /// Shares of `workers` slots between `flows` flows that run on workers.
    /// Fewer than 8 workers have no eighth to keep: they are shared first come, first served.
    pub(crate) fn new(workers: usize, flows: usize) -> Arc<Shares> {
        let eighth = workers / 8;
        let flow_cap = (flows > 1).then(|| workers.saturating_sub(eighth).max(1));
        let instance_cap = workers.saturating_sub(2 * eighth).max(1);
        Arc::new(Shares { flow_cap, instance_cap, held: Mutex::new(Held::default()) })
    }

    /// A slot from `slots` for a run of `flow` and `instance`, if one is free and neither the
    /// flow nor the instance's runs of it hold their most already.
    pub(crate) fn try_slot(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        flow: &'static str,
        instance: &str,
    ) -> Option<Slot> {
        let mut held = self.held.lock().expect("shares lock");
        let flow_count = held.flows.get(flow).copied().unwrap_or(0);
        let key = (flow, instance.to_owned());
        let instance_count = held.instances.get(&key).copied().unwrap_or(0);
        if self.flow_cap.is_some_and(|cap| flow_count >= cap) || instance_count >= self.instance_cap {
            return None;
        }
        let permit = slots.clone().try_acquire_owned().ok()?;
        *held.flows.entry(flow).or_default() += 1;
        *held.instances.entry(key).or_default() += 1;
        Some(Slot { _permit: permit, shares: self.clone(), flow, instance: instance.to_owned() })
    }

    /// How many more runs of `flow` may start, free slots aside.
    pub(crate) fn room(&self, flow: &str) -> usize {
        let Some(cap) = self.flow_cap else { return usize::MAX };
        let held = self.held.lock().expect("shares lock");
        cap.saturating_sub(held.flows.get(flow).copied().unwrap_or(0))
    }

    /// The instances whose runs of `flow` hold their most: a claim passes over them.
    pub(crate) fn full_instances(&self, flow: &str) -> Vec<String> {
        let held = self.held.lock().expect("shares lock");
        held.instances
            .iter()
            .filter(|((of, _), count)| *of == flow && **count >= self.instance_cap)
            .map(|((_, instance), _)| instance.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_holds_at_most_all_but_an_eighth_and_an_instance_of_it_all_but_a_quarter() {
        let slots = Arc::new(Semaphore::new(16));
        let shares = Shares::new(16, 2);
        let flood: Vec<Slot> = (0..20).filter_map(|_| shares.try_slot(&slots, "slow", "flood")).collect();
        assert_eq!(flood.len(), 12, "a quarter stays free for others");
        assert_eq!(shares.full_instances("slow"), vec!["flood".to_owned()]);
        assert!(shares.full_instances("noop").is_empty());
        let quiet: Vec<Slot> = (0..4).filter_map(|_| shares.try_slot(&slots, "slow", "quiet")).collect();
        assert_eq!(quiet.len(), 2, "the flow holds all but an eighth");
        assert_eq!(shares.room("slow"), 0);
        let other = shares.try_slot(&slots, "noop", "flood").expect("another flow of the same instance starts");
        drop((flood, quiet, other));
        assert_eq!(shares.room("slow"), 14);
        let held = shares.held.lock().unwrap();
        assert!(held.instances.is_empty() && held.flows.is_empty(), "nothing is kept for what holds no slot");
    }

    #[test]
    fn fewer_than_eight_workers_are_not_shared_out() {
        let slots = Arc::new(Semaphore::new(3));
        let shares = Shares::new(3, 2);
        let held: Vec<Slot> = (0..4).filter_map(|_| shares.try_slot(&slots, "slow", "a")).collect();
        assert_eq!(held.len(), 3);
    }

    #[test]
    fn one_flow_alone_is_not_capped_but_each_instance_of_it_is() {
        let slots = Arc::new(Semaphore::new(8));
        let shares = Shares::new(8, 1);
        let flooding: Vec<Slot> = (0..8).filter_map(|_| shares.try_slot(&slots, "orders", "flood")).collect();
        assert_eq!(flooding.len(), 6);
        assert!(shares.try_slot(&slots, "orders", "quiet").is_some(), "another instance of the same flow starts");
    }
}
