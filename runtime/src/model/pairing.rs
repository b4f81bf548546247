//! Lifecycle hooks that pair, checked by the compiler: what `on_activate` returns (`Result<T>`,
//! what it registered) is what `on_deactivate` takes (`registered: T`) to remove it. Every flow
//! type says, through [`Hooks`], what it registers or removes; `integration!` folds them over
//! its flows with [`Or`] and asks for [`Undoes`].

use super::error::Result;

/// Implemented by every flow's type: what it registers (`on_activate`) and what it takes to
/// remove (`on_deactivate`); [`NoHook`] for every other flow.
#[doc(hidden)]
pub trait Hooks {
    type Activates;
    type Deactivates;
}

/// Not a hook (or not in this integration).
#[doc(hidden)]
pub struct NoHook;

/// A flow whose definition did not check: its own error is reported, so it pairs with
/// anything rather than add a second error.
#[doc(hidden)]
pub struct Unchecked;

/// A hook that registers, or removes, a `T`.
#[doc(hidden)]
pub struct Hook<T>(std::marker::PhantomData<T>);

/// The registration type of an `on_activate` hook's result.
#[doc(hidden)]
pub trait HookResult {
    type Registration;
}

impl<T> HookResult for Result<T> {
    type Registration = T;
}

/// The one hook among an integration's flows: `NoHook` until one is found. (Two hooks of a
/// kind are refused by their own check, so the second is passed over here.)
#[doc(hidden)]
pub trait Or<B> {
    type Out;
}

impl<B> Or<B> for NoHook {
    type Out = B;
}

impl<T> Or<NoHook> for Hook<T> {
    type Out = Hook<T>;
}

impl<T, U> Or<Hook<U>> for Hook<T> {
    type Out = Hook<T>;
}

impl<T> Or<Unchecked> for Hook<T> {
    type Out = Unchecked;
}

impl<B> Or<B> for Unchecked {
    type Out = Unchecked;
}

/// The integration's `on_deactivate` (`Self`) removes what its `on_activate` (`A`) registers.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the lifecycle hooks do not pair: what on_activate returns is not what on_deactivate takes",
    label = "on_activate: {A}; on_deactivate: {Self}",
    note = "on_activate returns what it registered, `Result<T>`, and on_deactivate takes that same `T` as its second argument (`registered: T`) to remove exactly it",
    note = "an on_activate that registers something needs an on_deactivate that takes it; one that registers nothing returns `Result<()>`"
)]
pub trait Undoes<A> {}

impl Undoes<NoHook> for NoHook {}
impl<T> Undoes<Hook<T>> for Hook<T> {}
impl Undoes<Hook<()>> for NoHook {}
impl Undoes<NoHook> for Hook<()> {}
impl<A> Undoes<A> for Unchecked {}
impl Undoes<Unchecked> for NoHook {}
impl<T> Undoes<Unchecked> for Hook<T> {}

/// Compiles when `D` removes what `A` registers; `integration!` calls it.
#[doc(hidden)]
pub const fn paired<A, D: Undoes<A>>() {}
