//! The error type flows and actions return, and whether a failure is worth retrying.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// `Result` with aqueduct's [`Error`]: what flows and actions return.
///
/// ```
/// use aqueduct::Result;
///
/// fn parse_quantity(text: &str) -> Result<u32> {
///     Ok(text.trim().parse()?)
/// }
/// assert_eq!(parse_quantity(" 20 ").unwrap(), 20);
/// assert!(parse_quantity("twenty").is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A flow's or an action's failure: its cause chain, and whether trying again can help.
///
/// Any `std::error::Error` converts into it with `?`. An HTTP 4xx answer from a third-party
/// call made with `reqwest` is permanent, except 408 and 429; everything else is retryable
/// unless made [`Error::permanent`].
///
/// ```
/// use aqueduct::Error;
///
/// let missing = Error::permanent(Error::msg("the order has no customer"));
/// assert!(missing.is_permanent());
/// assert_eq!(missing.to_string(), "the order has no customer");
///
/// let flaky = Error::msg("the inventory app timed out");
/// assert!(!flaky.is_permanent());
/// ```
pub struct Error {
    cause: anyhow::Error,
    permanent: bool,
    retry_after: Option<Duration>,
}

impl Error {
    /// A retryable error with this message.
    pub fn msg(message: impl fmt::Display + fmt::Debug + Send + Sync + 'static) -> Error {
        Error { cause: anyhow::Error::msg(message), permanent: false, retry_after: None }
    }

    /// An error that retrying cannot fix: the run is marked dead at once.
    ///
    /// Takes any error, or a message made with [`Error::msg`]:
    ///
    /// ```
    /// use aqueduct::Error;
    ///
    /// let parse_failure = "x".parse::<u32>().unwrap_err();
    /// assert!(Error::permanent(parse_failure).is_permanent());
    /// assert!(Error::permanent(Error::msg("unknown SKU")).is_permanent());
    /// ```
    pub fn permanent(cause: impl Into<Error>) -> Error {
        Error { permanent: true, ..cause.into() }
    }

    /// Asks to be retried no sooner than `delay` from now (a third party's `Retry-After`).
    ///
    /// ```
    /// use aqueduct::Error;
    /// use std::time::Duration;
    ///
    /// let throttled = Error::msg("rate limited").retry_after(Duration::from_secs(30));
    /// assert_eq!(throttled.retry_delay(), Some(Duration::from_secs(30)));
    /// ```
    pub fn retry_after(self, delay: Duration) -> Error {
        Error { retry_after: Some(delay), ..self }
    }

    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The delay the cause asked for before the next attempt, if any.
    pub fn retry_delay(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The error and its causes, outermost first.
    ///
    /// ```
    /// use aqueduct::{Context, Result};
    ///
    /// let failed: Result<u32> = "x".parse::<u32>().context("reading the quantity");
    /// let chain: Vec<String> = failed.unwrap_err().chain().map(|cause| cause.to_string()).collect();
    /// assert_eq!(chain, ["reading the quantity", "invalid digit found in string"]);
    /// ```
    pub fn chain(&self) -> impl Iterator<Item = &(dyn StdError + 'static)> {
        self.cause.chain()
    }

    /// Adds a line of context in front of the cause.
    pub(crate) fn wrap(self, context: String) -> Error {
        Error { cause: self.cause.context(context), ..self }
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for Error {
    fn from(mut cause: E) -> Error {
        let http = (&mut cause as &mut dyn std::any::Any).downcast_mut::<reqwest::Error>();
        let permanent = http.as_deref().is_some_and(is_permanent_http_failure);
        // A query string may carry credentials; the error is logged and recorded on the run.
        if let Some(url) = http.and_then(reqwest::Error::url_mut) {
            url.set_query(None);
            url.set_fragment(None);
        }
        Error { cause: anyhow::Error::new(cause), permanent, retry_after: None }
    }
}

/// A 4xx answer will come again if the same request is sent again, except a timeout or a throttle.
fn is_permanent_http_failure(error: &reqwest::Error) -> bool {
    error.status().is_some_and(|status| status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` prints the whole chain, `outer: inner: root`.
        if f.alternate() { write!(f, "{:#}", self.cause) } else { write!(f, "{}", self.cause) }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.cause)?;
        if self.permanent {
            write!(f, " (permanent)")?;
        }
        Ok(())
    }
}

/// Adds context to a failure, as `anyhow::Context` does, giving an aqueduct [`Result`].
///
/// ```
/// use aqueduct::{Context, Result};
///
/// fn quantity(text: Option<&str>) -> Result<u32> {
///     let text = text.context("the update has no quantity")?;
///     text.parse::<u32>().with_context(|| format!("quantity `{text}` is not a number"))
/// }
/// assert_eq!(quantity(None).unwrap_err().to_string(), "the update has no quantity");
/// assert_eq!(
///     format!("{:#}", quantity(Some("many")).unwrap_err()),
///     "quantity `many` is not a number: invalid digit found in string"
/// );
/// ```
pub trait Context<T> {
    /// Wraps the failure with `context`.
    fn context(self, context: impl fmt::Display) -> Result<T>;
    /// Wraps the failure with the context `make` returns, computed only on failure.
    fn with_context<D: fmt::Display>(self, make: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl fmt::Display) -> Result<T> {
        self.map_err(|error| error.into().wrap(context.to_string()))
    }

    fn with_context<D: fmt::Display>(self, make: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|error| error.into().wrap(make().to_string()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl fmt::Display) -> Result<T> {
        self.ok_or_else(|| Error::msg(context.to_string()))
    }

    fn with_context<D: fmt::Display>(self, make: impl FnOnce() -> D) -> Result<T> {
        self.ok_or_else(|| Error::msg(make().to_string()))
    }
}
