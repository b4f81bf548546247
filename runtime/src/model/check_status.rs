//! Turning a third party's error answer into an [`Error`] that says whether to retry, and when.

use super::error::{Error, Result};
use http::{StatusCode, header};
use std::time::Duration;

/// Checks a third party's HTTP answer: a success passes through; a failure becomes an
/// [`Error`] that is permanent for a 4xx (except 408 and 429) and carries the answer's
/// `Retry-After`, so the next attempt waits at least that long.
///
/// Use it where you would use `reqwest`'s `error_for_status()`, which drops the headers.
///
/// ```
/// use aqueduct::CheckStatus;
///
/// let throttled = http::Response::builder().status(429).header("retry-after", "30").body("slow down").unwrap();
/// let error = reqwest::Response::from(throttled).check_status().unwrap_err();
/// assert!(!error.is_permanent());
/// assert_eq!(error.retry_delay(), Some(std::time::Duration::from_secs(30)));
///
/// let missing = http::Response::builder().status(404).body("").unwrap();
/// assert!(reqwest::Response::from(missing).check_status().unwrap_err().is_permanent());
/// ```
pub trait CheckStatus: Sized {
    /// The answer if it is a success, else the error it stands for.
    fn check_status(self) -> Result<Self>;
}

impl CheckStatus for reqwest::Response {
    fn check_status(self) -> Result<Self> {
        let status = self.status();
        if status.is_success() || status.is_informational() || status.is_redirection() {
            return Ok(self);
        }
        // The path only: a query string may hold credentials.
        let url = self.url();
        let error = Error::msg(format!("{}{} answered {status}", url.origin().ascii_serialization(), url.path()));
        let retry_after = self.headers().get(header::RETRY_AFTER).and_then(|value| retry_delay(value.to_str().ok()?));
        let error = match retry_after {
            Some(delay) => error.retry_after(delay),
            None => error,
        };
        let retryable = !status.is_client_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS;
        Err(if retryable { error } else { Error::permanent(error) })
    }
}

/// `Retry-After` is whole seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_delay(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value.trim()).ok()?.timestamp();
    Duration::try_from(jiff::Timestamp::now().duration_until(at)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_seconds_and_dates() {
        assert_eq!(retry_delay("120"), Some(Duration::from_secs(120)));
        let in_a_minute = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&in_a_minute).unwrap();
        let delay = retry_delay(&date).unwrap();
        assert!(delay > Duration::from_secs(55) && delay <= Duration::from_secs(60), "{date}: {delay:?}");
        assert_eq!(retry_delay("Wed, 21 Oct 2015 07:28:00 GMT"), None, "a date in the past asks for no wait");
        assert_eq!(retry_delay("soon"), None);
    }
}
