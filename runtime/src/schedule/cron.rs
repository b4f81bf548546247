//! A schedule: a cron expression read in a time zone.

use crate::model::{Error, Result};
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

    /// The first fire time strictly after `after`.
    pub(crate) fn next_after(&self, after: jiff::Timestamp) -> Result<Zoned> {
        let local = after.to_zoned(self.zone.clone());
        self.cron
            .find_next_occurrence(&local, false)
            .map_err(|error| Error::msg(format!("the schedule has no next fire time: {error}")))
    }

    /// The next `count` fire times after now, for `flows`.
    pub(crate) fn upcoming(&self, count: usize) -> Vec<Zoned> {
        let mut times = Vec::with_capacity(count);
        let mut cursor = jiff::Timestamp::now();
        while times.len() < count {
            let Ok(next) = self.next_after(cursor) else { break };
            cursor = next.timestamp();
            times.push(next);
        }
        times
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

    #[test]
    fn seconds_field_and_strictly_after() {
        let schedule = Schedule::parse("*/10 * * * * *", "UTC").unwrap();
        let next = schedule.next_after("2026-11-28T07:30:10Z".parse().unwrap()).unwrap();
        assert_eq!(next.timestamp().to_string(), "2026-11-28T07:30:20Z");
    }
}
