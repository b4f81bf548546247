//! What the command line and a demo print for people: tables, runs. Everything is written to
//! a writer and its errors returned, so a reader that goes away (`runs | head`) ends the
//! command quietly instead of with a panic.

mod runs;
pub(crate) mod table;

pub(crate) use runs::{write_detail, write_list};
