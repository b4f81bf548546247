//! The call-like forms option values take: a bare `name` (`handshake = slack`), `name("…")`
//! (`route = header("X-GitHub-Event")`) and `name(key = value, …)` (`verify =
//! hmac_sha256(header = "…", secret = field)`), read in one place.

use crate::errors::Errors;
use crate::read::OptionValue;
use crate::suggest::did_you_mean;
use syn::{Expr, ExprAssign, ExprCall, ExprLit, Ident, Lit, LitStr};

/// A value of the form `name` or `name(…)`.
pub(crate) struct Call<'a> {
    pub name: Ident,
    /// Whether it has parentheses; `name` alone has none.
    pub parens: bool,
    args: Vec<&'a Expr>,
}

impl<'a> Call<'a> {
    /// The call `value` is, or `None` when it is neither `name` nor `name(…)`.
    pub(crate) fn of(value: &'a Expr) -> Option<Call<'a>> {
        match value {
            Expr::Path(path) => Some(Call { name: path.path.get_ident()?.clone(), parens: false, args: Vec::new() }),
            Expr::Call(ExprCall { func, args, .. }) => match &**func {
                Expr::Path(path) => {
                    Some(Call { name: path.path.get_ident()?.clone(), parens: true, args: args.iter().collect() })
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The one string literal of `name("…")`.
    pub(crate) fn string_argument(&self) -> Option<LitStr> {
        match self.args.as_slice() {
            [Expr::Lit(ExprLit { lit: Lit::Str(text), .. })] => Some(text.clone()),
            _ => None,
        }
    }

    /// The `key = value` arguments, each key one of `allowed`; any other argument is reported.
    pub(crate) fn named_arguments(&self, allowed: &'static [&'static str], errors: &mut Errors) -> Arguments<'a> {
        let name = &self.name;
        let mut found = Vec::new();
        let mut refused = false;
        for argument in &self.args {
            let Expr::Assign(ExprAssign { left, right, .. }) = argument else {
                refused = true;
                errors.at(
                    argument,
                    format!("write the arguments of `{name}` as `key = value`, e.g. `{} = …`", allowed[0]),
                );
                continue;
            };
            let key = match &**left {
                Expr::Path(path) => path.path.get_ident().cloned(),
                _ => None,
            };
            if !key.as_ref().is_some_and(|key| allowed.contains(&key.to_string().as_str())) {
                refused = true;
            }
            match key {
                Some(key) if allowed.contains(&key.to_string().as_str()) => found.push((key, &**right)),
                Some(key) => errors.at(
                    &key,
                    format!(
                        "`{name}` has no argument `{key}`; it takes: {}.{}",
                        allowed.join(", "),
                        did_you_mean(&key.to_string(), allowed.iter().copied())
                    ),
                ),
                None => errors.at(left, format!("`{name}` takes: {}", allowed.join(", "))),
            }
        }
        Arguments { found, refused }
    }
}

/// The `key = value` arguments of a call.
pub(crate) struct Arguments<'a> {
    found: Vec<(Ident, &'a Expr)>,
    /// Whether an argument was refused (and reported): a missing one may be the one misspelled.
    refused: bool,
}

impl<'a> Arguments<'a> {
    /// The argument `key`, to be read as the literal it takes.
    pub(crate) fn get(&self, key: &'a str) -> Option<OptionValue<'a>> {
        self.found.iter().find(|(name, _)| name == key).map(|(_, value)| OptionValue { key, value })
    }

    /// The argument `key`, which must be given: when it is not, `missing` is reported at
    /// `at`, unless another argument was refused already.
    pub(crate) fn required(
        &self,
        key: &'a str,
        at: &impl quote::ToTokens,
        missing: &str,
        errors: &mut Errors,
    ) -> Option<OptionValue<'a>> {
        let found = self.get(key);
        if found.is_none() && !self.refused {
            errors.at(at, missing);
        }
        found
    }
}
