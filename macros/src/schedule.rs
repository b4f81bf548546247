//! Compile-time checks of `schedule = "…"` and `tz = "…"`, with the same croner and jiff
//! configuration the runtime uses, so a schedule that compiles also runs.

use croner::parser::{CronParser, Seconds, Year};

/// The parser the runtime builds too (`runtime/src/schedule/cron.rs`): 5 or 6 fields, no years.
fn parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).build()
}

const FIVE_FIELDS: [(&str, &str); 5] = [
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31, L or W"),
    ("month", "1-12 or JAN-DEC"),
    ("day-of-week", "0-7 or SUN-SAT, # and L"),
];
const SECOND_FIELD: (&str, &str) = ("second", "0-59");
const SHORTHANDS: [&str; 6] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"];

/// Checks a cron expression; the error names the field that is wrong and what it accepts.
pub(crate) fn check_cron(pattern: &str) -> Result<(), String> {
    let Err(error) = parser().parse(pattern) else { return Ok(()) };
    let trimmed = pattern.trim();
    if trimmed.starts_with('@') {
        return Err(format!(
            "unknown cron shorthand `{trimmed}`; use one of {}.{}",
            SHORTHANDS.join(", "),
            crate::suggest::did_you_mean(trimmed, SHORTHANDS)
        ));
    }
    let fields: Vec<&str> = trimmed.split_whitespace().collect();
    let names: Vec<(&str, &str)> = match fields.len() {
        5 => FIVE_FIELDS.to_vec(),
        6 => std::iter::once(SECOND_FIELD).chain(FIVE_FIELDS).collect(),
        count => {
            return Err(format!(
                "cron schedule `{trimmed}` has {count} fields; write 5 (minute hour day-of-month month day-of-week) \
                 or 6 with seconds first, e.g. \"*/5 * * * *\" or \"*/10 * * * * *\", or a shorthand such as @hourly"
            ));
        }
    };
    // Parse each field alone, the others as `*`, to find the one croner rejected.
    for (index, field) in fields.iter().enumerate() {
        let alone: Vec<&str> = (0..fields.len()).map(|i| if i == index { *field } else { "*" }).collect();
        if parser().parse(&alone.join(" ")).is_err() {
            let (name, accepts) = names[index];
            return Err(format!(
                "invalid cron schedule `{trimmed}`: the {name} field `{field}` is not valid; the {name} field takes {accepts}, \
                 with `*`, lists (`1,2`), ranges (`1-5`) and steps (`*/15`)"
            ));
        }
    }
    Err(format!("invalid cron schedule `{trimmed}`: {error}"))
}

/// Checks an IANA time zone name against jiff's bundled database.
pub(crate) fn check_time_zone(name: &str) -> Result<(), String> {
    if jiff::tz::db().get(name).is_ok() {
        return Ok(());
    }
    let known: Vec<String> = jiff::tz::db().available().map(|zone| zone.to_string()).collect();
    let hint = crate::suggest::did_you_mean(name, known.iter().map(String::as_str));
    Err(format!(
        "unknown time zone `{name}`; `tz` takes an IANA time zone name such as \"Europe/Berlin\" or \"America/New_York\".{hint}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_five_six_fields_and_shorthands() {
        for ok in ["*/5 * * * *", "*/10 * * * * *", "0 9 * * MON-FRI", "@hourly", "@daily", "0 0 L * *"] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_the_bad_field() {
        assert!(check_cron("0 25 * * *").unwrap_err().contains("the hour field `25`"));
        assert!(check_cron("61 * * * * *").unwrap_err().contains("the second field `61`"));
        assert!(check_cron("* * * 13 *").unwrap_err().contains("the month field `13`"));
        assert!(check_cron("* * * *").unwrap_err().contains("has 4 fields"));
        assert!(check_cron("@hourlyy").unwrap_err().contains("Did you mean `@hourly`?"));
    }

    #[test]
    fn suggests_a_time_zone() {
        assert_eq!(check_time_zone("Europe/Berlin"), Ok(()));
        assert!(check_time_zone("Europe/Berln").unwrap_err().contains("Did you mean `Europe/Berlin`?"));
    }
}
