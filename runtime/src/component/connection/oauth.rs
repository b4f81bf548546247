//! OAuth2 connections: an access token from the third party's token endpoint (client
//! credentials, or a refresh token the customer authorised once), kept per instance, renewed
//! before it expires and once on a 401, and stored sealed so that a restart reuses it.

use crate::engine::current_tokens;
use crate::instances::Tokens;
use crate::model::{Error, Result, Secret};
use ::oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use ::oauth2::{
    AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, RefreshToken, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Mutex;

/// A token with less than this left is renewed before it is used, so that it does not expire
/// on its way to the third party.
const RENEW_BEFORE: SignedDuration = SignedDuration::from_secs(60);
/// How long the token endpoint has to answer.
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An OAuth2 connection: what [`Connection::OAuth2`](super::Connection::OAuth2) holds.
///
/// In the configuration:
///
/// ```toml
/// [crm]
/// type = "oauth2_client_credentials"     # or "oauth2_refresh_token", with refresh_token = "…"
/// token_url = "https://crm.example.com/oauth/token"
/// client_id = "aqueduct"
/// client_secret = "…"                    # optional for a refresh token (a public client)
/// scopes = ["contacts.read"]             # optional
/// client_auth = "basic"                  # or "body": where the client's credentials go
/// ```
///
/// The access token is fetched at the first call and kept for the instance, shared by its
/// runs (one fetch at a time); it is renewed when less than a minute of it is left, and
/// when the third party answers 401. Each token the endpoint gives, with the newest refresh
/// token, is stored with the instance, sealed like its configuration, so a restarted server
/// neither authorises again nor uses a refresh token the endpoint has rotated away. Changing
/// the configured `refresh_token` (the customer authorised again) starts afresh from it.
///
/// ```
/// let crm: aqueduct::Connection = serde_json::from_value(serde_json::json!({
///     "type": "oauth2_refresh_token",
///     "token_url": "https://crm.example.com/oauth/token",
///     "client_id": "aqueduct",
///     "refresh_token": "r3fresh",
/// })).unwrap();
/// assert!(matches!(crm, aqueduct::Connection::OAuth2(_)));
/// assert!(!format!("{crm:?}").contains("r3fresh"));
/// ```
#[derive(Clone)]
pub struct OAuth2 {
    settings: Arc<Settings>,
    /// The token in use, shared by the clones of this connection: the runs of one instance.
    held: Arc<Mutex<Held>>,
}

/// How the configuration describes the client and its endpoint.
pub(super) struct Client {
    pub token_url: url::Url,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    pub client_auth: ClientAuth,
}

/// Where the client's id and secret go in a token request.
#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum ClientAuth {
    /// HTTP Basic authentication, as RFC 6749 asks every server to accept.
    #[default]
    Basic,
    /// `client_id` and `client_secret` as form fields, for servers that want them there.
    Body,
}

/// How a token is obtained.
pub(super) enum Grant {
    ClientCredentials,
    /// The refresh token the customer authorised, used until the endpoint gives another.
    RefreshToken(Secret),
}

struct Settings {
    client: Client,
    grant: Grant,
    /// Which of the instance's connections a stored token belongs to (a digest of the above).
    key: String,
}

#[derive(Default)]
struct Held {
    token: Option<Token>,
    /// The token could not be stored when it came; storing is tried again at the next use.
    unsaved: bool,
}

#[derive(Clone, Serialize, Deserialize)]
struct Token {
    access_token: String,
    refresh_token: Option<String>,
    expires_at: Option<Timestamp>,
}

impl Token {
    fn fresh(&self) -> bool {
        self.expires_at.is_none_or(|at| Timestamp::now() + RENEW_BEFORE < at)
    }
}

impl OAuth2 {
    pub(super) fn new(client: Client, grant: Grant) -> Result<OAuth2, String> {
        if client.client_id.trim().is_empty() {
            return Err("`client_id` is empty".into());
        }
        if let Some(secret) = &client.client_secret {
            super::not_empty(secret, "client_secret")?;
        }
        if !matches!(client.token_url.scheme(), "https" | "http") {
            return Err(format!("`token_url = \"{}\"` is not an http(s) URL", client.token_url));
        }
        let key = key(&client, &grant);
        Ok(OAuth2 { settings: Arc::new(Settings { client, grant, key }), held: Arc::default() })
    }

    /// An access token that is not about to expire: the one held, the one stored for the
    /// instance, or a new one from the token endpoint.
    pub(super) async fn access_token(&self) -> Result<Secret> {
        let tokens = current_tokens();
        let mut held = self.held.lock().await;
        if held.token.is_none()
            && let Some(tokens) = &tokens
        {
            held.token = self.load(tokens).await?;
        }
        match held.token.clone().filter(Token::fresh) {
            Some(token) => {
                if held.unsaved {
                    held.unsaved = self.save(tokens.as_ref(), &token).await.is_err();
                }
                Ok(Secret::new(token.access_token))
            }
            None => {
                let token = self.renew(held.token.as_ref(), tokens.as_ref()).await?;
                held.token = Some(token.clone());
                // Held even when it cannot be stored: the endpoint may have spent the old refresh token.
                let saved = self.save(tokens.as_ref(), &token).await;
                held.unsaved = saved.is_err();
                saved.map(|()| Secret::new(token.access_token))
            }
        }
    }

    /// The third party refused `used`: unless another call has renewed it meanwhile, the held
    /// token is renewed at its next use.
    pub(super) async fn expire(&self, used: &Secret) {
        let mut held = self.held.lock().await;
        if let Some(token) = held.token.as_mut().filter(|token| token.access_token == used.expose()) {
            token.expires_at = Some(Timestamp::now());
        }
    }

    /// A new token for `held`'s place. If the endpoint refuses while another process has
    /// stored a newer token (its refresh spent the one held here), that one is taken.
    async fn renew(&self, held: Option<&Token>, tokens: Option<&Tokens>) -> Result<Token> {
        let refused = match self.request(held).await {
            Ok(token) => return Ok(token),
            Err(refused) => refused,
        };
        let Some(tokens) = tokens else { return Err(refused) };
        match self.load(tokens).await? {
            Some(stored) if held.is_none_or(|held| held.access_token != stored.access_token) => {
                if stored.fresh() {
                    Ok(stored)
                } else {
                    self.request(Some(&stored)).await
                }
            }
            _ => Err(refused),
        }
    }

    /// One token request: client credentials, or the newest refresh token known.
    async fn request(&self, held: Option<&Token>) -> Result<Token> {
        let Settings { client: settings, grant, .. } = &*self.settings;
        let auth_type = match settings.client_auth {
            ClientAuth::Basic => AuthType::BasicAuth,
            ClientAuth::Body => AuthType::RequestBody,
        };
        let mut client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_token_uri(TokenUrl::from_url(settings.token_url.clone()))
            .set_auth_type(auth_type);
        if let Some(secret) = &settings.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        let scopes = settings.scopes.iter().cloned().map(Scope::new);
        let (answer, refresh) = match grant {
            Grant::ClientCredentials => {
                (client.exchange_client_credentials().add_scopes(scopes).request_async(&send).await, None)
            }
            Grant::RefreshToken(configured) => {
                let newest = held.and_then(|held| held.refresh_token.clone());
                let refresh = RefreshToken::new(newest.unwrap_or_else(|| configured.expose().to_owned()));
                (client.exchange_refresh_token(&refresh).add_scopes(scopes).request_async(&send).await, Some(refresh))
            }
        };
        let answer = answer.map_err(|error| self.refused(error))?;
        let expires_at = answer.expires_in().and_then(|lifetime| Timestamp::now().checked_add(lifetime).ok());
        Ok(Token {
            access_token: answer.access_token().secret().clone(),
            // An endpoint that does not rotate refresh tokens gives none: the one used stays.
            refresh_token: answer.refresh_token().or(refresh.as_ref()).map(|token| token.secret().clone()),
            expires_at,
        })
    }

    async fn load(&self, tokens: &Tokens) -> Result<Option<Token>> {
        match tokens.load(&self.settings.key).await? {
            Some(json) => Ok(Some(serde_json::from_str(&json)?)),
            None => Ok(None),
        }
    }

    /// Stores `token` with the instance; outside a run (no store) there is nowhere to.
    async fn save(&self, tokens: Option<&Tokens>, token: &Token) -> Result<()> {
        let Some(tokens) = tokens else { return Ok(()) };
        let saved = tokens.save(&self.settings.key, &serde_json::to_string(token)?).await;
        if let Err(error) = &saved {
            tracing::error!(%error, "a new OAuth2 token could not be stored; storing it is tried again at its next use");
        }
        saved
    }

    /// The token endpoint's refusal, said so that whoever reads it knows what to fix. Never
    /// the endpoint's answer itself: it may hold a token.
    fn refused(&self, error: RequestTokenError<reqwest::Error, BasicErrorResponse>) -> Error {
        let url = &self.settings.client.token_url;
        let endpoint = format!("the OAuth2 token endpoint {}{}", url.origin().ascii_serialization(), url.path());
        match error {
            RequestTokenError::ServerResponse(answer) => {
                let description = answer.error_description().map(|text| format!(" ({text})")).unwrap_or_default();
                let advice = match (answer.error(), &self.settings.grant) {
                    (BasicErrorResponseType::InvalidGrant, Grant::RefreshToken(_)) => {
                        "; the refresh token is no longer valid: have the customer authorise again, and activate \
                         the instance with the new `refresh_token`"
                    }
                    (BasicErrorResponseType::InvalidClient, _) => "; check `client_id` and `client_secret`",
                    _ => "",
                };
                Error::msg(format!("{endpoint} refused the request: {}{description}{advice}", answer.error()))
            }
            RequestTokenError::Request(error) => Error::msg(format!("{endpoint} could not be reached: {error}")),
            RequestTokenError::Parse(error, _) => {
                Error::msg(format!("{endpoint} answered with something that is not a token: {}", error.path()))
            }
            RequestTokenError::Other(what) => Error::msg(format!("{endpoint} answered: {what}")),
        }
    }
}

impl fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Settings { client, grant, .. } = &*self.settings;
        let grant = match grant {
            Grant::ClientCredentials => "client_credentials",
            Grant::RefreshToken(_) => "refresh_token",
        };
        f.debug_struct("OAuth2")
            .field("grant", &grant)
            .field("token_url", &client.token_url.as_str())
            .field("client_id", &client.client_id)
            .field("client_secret", &client.client_secret)
            .field("scopes", &client.scopes)
            .finish_non_exhaustive()
    }
}

/// A digest of what identifies the connection: the same settings find the same stored token,
/// and a new refresh token (the customer authorised again) does not find the old one's.
fn key(client: &Client, grant: &Grant) -> String {
    let mut digest = Sha256::new();
    for part in [client.token_url.as_str(), &client.client_id, &client.scopes.join(" ")] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    if let Grant::RefreshToken(configured) = grant {
        digest.update(configured.expose().as_bytes());
    }
    hex::encode(&digest.finalize()[..8])
}

/// Sends a token request. Redirects are not followed: the client's secret is not to be
/// carried to another host.
async fn send(request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TOKEN_REQUEST_TIMEOUT)
            .build()
            .expect("a TLS backend for the token client")
    });
    let response = client.execute(reqwest::Request::try_from(request)?).await?;
    let mut answer = http::Response::builder().status(response.status());
    if let Some(headers) = answer.headers_mut() {
        *headers = response.headers().clone();
    }
    let body = response.bytes().await?.to_vec();
    Ok(answer.body(body).expect("a status and headers taken from a response"))
}

#[cfg(test)]
#[path = "oauth_tests.rs"]
mod tests;
