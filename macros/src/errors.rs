//! Collects every error a macro finds so that one expansion reports them all together,
//! each at its own span (the model is serde_derive's `Ctxt`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// The errors found so far while reading one macro input.
#[derive(Default)]
pub(crate) struct Errors {
    found: Vec<syn::Error>,
}

impl Errors {
    /// Records an error pointing at `at`.
    pub(crate) fn at(&mut self, at: impl ToTokens, message: impl Display) {
        self.found.push(syn::Error::new_spanned(at, message));
    }

    /// Records an error that syn already built (a parse failure).
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.found.push(error);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// All errors combined into one, or `None` when there were none.
    pub(crate) fn into_error(self) -> Option<syn::Error> {
        self.found.into_iter().reduce(|mut all, next| {
            all.combine(next);
            all
        })
    }

    /// All errors as `compile_error!` invocations, ready to be emitted beside the user's item.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.found.iter().map(syn::Error::to_compile_error).collect()
    }
}

/// Tokens as a user would write them: `Ctx<Settings>`, not quote's `Ctx < Settings >`.
pub(crate) fn written(tokens: &impl ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (spaced, tight) in
        [(" :: ", "::"), (" <", "<"), ("< ", "<"), (" >", ">"), (" ,", ","), ("& ", "&"), ("( ", "("), (" )", ")")]
    {
        text = text.replace(spaced, tight);
    }
    text
}
