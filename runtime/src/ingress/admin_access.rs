//! Who a request says it is to the admin API and to run status URLs: an admin token as
//! `Authorization: Bearer …`, or the dashboard's cookie, which signing in sets.

use crate::instances::AdminTokens;
use crate::model::Result;
use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

/// The dashboard's cookie: HttpOnly, so no script reads the token.
pub(crate) const ADMIN_COOKIE: &str = "aqueduct_admin";

/// An admin token a request presents.
pub(crate) struct Presented<'a> {
    pub token: &'a str,
    /// A browser sends a cookie with any request to the server, also one another site makes
    /// it send; a bearer token it sends only when a script of ours adds it.
    pub by_cookie: bool,
}

/// The admin token in the request's headers, if it has one.
pub(crate) fn presented(headers: &HeaderMap) -> Option<Presented<'_>> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| Presented { token: token.trim(), by_cookie: false });
    bearer.or_else(|| {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(ADMIN_COOKIE)?.strip_prefix('='))
            .map(|token| Presented { token, by_cookie: true })
    })
}

/// The name of the admin token the request presents, when it presents a valid one.
pub(crate) async fn admin(tokens: &AdminTokens, headers: &HeaderMap) -> Result<Option<String>> {
    match presented(headers) {
        Some(presented) => tokens.holder(presented.token).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    #[test]
    fn a_bearer_token_or_the_cookie_is_presented_and_nothing_else() {
        let bearer = headers(&[("authorization", "Bearer aqa_x")]);
        let found = presented(&bearer).unwrap();
        assert_eq!((found.token, found.by_cookie), ("aqa_x", false));
        let cookie = headers(&[("cookie", "theme=dark; aqueduct_admin=aqa_y; other=1")]);
        let found = presented(&cookie).unwrap();
        assert_eq!((found.token, found.by_cookie), ("aqa_y", true));
        assert!(presented(&headers(&[("authorization", "Basic abc")])).is_none());
        assert!(presented(&headers(&[("cookie", "aqueduct_admin_other=1")])).is_none());
    }
}
