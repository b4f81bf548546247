//! Change detection for APIs that can only list everything: the flow hands over the full
//! current set of records, and gets back only what was created, updated or deleted since the
//! last successful run ([`Ctx::changes`](super::Ctx::changes)).

use super::error::Result;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A record a third party lists, told apart from the others by its id.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Serialize)]
/// struct Product { sku: String, price_cents: u64 }
///
/// impl Record for Product {
///     fn id(&self) -> String {
///         self.sku.clone()
///     }
/// }
/// # let _ = Product { sku: "A-1".into(), price_cents: 100 }.id();
/// ```
pub trait Record: Serialize {
    /// The record's id in the third party: the same record has the same id in every listing.
    fn id(&self) -> String;
}

/// What changed since the last successful run: each record created or updated (in the order
/// listed), and the ids of those deleted (no longer listed).
///
/// ```
/// # use aqueduct::prelude::*;
/// # #[derive(Serialize)] struct Product { sku: String }
/// fn summary(changes: &Changes<Product>) -> String {
///     format!("{} new, {} changed, {} gone", changes.created.len(), changes.updated.len(), changes.deleted.len())
/// }
/// # assert_eq!(summary(&Changes { created: vec![], updated: vec![], deleted: vec!["A-1".into()] }), "0 new, 0 changed, 1 gone");
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Changes<R> {
    pub created: Vec<R>,
    pub updated: Vec<R>,
    pub deleted: Vec<String>,
}

impl<R> Changes<R> {
    /// Whether nothing changed.
    ///
    /// ```
    /// let none: aqueduct::Changes<()> = aqueduct::Changes { created: vec![], updated: vec![], deleted: vec![] };
    /// assert!(none.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }
}

/// Each record seen, by id: a digest of its JSON.
pub(crate) type Seen = BTreeMap<String, String>;

/// A digest of a record's JSON: the same for the same content.
pub(crate) fn digest(record: &impl Serialize) -> Result<String> {
    Ok(hex::encode(&Sha256::digest(serde_json::to_vec(record)?)[..16]))
}

/// The changes from `seen` to `current`, and what is seen now.
pub(crate) fn detect<R: Record>(seen: &Seen, current: impl IntoIterator<Item = R>) -> Result<(Changes<R>, Seen)> {
    let mut now = Seen::new();
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for record in current {
        let id = record.id();
        let digest = digest(&record)?;
        match seen.get(&id) {
            None if !now.contains_key(&id) => created.push(record),
            Some(before) if *before != digest && !now.contains_key(&id) => updated.push(record),
            _ => {}
        }
        now.insert(id, digest);
    }
    let deleted = seen.keys().filter(|id| !now.contains_key(*id)).cloned().collect();
    Ok((Changes { created, updated, deleted }, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Debug, PartialEq)]
    struct Item(&'static str, u32);

    impl Record for Item {
        fn id(&self) -> String {
            self.0.to_owned()
        }
    }

    #[test]
    fn created_updated_and_deleted_are_told_apart_across_listings() {
        let (first, seen) = detect(&Seen::new(), [Item("a", 1), Item("b", 1)]).unwrap();
        assert_eq!(first.created, [Item("a", 1), Item("b", 1)]);
        let (second, seen) = detect(&seen, [Item("a", 2), Item("b", 1), Item("c", 1)]).unwrap();
        assert_eq!((second.created, second.updated, second.deleted), (vec![Item("c", 1)], vec![Item("a", 2)], vec![]));
        let (third, seen) = detect(&seen, [Item("c", 1)]).unwrap();
        assert_eq!((third.created.len(), third.updated.len(), third.deleted), (0, 0, vec!["a".into(), "b".into()]));
        let (fourth, _) = detect(&seen, [Item("c", 1)]).unwrap();
        assert!(fourth.is_empty(), "nothing is handed on twice");
    }
}
