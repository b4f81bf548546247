//! Instances' configurations at rest: sealed with XChaCha20-Poly1305 under a key kept in a
//! file beside the store (or where `AQUEDUCT_KEY_FILE` says), so that whoever reads the store
//! file reads no customer's secrets; connections' OAuth2 tokens are sealed the same way. What
//! a sealed text belongs to (the instance's name) is bound in as associated data: a sealed
//! configuration copied to another instance does not open.
//!
//! The key file holds one key per line, base64: the first seals, every one opens (a rotation
//! writes the new key first and the old one after it until every configuration is sealed
//! again). A sealed configuration names its key by an id (the first 8 hex digits of the key's
//! SHA-256), so a wrong key is told apart from a damaged configuration and named.

use crate::model::{Error, Result};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 24;

/// One key of the key file.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    /// Keys the tags of [`Sealer::tag`]: derived, so a tag tells nothing of the sealing key.
    tagging: [u8; 32],
}

impl Key {
    fn new(bytes: &[u8]) -> Result<Key> {
        let cipher = XChaCha20Poly1305::new_from_slice(bytes)
            .map_err(|_| Error::msg("a key in the key file is not 32 bytes of base64"))?;
        let tagging = Sha256::new().chain_update(b"aqueduct tags\0").chain_update(bytes).finalize().into();
        Ok(Key { id: hex::encode(&Sha256::digest(bytes)[..4]), cipher, tagging })
    }

    fn generate() -> (Key, String) {
        let bytes = XChaCha20Poly1305::generate_key(&mut OsRng);
        let key = Key::new(&bytes).expect("a generated key is 32 bytes");
        (key, base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

/// Seals and opens configurations with the keys of one key file, read when first needed and
/// again when a configuration names a key it does not know (another process rotated).
pub(crate) struct Sealer {
    path: PathBuf,
    keys: Mutex<Vec<Key>>,
}

impl Sealer {
    /// The key file for a store: `AQUEDUCT_KEY_FILE`, else `PATH.key` beside `sqlite:PATH`, and
    /// `aqueduct.key` in the working directory for a store that is not a file (PostgreSQL,
    /// whose servers must all be given the same key file).
    pub(crate) fn for_store(store_url: &str) -> Sealer {
        let path = match (std::env::var_os("AQUEDUCT_KEY_FILE"), store_url.split_once(':')) {
            (Some(path), _) => PathBuf::from(path),
            (None, Some(("sqlite", path))) => PathBuf::from(format!("{}.key", path.trim_start_matches("//"))),
            (None, _) => PathBuf::from("aqueduct.key"),
        };
        Sealer::at(path)
    }

    pub(crate) fn at(path: PathBuf) -> Sealer {
        Sealer { path, keys: Mutex::new(Vec::new()) }
    }

    /// `config` sealed for `instance` with the first key, made (and its file written) if
    /// there is none yet.
    pub(crate) fn seal(&self, instance: &str, config: &str) -> Result<String> {
        self.seal_bound(instance, config)
    }

    /// The configuration `stored` for `instance` holds: opened if sealed, as it is if it was
    /// stored before configurations were sealed.
    pub(crate) fn open(&self, instance: &str, stored: &str) -> Result<String> {
        self.open_bound(instance, &format!("the instance `{instance}`'s configuration"), stored)
    }

    /// `text` sealed with the first key, bound to `context`: it opens only for the same.
    pub(crate) fn seal_bound(&self, context: &str, text: &str) -> Result<String> {
        let key = match self.keys()?.into_iter().next() {
            Some(key) => key,
            None => self.create_key_file()?,
        };
        Ok(seal_with(&key, context, text))
    }

    /// What `stored`, sealed for `context`, holds (`what` names it in errors); text that is not
    /// sealed is returned as it is.
    pub(crate) fn open_bound(&self, context: &str, what: &str, stored: &str) -> Result<String> {
        let Some(sealed) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_owned()) };
        let damaged = || Error::msg(format!("{what} is damaged in the store"));
        let (key_id, sealed) = sealed.split_once(':').ok_or_else(damaged)?;
        let key = match self.key(key_id, false)? {
            Some(key) => key,
            None => self.key(key_id, true)?.ok_or_else(|| {
                Error::msg(format!(
                    "{what} is encrypted with the key {key_id}, which the key file {} does not hold; give the key \
                     file it was stored with (AQUEDUCT_KEY_FILE)",
                    self.path.display()
                ))
            })?,
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()
            .filter(|bytes| bytes.len() > NONCE_LEN)
            .ok_or_else(damaged)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| {
                Error::msg(format!("{what} does not open with key {key_id}: it was altered, or copied from elsewhere"))
            })?;
        String::from_utf8(plain).map_err(|_| Error::msg(format!("{what} is not text")))
    }

    /// An unguessable tag of `text` (a run's status URL token): HMAC-SHA256 under the first
    /// key, base64url.
    pub(crate) fn tag(&self, text: &str) -> Result<String> {
        let key = match self.keys()?.into_iter().next() {
            Some(key) => key,
            None => self.create_key_file()?,
        };
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(hmac::Mac::finalize(tag_mac(&key, text)).into_bytes()))
    }

    /// Whether `tag` is a tag of `text` under any key of the file (one made before a rotation too).
    pub(crate) fn is_tag(&self, text: &str, tag: &str) -> bool {
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tag) else { return false };
        self.keys().unwrap_or_default().iter().any(|key| hmac::Mac::verify_slice(tag_mac(key, text), &tag).is_ok())
    }

    /// Starts a rotation: a new key first in the key file, the old ones kept after it so that
    /// every configuration still opens. Returns the new key's id.
    pub(crate) fn begin_rotation(&self) -> Result<String> {
        let mut lines = self.read_lines()?;
        let (key, encoded) = Key::generate();
        lines.insert(0, encoded);
        self.write_lines(&lines)?;
        *self.keys.lock().expect("sealer lock") = Vec::new();
        Ok(key.id)
    }

    /// Ends a rotation once every configuration is sealed with the first key: the others go.
    pub(crate) fn finish_rotation(&self) -> Result<()> {
        let lines = self.read_lines()?;
        self.write_lines(&lines[..1.min(lines.len())])?;
        *self.keys.lock().expect("sealer lock") = Vec::new();
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `stored` is sealed with the key `id`.
    pub(crate) fn sealed_with(&self, stored: &str, id: &str) -> bool {
        stored.strip_prefix(PREFIX).and_then(|sealed| sealed.split_once(':')).is_some_and(|(key, _)| key == id)
    }

    /// The key `id`, from the keys read so far, or (`reread`) from the file as it is now.
    fn key(&self, id: &str, reread: bool) -> Result<Option<Key>> {
        if reread {
            *self.keys.lock().expect("sealer lock") = Vec::new();
        }
        Ok(self.keys()?.into_iter().find(|key| key.id == id))
    }

    /// The keys, read from the file the first time; none when there is no file yet.
    fn keys(&self) -> Result<Vec<Key>> {
        let mut keys = self.keys.lock().expect("sealer lock");
        if keys.is_empty() {
            *keys = self
                .read_lines()?
                .iter()
                .map(|line| {
                    let bytes = base64::engine::general_purpose::STANDARD.decode(line).map_err(|_| {
                        Error::msg(format!("the key file {} holds a line that is not base64", self.path.display()))
                    })?;
                    Key::new(&bytes)
                })
                .collect::<Result<_>>()?;
        }
        Ok(keys.clone())
    }

    fn read_lines(&self) -> Result<Vec<String>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(text.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(Error::msg(format!("cannot read the key file {}: {error}", self.path.display()))),
        }
    }

    /// A new key file at `path`, for a store made to be thrown away (a test's): no warning.
    pub(crate) fn generate_at(path: PathBuf) -> Result<()> {
        Sealer::at(path).write_new_key().map(drop)
    }

    /// The first key, in a new key file; another process's, if it made one first.
    fn create_key_file(&self) -> Result<Key> {
        let Some(key) = self.write_new_key()? else {
            return self.keys()?.into_iter().next().ok_or_else(|| Error::msg("the key file is empty"));
        };
        tracing::warn!(
            key_file = %self.path.display(),
            "generated the key that encrypts instances' configurations; back it up: without it they cannot be read"
        );
        *self.keys.lock().expect("sealer lock") = vec![key.clone()];
        Ok(key)
    }

    /// Writes a key file with a new key; `None` if there is one already.
    fn write_new_key(&self) -> Result<Option<Key>> {
        let (key, encoded) = Key::generate();
        let created = std::fs::OpenOptions::new().write(true).create_new(true).mode_owner_only().open(&self.path);
        match created {
            Ok(mut file) => {
                file.write_all(format!("{encoded}\n").as_bytes()).and_then(|()| file.sync_all()).map_err(|error| {
                    Error::msg(format!("cannot write the key file {}: {error}", self.path.display()))
                })?;
                Ok(Some(key))
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(error) => Err(Error::msg(format!("cannot create the key file {}: {error}", self.path.display()))),
        }
    }

    /// Replaces the key file whole: written beside it, then renamed over it.
    fn write_lines(&self, lines: &[String]) -> Result<()> {
        let mut next = self.path.as_os_str().to_owned();
        next.push(".next");
        let next = PathBuf::from(next);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode_owner_only()
            .open(&next)
            .and_then(|mut file| {
                file.write_all(lines.iter().map(|line| format!("{line}\n")).collect::<String>().as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&next, &self.path));
        written.map_err(|error| Error::msg(format!("cannot write the key file {}: {error}", self.path.display())))
    }
}

fn tag_mac(key: &Key, text: &str) -> hmac::Hmac<Sha256> {
    let mut mac =
        <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key.tagging).expect("HMAC takes keys of any length");
    hmac::Mac::update(&mut mac, text.as_bytes());
    mac
}

fn seal_with(key: &Key, context: &str, text: &str) -> String {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = key
        .cipher
        .encrypt(&nonce, Payload { msg: text.as_bytes(), aad: context.as_bytes() })
        .expect("encrypting in memory does not fail");
    let mut bytes = nonce.to_vec();
    bytes.extend(ciphertext);
    format!("{PREFIX}{}:{}", key.id, base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Key files are readable by their owner alone.
trait OwnerOnly {
    fn mode_owner_only(&mut self) -> &mut Self;
}

impl OwnerOnly for std::fs::OpenOptions {
    fn mode_owner_only(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> (tempfile::TempDir, Sealer) {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::at(dir.path().join("store.db.key"));
        (dir, sealer)
    }

    #[test]
    fn a_sealed_configuration_opens_for_its_instance_only_and_shows_nothing() {
        let (_dir, sealer) = sealer();
        let sealed = sealer.seal("acme", r#"{"token":"s3cr3t"}"#).unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("s3cr3t"));
        assert_eq!(sealer.open("acme", &sealed).unwrap(), r#"{"token":"s3cr3t"}"#);
        let error = sealer.open("globex", &sealed).unwrap_err().to_string();
        assert!(error.contains("copied from elsewhere"), "{error}");
        assert_eq!(sealer.open("acme", r#"{"plain":1}"#).unwrap(), r#"{"plain":1}"#, "stored before sealing");
    }

    #[test]
    fn another_key_file_is_named_and_refused() {
        let (_dir, sealer) = sealer();
        let sealed = sealer.seal("acme", "{}").unwrap();
        let (_other_dir, other) = self::sealer();
        other.seal("acme", "{}").unwrap();
        let error = other.open("acme", &sealed).unwrap_err().to_string();
        assert!(error.contains("which the key file") && error.contains("does not hold"), "{error}");
    }

    #[test]
    fn a_tag_checks_for_its_text_only_and_survives_a_rotation() {
        let (_dir, sealer) = sealer();
        let tag = sealer.tag("run:7").unwrap();
        assert!(sealer.is_tag("run:7", &tag));
        assert!(!sealer.is_tag("run:8", &tag));
        assert!(!sealer.is_tag("run:7", "not-a-tag"));
        sealer.begin_rotation().unwrap();
        assert!(sealer.is_tag("run:7", &tag), "a tag made before a rotation still checks");
        assert_ne!(sealer.tag("run:7").unwrap(), tag);
    }

    #[test]
    fn a_rotation_keeps_old_configurations_open_until_it_finishes() {
        let (_dir, sealer) = sealer();
        let old = sealer.seal("acme", "{}").unwrap();
        sealer.begin_rotation().unwrap();
        let new = sealer.seal("acme", "{}").unwrap();
        assert_ne!(old.split(':').nth(2), new.split(':').nth(2), "sealed with the new key");
        assert_eq!(sealer.open("acme", &old).unwrap(), "{}");
        sealer.finish_rotation().unwrap();
        assert!(sealer.open("acme", &old).is_err());
        assert_eq!(sealer.open("acme", &new).unwrap(), "{}");
    }
}
