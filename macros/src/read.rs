//! Reading an option's value as the one form of literal it takes (`key = "…"`, `key = 3`,
//! `key = true`, `key = Type`, `key = field`), with one message per form when it is another.

use crate::errors::Errors;
use syn::{Expr, ExprLit, ExprPath, Ident, Lit, LitBool, LitInt, LitStr, Path, Type};

/// The option `key = value` being read.
pub(crate) struct OptionValue<'a> {
    pub key: &'a str,
    pub value: &'a Expr,
}

impl OptionValue<'_> {
    /// `key = "…"`; `example` is what a right value looks like.
    pub(crate) fn string(&self, example: &str, errors: &mut Errors) -> Option<LitStr> {
        self.string_or(&format!("`{0}` takes a string literal, e.g. `{0} = \"{example}\"`", self.key), errors)
    }

    /// `key = "…"`, where anything else gets `usage`, which says what the strings mean.
    pub(crate) fn string_or(&self, usage: &str, errors: &mut Errors) -> Option<LitStr> {
        match self.value {
            Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Some(text.clone()),
            _ => self.refuse(usage.to_owned(), errors),
        }
    }

    /// `key = 3`, where anything else gets `usage`, which says what the number means.
    pub(crate) fn integer_or(&self, usage: &str, errors: &mut Errors) -> Option<LitInt> {
        match self.value {
            Expr::Lit(ExprLit { lit: Lit::Int(number), .. }) => Some(number.clone()),
            _ => self.refuse(usage.to_owned(), errors),
        }
    }

    /// `key = 3`, a whole number; its range is checked with what it means.
    pub(crate) fn integer(&self, example: u64, errors: &mut Errors) -> Option<LitInt> {
        self.integer_or(&format!("`{0}` takes a whole number, e.g. `{0} = {example}`", self.key), errors)
    }

    /// `key = true` or `key = false`.
    pub(crate) fn boolean(&self, errors: &mut Errors) -> Option<LitBool> {
        match self.value {
            Expr::Lit(ExprLit { lit: Lit::Bool(flag), .. }) => Some(flag.clone()),
            _ => self.refuse(format!("`{}` takes `true` or `false`", self.key), errors),
        }
    }

    /// `key = Settings`, a type.
    pub(crate) fn type_path(&self, errors: &mut Errors) -> Option<Type> {
        match self.value {
            Expr::Path(ExprPath { path, .. }) => Some(Type::Path(syn::TypePath { qself: None, path: path.clone() })),
            _ => self.refuse(format!("`{0}` takes a type, e.g. `{0} = Settings`", self.key), errors),
        }
    }

    /// `key = GitHub`, the path of a flow.
    pub(crate) fn flow_path(&self, errors: &mut Errors) -> Option<Path> {
        match self.value {
            Expr::Path(ExprPath { path, .. }) => Some(path.clone()),
            _ => self.refuse(format!("`{0}` names a flow, e.g. `{0} = GitHub`", self.key), errors),
        }
    }

    /// `key = word`, one of a few words; anything else gets `usage`, which says what they mean.
    pub(crate) fn word_or(&self, usage: &str, errors: &mut Errors) -> Option<Ident> {
        match self.value {
            Expr::Path(ExprPath { path, .. }) if path.get_ident().is_some() => path.get_ident().cloned(),
            Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => self
                .refuse(format!("{usage}; write the word without quotes: `{} = {}`", self.key, text.value()), errors),
            _ => self.refuse(usage.to_owned(), errors),
        }
    }

    /// `key = broker_url`, a field of the configuration.
    pub(crate) fn field(&self, example: &str, errors: &mut Errors) -> Option<Ident> {
        match self.value {
            Expr::Path(ExprPath { path, .. }) if path.get_ident().is_some() => path.get_ident().cloned(),
            _ => self
                .refuse(format!("`{0}` names a field of the configuration, e.g. `{0} = {example}`", self.key), errors),
        }
    }

    fn refuse<T>(&self, message: String, errors: &mut Errors) -> Option<T> {
        errors.at(self.value, message);
        None
    }
}
