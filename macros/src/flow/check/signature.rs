//! The flow function's signature checked against its kind: its context argument, its
//! extractors, its result.

use crate::errors::{Errors, written};
use crate::flow::kind::Kind;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

/// The parts of a flow function that the generated code needs.
pub(crate) struct FlowSignature {
    /// The flow's configuration type, the `C` of `Ctx<C>` or `Activation<C>`.
    pub config: Type,
    /// The request extractors after the context, in order.
    pub extractors: Vec<Type>,
    /// An `on_deactivate` hook's second argument: what `on_activate` registered.
    pub registration: Option<Type>,
}

/// The two context types a flow can take first.
#[derive(PartialEq, Clone, Copy)]
enum ContextType {
    Ctx,
    Activation,
}

impl FlowSignature {
    pub(crate) fn check(function: &ItemFn, kind: Kind, errors: &mut Errors) -> Option<FlowSignature> {
        let signature = &function.sig;
        if signature.asyncness.is_none() {
            errors.at(
                signature.fn_token,
                format!("a flow must be an `async fn`; write `async fn {}(…)`", signature.ident),
            );
        }
        if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
            errors.at(
                &signature.generics,
                "a flow cannot be generic: the runtime calls it with one configuration type and concrete extractors",
            );
        }
        if let ReturnType::Default = signature.output
            && kind == Kind::Sync
        {
            errors.at(
                &signature.ident,
                "a sync flow answers its caller: return `Result<R>` where `R` is a response, \
                 e.g. `-> Result<Json<Customer>>`",
            );
        } else if let ReturnType::Default = signature.output {
            errors.at(
                &signature.ident,
                "a flow returns `Result<()>`, or `Result<T>` with `T: Serialize` to record an output; \
                 add `-> Result<()>` so that failures are recorded and retried",
            );
        }

        let mut arguments = signature.inputs.iter();
        let Some(first) = arguments.next() else {
            let wanted = wanted_context(kind);
            errors.at(&signature.ident, format!("{} takes its context first: `ctx: {wanted}<YourConfig>`", kind.a()));
            return None;
        };
        let config = context_config(first, kind, errors)?;
        let mut extractors = Vec::new();
        let mut registration = None;
        for argument in arguments {
            match argument {
                FnArg::Typed(typed) if kind.takes_requests() => extractors.push((*typed.ty).clone()),
                FnArg::Typed(typed) if kind == Kind::OnDeactivate && registration.is_none() => {
                    registration = Some((*typed.ty).clone())
                }
                FnArg::Typed(_) if kind == Kind::OnDeactivate => errors.at(
                    argument,
                    "an on_deactivate hook takes its `Activation<…>` and, optionally, what on_activate registered \
                     (`registered: T`); remove this argument",
                ),
                FnArg::Typed(_) if kind == Kind::OnActivate => errors.at(
                    argument,
                    "an on_activate hook takes only its `Activation<…>`: what it registers is what it returns \
                     (`Result<T>`), and on_deactivate takes that; remove this argument",
                ),
                FnArg::Typed(_) if kind == Kind::Schedule => errors.at(
                    argument,
                    "a schedule flow takes no payload: it is started by the clock, not by a request; \
                     remove this argument, or make the flow a webhook",
                ),
                FnArg::Typed(_) => {
                    errors.at(argument, format!("{} takes only its `Activation<…>`; remove this argument", kind.a()))
                }
                FnArg::Receiver(_) => errors.at(argument, "a flow is a free function; it takes no `self`"),
            }
        }
        Some(FlowSignature { config, extractors, registration })
    }
}

fn wanted_context(kind: Kind) -> &'static str {
    if kind.is_lifecycle() { "Activation" } else { "Ctx" }
}

/// Checks the first argument and returns the configuration type inside it.
fn context_config(first: &FnArg, kind: Kind, errors: &mut Errors) -> Option<Type> {
    let typed = match first {
        FnArg::Typed(typed) => typed,
        FnArg::Receiver(receiver) => {
            errors.at(receiver, "a flow is a free function; it takes no `self`");
            return None;
        }
    };
    let wanted = if kind.is_lifecycle() { ContextType::Activation } else { ContextType::Ctx };
    let wanted_name = wanted_context(kind);
    let Some((found, config)) = split_context(&typed.ty) else {
        errors.at(
            &typed.ty,
            format!(
                "the first argument of {} is its context, `{wanted_name}<YourConfig>`; found `{}`",
                kind.a(),
                written(&typed.ty)
            ),
        );
        return None;
    };
    if found != wanted {
        let config_name = written(&config);
        let why = match wanted {
            ContextType::Activation => {
                "it runs once when a customer instance is activated or deactivated, not per event"
            }
            ContextType::Ctx => "`Activation` is for on_activate and on_deactivate hooks",
        };
        errors.at(
            &typed.ty,
            format!("{} takes `{wanted_name}<{config_name}>`, not `{}`: {why}", kind.a(), written(&typed.ty)),
        );
        return None;
    }
    Some(config)
}

/// `Ctx<C>` or `Activation<C>` (by any path), with its `C`.
fn split_context(ty: &Type) -> Option<(ContextType, Type)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let context = match last.ident.to_string().as_str() {
        "Ctx" => ContextType::Ctx,
        "Activation" => ContextType::Activation,
        _ => return None,
    };
    let PathArguments::AngleBracketed(arguments) = &last.arguments else { return None };
    match arguments.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(config)] => Some((context, config.clone())),
        _ => None,
    }
}
