//! What must compile: every flow kind, extractor, option and component form, each case a module
//! of this one test binary (a plain build, so only the cases that must fail need trybuild).
//! The integrations are built, not served: `integration!`'s generated `main` is unused here.
#![allow(dead_code)]

mod component;
mod every_kind;
mod paired_hooks;
mod retention_and_timeout;
mod sync;
