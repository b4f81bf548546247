//! Where files are: a folder on the local disk, in an S3-compatible bucket, or on an SFTP
//! server, as an instance's configuration names it.

use super::backend::Backend;
use crate::model::{Result, Secret};
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

/// A folder files are imported from or exported to, as a field of an instance's
/// configuration: a URL, or a table with the URL and what it takes to connect.
///
/// | URL | where | and in the table |
/// | --- | --- | --- |
/// | `file:///var/drop` or a path (`./drop`) | a local folder | nothing |
/// | `s3://bucket/prefix` | an S3-compatible bucket (the `s3` feature) | `endpoint`, `region`, `access_key_id`, `secret_access_key`; else the `AWS_*` environment |
/// | `sftp://user@host:22/path` | a folder on an SFTP server (the `sftp` feature) | `host_key` (the server's public key, required), and `password` or `private_key` |
///
/// Secrets are kept as [`Secret`]s: stored sealed, redacted wherever the folder is shown.
///
/// ```
/// use aqueduct::files::Folder;
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { drop: Folder, reports: Folder }
///
/// let settings: Settings = toml::from_str(r#"
///     drop = "./drop"
///     [reports]
///     url = "s3://acme-reports/nightly"
///     endpoint = "http://127.0.0.1:9000"
///     region = "us-east-1"
///     access_key_id = "reporter"
///     secret_access_key = "not-shown"
/// "#).unwrap();
/// assert_eq!(settings.drop.to_string(), "./drop");
/// assert_eq!(settings.reports.to_string(), "s3://acme-reports/nightly");
/// ```
#[derive(Clone)]
pub struct Folder {
    pub(super) place: Place,
    /// The URL as written, without credentials: how the folder is shown and told apart.
    shown: String,
}

/// A folder's kind and what connecting to it takes.
#[derive(Clone)]
pub(super) enum Place {
    Local(PathBuf),
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    S3(S3),
    #[cfg_attr(not(feature = "sftp"), allow(dead_code))]
    Sftp(Sftp),
}

#[derive(Clone)]
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub(super) struct S3 {
    pub bucket: String,
    pub prefix: String,
    pub endpoint: Option<Url>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

#[derive(Clone)]
#[cfg_attr(not(feature = "sftp"), allow(dead_code))]
pub(super) struct Sftp {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub path: String,
    pub host_key: String,
    pub password: Option<Secret>,
    pub private_key: Option<Secret>,
}

impl Folder {
    /// A folder on the local disk.
    ///
    /// ```
    /// let drop = aqueduct::files::Folder::local("/var/drop");
    /// assert_eq!(drop.to_string(), "/var/drop");
    /// ```
    pub fn local(path: impl Into<PathBuf>) -> Folder {
        let path = path.into();
        Folder { shown: path.display().to_string(), place: Place::Local(path) }
    }

    /// Connects to the folder.
    pub(super) async fn connect(&self) -> Result<Arc<dyn Backend>> {
        let connected = match &self.place {
            Place::Local(path) => super::object::local(path),
            #[cfg(feature = "s3")]
            Place::S3(s3) => super::object::s3(s3),
            #[cfg(feature = "sftp")]
            Place::Sftp(sftp) => super::sftp::connect(sftp).await,
            #[allow(unreachable_patterns)]
            _ => unreachable!("a folder of a scheme this build lacks is refused when its configuration is read"),
        };
        connected.map_err(|error| error.wrap(format!("opening the folder {self} failed")))
    }
}

impl fmt::Display for Folder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for Folder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Folder({})", self.shown)
    }
}

/// A folder as the configuration writes it (for its JSON Schema; it is read by `Deserialize`
/// below, whose errors say more than an untagged enum's).
#[derive(schemars::JsonSchema)]
#[allow(dead_code, clippy::large_enum_variant)]
enum Written {
    /// `file:///path`, a path, `s3://bucket/prefix` or `sftp://user@host/path`.
    Url(String),
    Table(Table),
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Table {
    url: String,
    /// S3: the endpoint of an S3-compatible server other than AWS.
    endpoint: Option<Url>,
    /// S3: the bucket's region.
    region: Option<String>,
    /// S3: the access key's id.
    access_key_id: Option<String>,
    /// S3: the access key's secret.
    secret_access_key: Option<Secret>,
    /// SFTP: the server's public key (`ssh-ed25519 AAAA…`, as in `known_hosts`) or its
    /// SHA-256 fingerprint (`SHA256:…`); a server showing another key is refused.
    host_key: Option<String>,
    /// SFTP: the user's password.
    password: Option<Secret>,
    /// SFTP: the user's private key, in OpenSSH's format.
    private_key: Option<Secret>,
}

impl<'de> Deserialize<'de> for Folder {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Folder, D::Error> {
        deserializer.deserialize_any(WrittenVisitor)
    }
}

struct WrittenVisitor;

impl<'de> serde::de::Visitor<'de> for WrittenVisitor {
    type Value = Folder;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a folder's URL or path, or a table with its `url` and settings")
    }

    fn visit_str<E: serde::de::Error>(self, url: &str) -> Result<Folder, E> {
        let table = Table {
            url: url.to_owned(),
            endpoint: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            host_key: None,
            password: None,
            private_key: None,
        };
        folder(table).map_err(E::custom)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Folder, A::Error> {
        let table = Table::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        folder(table).map_err(serde::de::Error::custom)
    }
}

fn folder(table: Table) -> Result<Folder, String> {
    let Ok(url) = Url::parse(&table.url) else {
        // Not a URL: a path on the local disk.
        refuse_others(&table, "a local folder", &[])?;
        return Ok(Folder { place: Place::Local(PathBuf::from(&table.url)), shown: table.url });
    };
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let shown = shown.to_string();
    let place = match url.scheme() {
        "file" => {
            refuse_others(&table, "a local folder", &[])?;
            let path = url.to_file_path().map_err(|()| format!("`{}` is not a path on this machine", table.url))?;
            Place::Local(path)
        }
        "s3" => {
            refuse_others(&table, "an s3:// folder", &["endpoint", "region", "access_key_id", "secret_access_key"])?;
            if !cfg!(feature = "s3") {
                return Err(format!(
                    "`{}` is an S3 folder, and this binary was built without aqueduct's `s3` feature",
                    table.url
                ));
            }
            let bucket = url.host_str().filter(|host| !host.is_empty());
            let bucket = bucket.ok_or_else(|| format!("`{}` names no bucket: write s3://bucket/prefix", table.url))?;
            Place::S3(S3 {
                bucket: bucket.to_owned(),
                prefix: url.path().trim_matches('/').to_owned(),
                endpoint: table.endpoint,
                region: table.region,
                access_key_id: table.access_key_id,
                secret_access_key: table.secret_access_key,
            })
        }
        "sftp" => {
            refuse_others(&table, "an sftp:// folder", &["host_key", "password", "private_key"])?;
            if !cfg!(feature = "sftp") {
                return Err(format!(
                    "`{}` is an SFTP folder, and this binary was built without aqueduct's `sftp` feature",
                    table.url
                ));
            }
            let host = url.host_str().ok_or_else(|| format!("`{}` names no host", table.url))?;
            if url.username().is_empty() {
                return Err(format!("`{}` names no user: write sftp://user@{host}/path", table.url));
            }
            let Some(host_key) = table.host_key else {
                return Err(format!(
                    "the SFTP folder `{shown}` has no `host_key`: give the server's public key (a line of `ssh-keyscan {host}`) \
                     or its SHA256 fingerprint, so that no other server can pose as it"
                ));
            };
            let password = table.password.or_else(|| url.password().map(Secret::new));
            if password.is_none() && table.private_key.is_none() {
                return Err(format!("the SFTP folder `{shown}` has neither `password` nor `private_key`: give one"));
            }
            Place::Sftp(Sftp {
                host: host.to_owned(),
                port: url.port().unwrap_or(22),
                user: url.username().to_owned(),
                path: url.path().trim_end_matches('/').to_owned(),
                host_key,
                password,
                private_key: table.private_key,
            })
        }
        other => {
            return Err(format!(
                "`{}`: folders are file://, s3:// or sftp:// URLs, or paths, not {other}://",
                table.url
            ));
        }
    };
    Ok(Folder { place, shown })
}

/// Refuses the settings given that a folder of this kind does not take.
fn refuse_others(table: &Table, kind: &str, takes: &[&str]) -> Result<(), String> {
    let given = [
        ("endpoint", table.endpoint.is_some()),
        ("region", table.region.is_some()),
        ("access_key_id", table.access_key_id.is_some()),
        ("secret_access_key", table.secret_access_key.is_some()),
        ("host_key", table.host_key.is_some()),
        ("password", table.password.is_some()),
        ("private_key", table.private_key.is_some()),
    ];
    match given.iter().find(|(name, given)| *given && !takes.contains(name)) {
        Some((name, _)) => Err(format!("`{name}` is not a setting of {kind} (`{}`)", table.url)),
        None => Ok(()),
    }
}

impl schemars::JsonSchema for Folder {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Folder".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Written::json_schema(generator)
    }
}
