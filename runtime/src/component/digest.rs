//! The digest of an action's arguments, recorded with its step: SHA-256 over those arguments
//! that serialize. Generated code picks, per argument, [`DigestSerialized`] when its type is
//! `Serialize` and [`DigestNothing`] otherwise (method resolution prefers the impl that needs
//! no extra `&`), so an argument such as a `Secret` or an `impl Into<String>` is left out
//! rather than refused.

use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// The digest being built.
#[doc(hidden)]
#[derive(Default)]
pub struct Digest {
    hasher: Option<Sha256>,
}

impl Digest {
    fn add(&mut self, json: &[u8]) {
        let hasher = self.hasher.get_or_insert_with(Sha256::new);
        // Each argument's length first, so `("ab", "c")` and `("a", "bc")` differ.
        hasher.update((json.len() as u64).to_le_bytes());
        hasher.update(json);
    }

    /// Hex, or `None` when no argument serialized.
    pub fn finish(self) -> Option<String> {
        self.hasher.map(|hasher| hex::encode(hasher.finalize()))
    }
}

/// One argument of an action call.
#[doc(hidden)]
pub struct Argument<'a, T: ?Sized>(pub &'a T);

#[doc(hidden)]
pub trait DigestSerialized {
    fn add_to(&self, digest: &mut Digest);
}

impl<T: Serialize + ?Sized> DigestSerialized for Argument<'_, T> {
    fn add_to(&self, digest: &mut Digest) {
        if let Ok(json) = serde_json::to_vec(self.0) {
            digest.add(&json);
        }
    }
}

#[doc(hidden)]
pub trait DigestNothing {
    fn add_to(&self, digest: &mut Digest);
}

impl<T: ?Sized> DigestNothing for &Argument<'_, T> {
    fn add_to(&self, _: &mut Digest) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Opaque;

    fn digest_of(add: impl FnOnce(&mut Digest)) -> Option<String> {
        let mut digest = Digest::default();
        add(&mut digest);
        digest.finish()
    }

    // Written as generated code writes it: the `&` is what lets a type that does not
    // serialize fall through to `DigestNothing`.
    #[test]
    #[allow(clippy::needless_borrow)]
    fn serializable_arguments_are_digested_and_the_rest_left_out() {
        let both = digest_of(|digest| {
            (&Argument(&"ab")).add_to(digest);
            (&Argument(&Opaque)).add_to(digest);
            (&Argument(&"c")).add_to(digest);
        });
        let split_differently = digest_of(|digest| {
            (&Argument(&"a")).add_to(digest);
            (&Argument(&"bc")).add_to(digest);
        });
        let same = digest_of(|digest| {
            (&Argument(&"ab")).add_to(digest);
            (&Argument(&"c")).add_to(digest);
        });
        assert_eq!(both, same);
        assert_ne!(both, split_differently);
        assert_eq!(digest_of(|digest| (&Argument(&Opaque)).add_to(digest)), None);
    }
}
