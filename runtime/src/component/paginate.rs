//! Paginated APIs: pages fetched one after another, their items as one stream.

use crate::model::{Error, Result};
use futures::{Stream, TryStreamExt};
use std::future::Future;

/// Past this many pages a listing is taken to loop (a `next` that never ends).
const MAX_PAGES: usize = 100_000;

/// One page of a listing: its items, and where the next page is (`None` on the last).
#[derive(Debug, PartialEq, Eq)]
pub struct Page<T, P> {
    pub items: Vec<T>,
    pub next: Option<P>,
}

impl<T> Page<T, u32> {
    /// A page of a page-numbered API, number `page`: the next is `page + 1`, unless this one
    /// is empty or shorter than `size`.
    ///
    /// ```
    /// use aqueduct::Page;
    ///
    /// assert_eq!(Page::numbered(vec!["a", "b"], 1, 2).next, Some(2));
    /// assert_eq!(Page::numbered(vec!["c"], 2, 2).next, None);
    /// ```
    pub fn numbered(items: Vec<T>, page: u32, size: usize) -> Page<T, u32> {
        let next = (items.len() >= size.max(1)).then_some(page + 1);
        Page { items, next }
    }
}

/// The items of every page of a listing, in order: `fetch` is called with `first`, then with
/// each page's `next`, until a page has none. Page numbers, next-page tokens and cursors are
/// all a `P`. When `fetch` calls an `#[action]`, each page is a durable step: a retried run
/// gets the pages it fetched back without asking again.
///
/// ```
/// use aqueduct::{Page, Result, paginate};
/// use futures::TryStreamExt;
///
/// // A next-page-token API: three items, two a page.
/// async fn list(token: Option<String>) -> Result<Page<u32, Option<String>>> {
///     Ok(match token.as_deref() {
///         None => Page { items: vec![1, 2], next: Some(Some("t2".into())) },
///         _ => Page { items: vec![3], next: None },
///     })
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<()> {
/// let all: Vec<u32> = paginate(None, list).try_collect().await?;
/// assert_eq!(all, [1, 2, 3]);
/// # Ok(()) }
/// ```
pub fn paginate<T, P, F, Fut>(first: P, mut fetch: F) -> impl Stream<Item = Result<T>>
where
    F: FnMut(P) -> Fut,
    Fut: Future<Output = Result<Page<T, P>>>,
{
    let pages = futures::stream::try_unfold((Some(first), 0), move |(at, fetched)| {
        let page = at.map(&mut fetch);
        async move {
            let Some(page) = page else { return Ok(None) };
            if fetched == MAX_PAGES {
                return Err(Error::msg(format!(
                    "the listing went on past {MAX_PAGES} pages: does its last page say so?"
                )));
            }
            let Page { items, next } = page.await?;
            Ok(Some((futures::stream::iter(items.into_iter().map(Ok)), (next, fetched + 1))))
        }
    });
    pages.try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_are_fetched_in_order_until_the_last_and_an_error_ends_the_listing() {
        let asked = std::cell::RefCell::new(Vec::new());
        let all: Vec<u32> = paginate(1, |page| {
            asked.borrow_mut().push(page);
            let items: Vec<u32> = (0..if page < 3 { 2 } else { 1 }).map(|item| page * 10 + item).collect();
            async move { Ok(Page::numbered(items, page, 2)) }
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(all, [10, 11, 20, 21, 30]);
        assert_eq!(*asked.borrow(), [1, 2, 3]);

        let failing = paginate(1, |page| async move {
            if page == 2 { Err(Error::msg("page 2 failed")) } else { Ok(Page::numbered(vec![page], page, 1)) }
        });
        let error = failing.try_collect::<Vec<u32>>().await.unwrap_err();
        assert!(error.to_string().contains("page 2 failed"));
    }
}
