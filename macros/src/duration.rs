//! A duration checked at compile time, as the expression generated code builds it with.

use proc_macro2::TokenStream;
use quote::quote;
use std::time::Duration;

/// `::std::time::Duration::from_millis(…)`, to the millisecond.
pub(crate) fn duration_tokens(duration: Duration) -> TokenStream {
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    quote!(::std::time::Duration::from_millis(#millis))
}

/// `Some(duration)` or `None`.
pub(crate) fn optional_duration_tokens(duration: Option<Duration>) -> TokenStream {
    match duration.map(duration_tokens) {
        Some(duration) => quote!(::std::option::Option::Some(#duration)),
        None => quote!(::std::option::Option::None),
    }
}
