//! A schedule: a cron expression read in a time zone; a flow's, or an instance's when the
//! flow takes its cron from the configuration.

use super::error::{Error, Result};
use super::flow::FlowDescriptor;
use super::trigger::{Cron as CronSource, Trigger};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::Zoned;
use jiff::tz::TimeZone;

/// A parsed `schedule = "…"` with its `tz`.
///
/// The parser is configured exactly as the `#[flow]` macro's (5 or 6 fields, no years), so
/// an expression that compiled also parses here.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    cron: Cron,
    zone: TimeZone,
}

impl Schedule {
    pub(crate) fn parse(cron: &str, tz: &str) -> Result<Schedule> {
        let parser = CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).build();
        let cron =
            parser.parse(cron).map_err(|error| Error::msg(format!("invalid cron schedule `{cron}`: {error}")))?;
        let zone = TimeZone::get(tz).map_err(|error| Error::msg(format!("unknown time zone `{tz}`: {error}")))?;
        Ok(Schedule { cron, zone })
    }

    /// The schedule `flow` fires on for an instance configured with `config`: the cron in its
    /// attribute, or the one in the configuration's field (`None` when that field is an unset
    /// `Option`). `None` too for a flow that is not a schedule.
    pub(crate) fn of<C>(flow: &FlowDescriptor<C>, config: &C) -> Result<Option<Schedule>> {
        let Trigger::Schedule { cron, tz, .. } = flow.trigger else { return Ok(None) };
        match cron {
            CronSource::Written(cron) => Schedule::parse(cron, tz).map(Some),
            CronSource::Config(field) => {
                let Some(cron) = flow.from_config.and_then(|read| read(config)) else { return Ok(None) };
                Schedule::parse(&cron, tz)
                    .map(Some)
                    .map_err(|error| Error::msg(format!("`{field}` (the flow `{}`'s schedule): {error}", flow.name)))
            }
        }
    }

    /// The first fire time strictly after `after`.
    pub(crate) fn next_after(&self, after: jiff::Timestamp) -> Result<Zoned> {
        let local = after.to_zoned(self.zone.clone());
        self.cron
            .find_next_occurrence(&local, false)
            .map_err(|error| Error::msg(format!("the schedule has no next fire time: {error}")))
    }

    /// The fire times strictly after `after`, in order, for as long as there are any.
    pub(crate) fn fire_times(&self, after: jiff::Timestamp) -> impl Iterator<Item = Zoned> + '_ {
        std::iter::successors(self.next_after(after).ok(), |last| self.next_after(last.timestamp()).ok())
    }

    /// The next `count` fire times after now, for `flows`.
    pub(crate) fn upcoming(&self, count: usize) -> Vec<Zoned> {
        self.fire_times(jiff::Timestamp::now()).take(count).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_its_time_zone() {
        let schedule = Schedule::parse("0 9 * * *", "Europe/Berlin").unwrap();
        // 2026-11-28 07:30 UTC is 08:30 in Berlin (CET, UTC+1): the next 09:00 Berlin is 08:00 UTC.
        let next = schedule.next_after("2026-11-28T07:30:00Z".parse().unwrap()).unwrap();
        assert_eq!(next.timestamp().to_string(), "2026-11-28T08:00:00Z");
        assert_eq!(next.time_zone().iana_name(), Some("Europe/Berlin"));
    }

    /// The fire times after `from`, as local times with their offsets.
    fn fires(cron: &str, tz: &str, from: &str, count: usize) -> Vec<String> {
        let schedule = Schedule::parse(cron, tz).unwrap();
        let times = schedule.fire_times(from.parse().unwrap()).take(count);
        times.map(|next| next.strftime("%F %T%:z").to_string()).collect()
    }

    #[test]
    fn a_time_the_clocks_skip_fires_at_the_first_time_after_the_gap() {
        // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST, so 02:30 does not happen.
        assert_eq!(
            fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2),
            ["2026-03-29 03:00:00+02:00", "2026-03-30 02:30:00+02:00"]
        );
        // New York, 8 March 2026: 02:00 EST becomes 03:00 EDT.
        assert_eq!(
            fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2),
            ["2026-03-08 03:00:00-04:00", "2026-03-09 02:30:00-04:00"]
        );
        // An hourly schedule loses the hour that does not exist, and fires no tick twice.
        assert_eq!(
            fires("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", 3),
            ["2026-03-29 01:00:00+01:00", "2026-03-29 03:00:00+02:00", "2026-03-29 04:00:00+02:00"]
        );
    }

    #[test]
    fn a_time_the_clocks_repeat_fires_once_unless_the_schedule_runs_every_hour() {
        // Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:00–03:00 happens twice.
        // A fixed time fires at its first occurrence only…
        assert_eq!(
            fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
            ["2026-10-25 02:30:00+02:00", "2026-10-26 02:30:00+01:00"]
        );
        // …while a schedule that fires every hour fires in both of them, an hour apart.
        assert_eq!(
            fires("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z", 3),
            ["2026-10-25 02:00:00+02:00", "2026-10-25 02:00:00+01:00", "2026-10-25 03:00:00+01:00"]
        );
        // New York, 1 November 2026: 02:00 EDT becomes 01:00 EST.
        assert_eq!(
            fires("*/30 * * * *", "America/New_York", "2026-11-01T04:40:00Z", 4),
            [
                "2026-11-01 01:00:00-04:00",
                "2026-11-01 01:30:00-04:00",
                "2026-11-01 01:00:00-05:00",
                "2026-11-01 01:30:00-05:00"
            ]
        );
        assert_eq!(
            fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
            ["2026-11-01 01:30:00-04:00", "2026-11-02 01:30:00-05:00"]
        );
    }

    #[test]
    fn seconds_field_and_strictly_after() {
        let schedule = Schedule::parse("*/10 * * * * *", "UTC").unwrap();
        let next = schedule.next_after("2026-11-28T07:30:10Z".parse().unwrap()).unwrap();
        assert_eq!(next.timestamp().to_string(), "2026-11-28T07:30:20Z");
    }
}
