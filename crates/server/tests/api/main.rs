//! The Switchboard server's API, tested end to end over real HTTP against a
//! real SQLite file: one test binary, one server per test (see `helpers`).
//!
//! `TEST_LOG=1 cargo test -p switchboard-server --test api` prints the
//! server's tracing output.

mod auth;
mod bad_input;
mod claims;
mod flow;
mod helpers;
mod messages;
mod openapi;
mod routing;
mod sync;
mod visibility;
