//! Reads `integration! { name: …, config: …, flows: […], demo: … }`.

use crate::errors::Errors;
use crate::suggest::did_you_mean;
use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Path, Token, Type, bracketed};

const KEYS: [&str; 7] = ["name", "config", "flows", "demo", "keep", "keep_dead", "keep_payload"];

/// The integration as written; checked by [`Integration::check`].
pub(crate) struct Integration {
    pub name: LitStr,
    pub config: Type,
    pub flows: Vec<Path>,
    /// An `async fn(Demo<Config>) -> Result<()>` run when the binary starts without a command.
    pub demo: Option<Path>,
    /// How long every flow's runs are kept, unless the flow says otherwise.
    pub keep: Option<LitStr>,
    pub keep_dead: Option<LitStr>,
    pub keep_payload: Option<LitStr>,
}

impl Parse for Integration {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let (mut name, mut config, mut flows, mut demo) = (None, None, None, None);
        let (mut keep, mut keep_dead, mut keep_payload) = (None, None, None);
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            let repeated = match key.to_string().as_str() {
                "name" => name.replace(input.parse::<LitStr>()?).is_some(),
                "config" => config.replace(input.parse::<Type>()?).is_some(),
                "flows" => {
                    let content;
                    bracketed!(content in input);
                    let list = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                    flows.replace(list.into_iter().collect::<Vec<_>>()).is_some()
                }
                "demo" => demo.replace(input.parse::<Path>()?).is_some(),
                "keep" => keep.replace(input.parse::<LitStr>()?).is_some(),
                "keep_dead" => keep_dead.replace(input.parse::<LitStr>()?).is_some(),
                "keep_payload" => keep_payload.replace(input.parse::<LitStr>()?).is_some(),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown key `{other}` in integration!; it takes: name, config, flows and, optionally, demo, keep, keep_dead and keep_payload.{}",
                            did_you_mean(other, KEYS)
                        ),
                    ));
                }
            };
            if repeated {
                errors.at(&key, format!("`{key}` is given twice; keep one"));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let missing = |what: &str, example: &str| {
            syn::Error::new(Span::call_site(), format!("integration! needs `{what}`, e.g. `{example}`"))
        };
        let integration = Integration {
            name: name.ok_or_else(|| missing("name", "name: \"inventory-sync\""))?,
            config: config.ok_or_else(|| missing("config", "config: Settings"))?,
            flows: flows.ok_or_else(|| missing("flows", "flows: [stock_changed, reconcile]"))?,
            demo,
            keep,
            keep_dead,
            keep_payload,
        };
        match errors.into_error() {
            Some(error) => Err(error),
            None => Ok(integration),
        }
    }
}
