//! The Switchboard server's API, tested end to end over real HTTP against a
//! real database: one test binary, one server per test (see `helpers`,
//! over `switchboard_testkit`). SQLite by default;
//! `SWITCHBOARD_TEST_DATABASE=postgres` runs the same suite on PostgreSQL (a
//! throwaway server the testkit starts).
//!
//! `TEST_LOG=1 cargo test -p switchboard-server --test api` prints the
//! server's tracing output.

mod auth;
mod bad_input;
mod claims;
mod classifier;
mod customer_merge;
mod customers;
mod flow;
mod helpers;
mod merge;
mod messages;
mod openapi;
mod outage;
mod presence;
mod routing;
mod saved_replies;
mod search;
mod snooze;
mod sync;
mod tags;
mod uploads;
mod visibility;
