//! `jitter = "30s"`: each instance's tick is delayed by up to that much, so that many
//! instances' runs do not all start on the same second. The delay is drawn from a hash of
//! the flow, the instance and the tick, so every process draws the same one.

use crate::model::{FlowDescriptor, Trigger};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The flow's jitter, if it has one.
pub(super) fn of<C>(flow: &FlowDescriptor<C>) -> Option<Duration> {
    match flow.trigger {
        Trigger::Schedule { jitter, .. } => jitter,
        _ => None,
    }
}

/// How long `instance`'s run of `flow` at `tick` waits: from zero up to the flow's jitter.
pub(crate) fn delay<C>(flow: &FlowDescriptor<C>, instance: &str, tick: Timestamp) -> Duration {
    let Some(jitter) = of(flow) else { return Duration::ZERO };
    let digest = Sha256::new()
        .chain_update(flow.name)
        .chain_update([0])
        .chain_update(instance)
        .chain_update(tick.as_millisecond().to_le_bytes())
        .finalize();
    let draw = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    let millis = u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(draw % millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cron, FlowDescriptor, Overlap};

    const JITTERED: FlowDescriptor<()> = FlowDescriptor {
        trigger: Trigger::Schedule {
            cron: Cron::Written("0 * * * *"),
            tz: "UTC",
            overlap: Overlap::Skip,
            catch_up: None,
            jitter: Some(Duration::from_secs(30)),
            backfill: false,
        },
        ..FlowDescriptor::invalid("hourly", None)
    };

    #[test]
    fn each_instance_waits_its_own_delay_the_same_in_every_process_and_within_the_jitter() {
        let tick: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let delays: Vec<Duration> = (0..200).map(|n| delay(&JITTERED, &format!("customer-{n}"), tick)).collect();
        assert!(delays.iter().all(|delay| *delay < Duration::from_secs(30)));
        assert_eq!(delay(&JITTERED, "customer-7", tick), delays[7], "the same draw every time");
        let spread = delays.iter().max().unwrap().saturating_sub(*delays.iter().min().unwrap());
        assert!(spread > Duration::from_secs(20), "200 instances spread over the jitter: {spread:?}");
        let unjittered = FlowDescriptor::<()>::invalid("hourly", None);
        assert_eq!(delay(&unjittered, "customer-7", tick), Duration::ZERO);
    }
}
