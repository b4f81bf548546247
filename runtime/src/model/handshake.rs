//! The subscription handshakes an endpoint answers (`handshake = …`), as declared; ingress
//! answers them.

use super::signing::SecretsOf;

/// A handshake an endpoint answers (`handshake = …`); it stores nothing.
#[doc(hidden)]
pub enum Handshake<C: 'static> {
    /// Slack's `url_verification`: a signed POST whose `challenge` is echoed back.
    Slack,
    /// `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` (Meta, Strava, …): the
    /// challenge is echoed back when the token is one the instance's configuration holds.
    HubChallenge { verify_token: SecretsOf<C> },
    /// An Amazon SNS `SubscriptionConfirmation`: its `SubscribeURL` is fetched, if it is HTTPS
    /// on SNS's own host (`sns.<region>.amazonaws.com`), or on `host` or a subdomain of it when
    /// given (plain HTTP is allowed on loopback, for tests).
    Sns { host: Option<&'static str> },
}
