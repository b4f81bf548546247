//! Folders on SFTP servers (the `sftp` feature), through russh: the server must show the host
//! key the configuration names; files are written under a temporary name and renamed into
//! place, replacing atomically where the server offers `posix-rename@openssh.com`.

use super::backend::{Backend, Listed, Reading, Upload};
use super::folder::Sftp;
use crate::model::{Error, Result};
use async_trait::async_trait;
use russh::client::{self, Handle};
use russh::keys::ssh_key::{Fingerprint, PublicKey};
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::{RawSftpSession, SftpSession};
use russh_sftp::protocol::{Packet, StatusCode};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncWrite;

/// How long connecting and logging in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const POSIX_RENAME: &str = "posix-rename@openssh.com";

/// A folder on a connected server; its uploads share the connection.
struct SftpFolder(Arc<Connected>);

struct Connected {
    sftp: SftpSession,
    /// A second session for `posix-rename@openssh.com`, which `SftpSession` does not send;
    /// `None` where the server does not offer it.
    raw: Option<RawSftpSession>,
    /// The folder's path on the server, without a trailing `/` (empty: the login folder).
    root: String,
    /// Kept so the connection stays open while the folder is used.
    _ssh: Handle<HostKeyCheck>,
}

pub(super) async fn connect(folder: &Sftp) -> Result<Arc<dyn Backend>> {
    let connecting = connect_within(folder);
    tokio::time::timeout(CONNECT_TIMEOUT, connecting).await.map_err(|_| {
        Error::msg(format!("connecting to {}:{} took longer than {CONNECT_TIMEOUT:?}", folder.host, folder.port))
    })?
}

async fn connect_within(folder: &Sftp) -> Result<Arc<dyn Backend>> {
    let expected = HostKeyCheck::parse(&folder.host_key)?;
    let config = Arc::new(client::Config {
        nodelay: true,
        inactivity_timeout: Some(Duration::from_secs(300)),
        ..Default::default()
    });
    let mut ssh =
        client::connect(config, (folder.host.as_str(), folder.port), expected).await.map_err(|error| match error {
            russh::Error::UnknownKey => Error::permanent(Error::msg(format!(
                "the server at {}:{} showed a host key other than the folder's `host_key`; it is refused",
                folder.host, folder.port
            ))),
            error => Error::from(error),
        })?;
    let authenticated = match (&folder.private_key, &folder.password) {
        (Some(key), _) => {
            let key = russh::keys::decode_secret_key(key.expose(), None).map_err(|error| {
                Error::permanent(Error::msg(format!("the folder's `private_key` cannot be read: {error}")))
            })?;
            let hash = ssh.best_supported_rsa_hash().await?.flatten();
            ssh.authenticate_publickey(&folder.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash)).await?
        }
        (None, Some(password)) => ssh.authenticate_password(&folder.user, password.expose()).await?,
        (None, None) => unreachable!("a folder without credentials is refused when its configuration is read"),
    };
    if !authenticated.success() {
        return Err(Error::permanent(Error::msg(format!(
            "the server refused `{}`'s login with the folder's credentials",
            folder.user
        ))));
    }
    let sftp = SftpSession::new(subsystem(&ssh).await?).await?;
    let raw = RawSftpSession::new(subsystem(&ssh).await?);
    let offered = raw.init().await?.extensions.get(POSIX_RENAME).is_some_and(|version| version == "1");
    let root = folder.path.trim_end_matches('/').to_owned();
    Ok(Arc::new(SftpFolder(Arc::new(Connected { sftp, raw: offered.then_some(raw), root, _ssh: ssh }))))
}

async fn subsystem(ssh: &Handle<HostKeyCheck>) -> Result<russh::ChannelStream<client::Msg>> {
    let channel = ssh.channel_open_session().await?;
    channel.request_subsystem(true, "sftp").await?;
    Ok(channel.into_stream())
}

/// The host key the folder's configuration names: a public key or its SHA-256 fingerprint.
enum HostKeyCheck {
    Key(PublicKey),
    Fingerprint(Fingerprint),
}

impl HostKeyCheck {
    fn parse(written: &str) -> Result<HostKeyCheck> {
        let written = written.trim();
        let parsed = if written.starts_with("SHA256:") {
            written.parse().map(HostKeyCheck::Fingerprint).map_err(|error| error.to_string())
        } else {
            PublicKey::from_openssh(written).map(HostKeyCheck::Key).map_err(|error| error.to_string())
        };
        parsed.map_err(|error| {
            Error::permanent(Error::msg(format!(
                "the folder's `host_key` is neither a public key (`ssh-ed25519 AAAA…`) nor a fingerprint (`SHA256:…`): {error}"
            )))
        })
    }
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(&mut self, shown: &PublicKeyOrCertificate) -> Result<bool, russh::Error> {
        let shown = shown.public_key();
        Ok(match self {
            // The key data only: a key's comment is no part of it.
            HostKeyCheck::Key(expected) => expected.key_data() == shown.key_data(),
            HostKeyCheck::Fingerprint(expected) => shown.fingerprint(expected.algorithm()) == *expected,
        })
    }
}

impl Connected {
    fn full(&self, path: &str) -> String {
        if self.root.is_empty() { path.to_owned() } else { format!("{}/{path}", self.root) }
    }

    /// Creates the folders above `path` that are missing, the folder's own included.
    async fn make_parents(&self, path: &str) -> Result<()> {
        let full = self.full(path);
        let Some((parents, _)) = full.rsplit_once('/') else { return Ok(()) };
        let mut folder = String::new();
        for part in parents.split('/') {
            folder =
                if folder.is_empty() && !full.starts_with('/') { part.to_owned() } else { format!("{folder}/{part}") };
            if !part.is_empty() && !self.sftp.try_exists(&folder).await? {
                self.sftp.create_dir(&folder).await?;
            }
        }
        Ok(())
    }

    /// Renames, replacing `to`: at once with `posix-rename`, else by removing it first.
    async fn replace(&self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (self.full(from), self.full(to));
        if let Some(raw) = &self.raw {
            let mut data = Vec::new();
            for path in [&from, &to] {
                data.extend_from_slice(&(path.len() as u32).to_be_bytes());
                data.extend_from_slice(path.as_bytes());
            }
            return match raw.extended(POSIX_RENAME, data).await? {
                Packet::Status(status) if status.status_code == StatusCode::Ok => Ok(()),
                Packet::Status(status) => {
                    Err(Error::msg(format!("renaming `{from}` to `{to}` failed: {}", status.error_message)))
                }
                _ => Err(Error::msg(format!("renaming `{from}` to `{to}` got an unexpected answer"))),
            };
        }
        if self.sftp.try_exists(&to).await? {
            self.sftp.remove_file(&to).await?;
        }
        Ok(self.sftp.rename(from, to).await?)
    }

    async fn list_into(&self, folder: &str, listed: &mut Vec<Listed>) -> Result<()> {
        let entries = match self.sftp.read_dir(self.full(folder.trim_end_matches('/'))).await {
            Ok(entries) => entries,
            Err(russh_sftp::client::error::Error::Status(status)) if status.status_code == StatusCode::NoSuchFile => {
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        for entry in entries {
            let path = format!("{folder}{}", entry.file_name());
            let metadata = entry.metadata();
            if metadata.is_dir() {
                Box::pin(self.list_into(&format!("{path}/"), listed)).await?;
            } else if metadata.is_regular() {
                let modified = jiff::Timestamp::from_second(metadata.mtime.unwrap_or(0).into())?;
                listed.push(Listed { path, size: metadata.len(), modified });
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Backend for SftpFolder {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>> {
        let mut listed = Vec::new();
        self.0.list_into(prefix, &mut listed).await?;
        // A file being uploaded by this module is not one to take.
        listed.retain(|file| !file.path.rsplit('/').next().is_some_and(|name| name.starts_with(".aqueduct-")));
        Ok(listed)
    }

    async fn read(&self, path: &str) -> Result<Reading> {
        Ok(Box::new(self.0.sftp.open(self.0.full(path)).await?))
    }

    async fn upload(&self, path: &str) -> Result<Box<dyn Upload>> {
        self.0.make_parents(path).await?;
        // Beside the file, so the rename stays on one file system; hidden, and named so that a
        // listing skips it.
        let (folder, name) =
            path.rsplit_once('/').map_or((String::new(), path), |(folder, name)| (format!("{folder}/"), name));
        let temporary = format!("{folder}.aqueduct-{name}.{:016x}", unique());
        let file = self.0.sftp.create(self.0.full(&temporary)).await?;
        Ok(Box::new(SftpUpload { file, folder: self.0.clone(), temporary, path: path.to_owned() }))
    }

    async fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.0.make_parents(to).await?;
        self.0.replace(from, to).await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        Ok(self.0.sftp.remove_file(self.0.full(path)).await?)
    }
}

/// A file written under a temporary name, renamed to its path when committed.
struct SftpUpload {
    file: russh_sftp::client::fs::File,
    folder: Arc<Connected>,
    temporary: String,
    path: String,
}

impl AsyncWrite for SftpUpload {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.file).poll_write(cx, bytes)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.file).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.file).poll_shutdown(cx)
    }
}

#[async_trait]
impl Upload for SftpUpload {
    async fn commit(mut self: Box<Self>) -> Result<()> {
        // Closing reports a write the server refused; dropping the file would not.
        tokio::io::AsyncWriteExt::shutdown(&mut self.file).await?;
        self.folder.replace(&self.temporary, &self.path).await
    }

    async fn abort(mut self: Box<Self>) {
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut self.file).await;
        let _ = self.folder.sftp.remove_file(self.folder.full(&self.temporary)).await;
    }
}

/// A number no other upload of this process picks at the same time.
fn unique() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
