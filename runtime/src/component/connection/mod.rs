//! How a component authenticates to a third party, as each customer's configuration gives it.

mod oauth;
mod schema;

pub use oauth::OAuth2;

use crate::model::{Result, Secret};
use base64::Engine as _;
use serde::Deserialize;

/// The credentials a component calls a third party with, read from the instance's
/// configuration and checked at activation (a missing field, or an API key placed nowhere, is
/// refused naming the field). Secrets in it are [`Secret`]s: never printed, never stored in
/// the clear.
///
/// In the configuration, `type` says which kind:
///
/// ```toml
/// [crm]
/// type = "api_key"
/// key = "k3y"
/// header = "X-Api-Key"    # or: query = "api_key"
/// ```
///
/// `type = "bearer"` takes `token`; `type = "basic"` takes `username` and `password`;
/// `type = "oauth2_client_credentials"` and `type = "oauth2_refresh_token"` take a token
/// endpoint and a client (see [`OAuth2`]).
///
/// Send requests with [`Connection::send`]: it adds the credentials, and for OAuth2 fetches
/// and refreshes the access token as needed.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { crm_url: Url, crm: Connection }
///
/// #[component]
/// struct Crm { base: Url, connection: Connection, http: reqwest::Client }
///
/// #[component]
/// impl Crm {
///     #[action]
///     async fn contact_count(&self) -> Result<u64> {
///         let request = self.http.get(self.base.join("contacts/count")?);
///         Ok(self.connection.send(request).await?.check_status()?.json().await?)
///     }
/// }
///
/// let settings: Settings = toml::from_str(r#"
///     crm_url = "https://crm.example.com/"
///     crm = { type = "bearer", token = "t0ken" }
/// "#).unwrap();
/// assert!(format!("{:?}", settings.crm).contains("***"));
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "Raw")]
pub enum Connection {
    /// An API key in a header, or in a query parameter.
    ApiKey { key: Secret, placed: KeyPlace },
    /// `Authorization: Bearer <token>`.
    Bearer { token: Secret },
    /// `Authorization: Basic <username:password>`.
    Basic { username: String, password: Secret },
    /// `Authorization: Bearer <access token>`, the token obtained from an OAuth2 token endpoint.
    OAuth2(OAuth2),
}

/// Where an API key goes.
///
/// ```
/// use aqueduct::{Connection, KeyPlace};
///
/// let crm: Connection = serde_json::from_str(r#"{ "type": "api_key", "key": "k3y", "query": "api_key" }"#).unwrap();
/// assert!(matches!(crm, Connection::ApiKey { placed: KeyPlace::QueryParam(name), .. } if name == "api_key"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPlace {
    Header(String),
    QueryParam(String),
}

impl Connection {
    /// Sends `request` with this connection's credentials. An OAuth2 connection answered
    /// `401 Unauthorized` refreshes its token and sends the request once more (when its body
    /// can be sent twice: not a stream); a second 401 is returned as it is.
    ///
    /// ```no_run
    /// # async fn example(crm: aqueduct::Connection) -> aqueduct::Result<()> {
    /// use aqueduct::CheckStatus;
    ///
    /// let request = reqwest::Client::new().get("https://crm.example.com/contacts");
    /// let contacts: serde_json::Value = crm.send(request).await?.check_status()?.json().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let Connection::OAuth2(oauth2) = self else { return Ok(self.authorize(request).await?.send().await?) };
        let again = request.try_clone();
        let token = oauth2.access_token().await?;
        let response = request.bearer_auth(token.expose()).send().await?;
        match again {
            Some(again) if response.status() == http::StatusCode::UNAUTHORIZED => {
                oauth2.expire(&token).await;
                Ok(again.bearer_auth(oauth2.access_token().await?.expose()).send().await?)
            }
            _ => Ok(response),
        }
    }

    /// `request` carrying this connection's credentials, for a caller that sends it itself
    /// (an OAuth2 access token is fetched or refreshed first if it is missing or expiring).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aqueduct::Result<()> {
    /// let crm: aqueduct::Connection = serde_json::from_str(r#"{ "type": "bearer", "token": "t0ken" }"#)?;
    /// let request = crm.authorize(reqwest::Client::new().get("https://crm.example.com/")).await?.build()?;
    /// assert_eq!(request.headers()["authorization"], "Bearer t0ken");
    /// # Ok(()) }
    /// ```
    pub async fn authorize(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        Ok(match self {
            Connection::ApiKey { key, placed: KeyPlace::Header(name) } => request.header(name, key.expose()),
            Connection::ApiKey { key, placed: KeyPlace::QueryParam(name) } => request.query(&[(name, key.expose())]),
            Connection::Bearer { token } => request.bearer_auth(token.expose()),
            Connection::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                request.header(http::header::AUTHORIZATION, format!("Basic {encoded}"))
            }
            Connection::OAuth2(oauth2) => request.bearer_auth(oauth2.access_token().await?.expose()),
        })
    }
}

/// A connection as written, before it is checked.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Raw {
    ApiKey {
        key: Secret,
        header: Option<String>,
        query: Option<String>,
    },
    Bearer {
        token: Secret,
    },
    Basic {
        username: String,
        password: Secret,
    },
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials {
        token_url: url::Url,
        client_id: String,
        client_secret: Secret,
        #[serde(default)]
        scopes: Vec<String>,
        #[serde(default)]
        client_auth: oauth::ClientAuth,
    },
    #[serde(rename = "oauth2_refresh_token")]
    OAuth2RefreshToken {
        token_url: url::Url,
        client_id: String,
        client_secret: Option<Secret>,
        refresh_token: Secret,
        #[serde(default)]
        scopes: Vec<String>,
        #[serde(default)]
        client_auth: oauth::ClientAuth,
    },
}

impl TryFrom<Raw> for Connection {
    type Error = String;

    fn try_from(raw: Raw) -> Result<Connection, String> {
        match raw {
            Raw::ApiKey { key, header, query } => {
                not_empty(&key, "key")?;
                let placed = match (header, query) {
                    (Some(header), None) if http::HeaderName::try_from(&header).is_ok() => KeyPlace::Header(header),
                    (Some(header), None) => return Err(format!("`header = \"{header}\"` is not a header name")),
                    (None, Some(query)) => KeyPlace::QueryParam(query),
                    _ => return Err("an API key goes in a `header = \"X-Api-Key\"` or a `query = \"api_key\"` parameter: give one of them".into()),
                };
                Ok(Connection::ApiKey { key, placed })
            }
            Raw::Bearer { token } => not_empty(&token, "token").map(|()| Connection::Bearer { token }),
            Raw::Basic { username, password } => Ok(Connection::Basic { username, password }),
            Raw::OAuth2ClientCredentials { token_url, client_id, client_secret, scopes, client_auth } => {
                let client =
                    oauth::Client { token_url, client_id, client_secret: Some(client_secret), scopes, client_auth };
                OAuth2::new(client, oauth::Grant::ClientCredentials).map(Connection::OAuth2)
            }
            Raw::OAuth2RefreshToken { token_url, client_id, client_secret, refresh_token, scopes, client_auth } => {
                not_empty(&refresh_token, "refresh_token")?;
                let client = oauth::Client { token_url, client_id, client_secret, scopes, client_auth };
                OAuth2::new(client, oauth::Grant::RefreshToken(refresh_token)).map(Connection::OAuth2)
            }
        }
    }
}

fn not_empty(secret: &Secret, field: &str) -> Result<(), String> {
    if secret.expose().trim().is_empty() { Err(format!("`{field}` is empty")) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{header, method, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn connection(toml: &str) -> Result<Connection, String> {
        #[derive(Deserialize)]
        struct Settings {
            #[allow(dead_code)]
            crm: Connection,
        }
        toml::from_str::<Settings>(toml).map(|settings| settings.crm).map_err(|error| error.to_string())
    }

    /// Sends a request through the connection `written` and checks the third party saw `expected`.
    async fn sends(crm: &MockServer, expected: impl wiremock::Match + 'static, written: &str) {
        let once = Mock::given(method("GET")).and(expected).respond_with(ResponseTemplate::new(204)).expect(1);
        // Verified when the guard goes, at the end of this call.
        let _guard = once.mount_as_scoped(crm).await;
        let response = connection(written).unwrap().send(reqwest::Client::new().get(crm.uri())).await.unwrap();
        assert_eq!(response.status(), 204, "{written}");
    }

    #[tokio::test]
    async fn each_kind_puts_its_credentials_where_the_third_party_reads_them() {
        let crm = MockServer::start().await;
        sends(&crm, header("x-api-key", "k3y"), r#"crm = { type = "api_key", key = "k3y", header = "X-Api-Key" }"#)
            .await;
        sends(&crm, query_param("api_key", "k3y"), r#"crm = { type = "api_key", key = "k3y", query = "api_key" }"#)
            .await;
        sends(&crm, header("authorization", "Bearer t0ken"), r#"crm = { type = "bearer", token = "t0ken" }"#).await;
        // `ada:s3cr3t`, base64.
        let basic = r#"crm = { type = "basic", username = "ada", password = "s3cr3t" }"#;
        sends(&crm, header("authorization", "Basic YWRhOnMzY3IzdA=="), basic).await;
    }

    #[test]
    fn an_incomplete_connection_is_refused_and_says_what_is_missing() {
        let refused = |toml: &str| connection(toml).unwrap_err();
        assert!(refused(r#"crm = { type = "api_key", key = "k" }"#).contains("give one of them"));
        assert!(refused(r#"crm = { type = "bearer", token = " " }"#).contains("`token` is empty"));
        assert!(refused(r#"crm = { type = "bearer" }"#).contains("missing field `token`"));
        assert!(refused(r#"crm = { type = "oauth" }"#).contains("unknown variant `oauth`"));
    }

    #[test]
    fn no_secret_shows_in_debug() {
        let basic = connection(r#"crm = { type = "basic", username = "ada", password = "s3cr3t" }"#).unwrap();
        let shown = format!("{basic:?}");
        assert!(!shown.contains("s3cr3t") && shown.contains("ada"), "{shown}");
    }
}
