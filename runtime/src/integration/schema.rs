//! The configuration type's JSON Schema, for `instances schema`, when the type derives
//! `JsonSchema`. `integration!` picks, at the config type, [`ConfigSchema`] when it does and
//! [`NoConfigSchema`] otherwise (method resolution prefers the impl that needs no extra `&`), so
//! a configuration without a schema still builds; the command then says what to add.

use std::marker::PhantomData;

/// Gives the configuration type's schema, if it has one.
#[doc(hidden)]
pub type SchemaFn = fn() -> Option<serde_json::Value>;

/// The configuration type `C`, asked for its schema.
#[doc(hidden)]
pub struct SchemaOf<C>(PhantomData<C>);

impl<C> SchemaOf<C> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        SchemaOf(PhantomData)
    }
}

#[doc(hidden)]
pub trait ConfigSchema {
    fn schema(&self) -> Option<serde_json::Value>;
}

impl<C: schemars::JsonSchema> ConfigSchema for SchemaOf<C> {
    fn schema(&self) -> Option<serde_json::Value> {
        Some(schemars::schema_for!(C).to_value())
    }
}

#[doc(hidden)]
pub trait NoConfigSchema {
    fn schema(&self) -> Option<serde_json::Value>;
}

impl<C> NoConfigSchema for &SchemaOf<C> {
    fn schema(&self) -> Option<serde_json::Value> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Described {
        token: crate::Secret,
    }

    #[allow(dead_code)]
    struct Plain {}

    // Borrowed as the generated code borrows, so that the fallback is reached the same way.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn a_type_with_a_schema_gives_it_and_one_without_gives_none() {
        let schema = (&SchemaOf::<Described>::new()).schema().unwrap();
        assert_eq!(schema["properties"]["token"]["x-secret"], true, "{schema}");
        assert_eq!((&SchemaOf::<Plain>::new()).schema(), None);
    }
}
