//! Test support shared by Switchboard's suites (a dev-dependency only).
//!
//! - [`spawn`] / [`spawn_with`]: one real server per test on `127.0.0.1:0`,
//!   over a fresh database ([`fresh_database`]: a SQLite file in the test's
//!   own temporary directory, or with `SWITCHBOARD_TEST_DATABASE=postgres` a
//!   fresh database of the throwaway [`postgres`] server), with an admin
//!   already logged in through the typed client ([`TestServer`]).
//! - [`accounts`]: typed helpers to seed an admin, create agents (categories,
//!   status) and categories, log in.
//! - [`bulk`]: a big team's history (many conversations, most resolved)
//!   for the benches.
//! - [`postgres`]: the throwaway PostgreSQL cluster; [`nginx`]: Debian's nginx
//!   with the repository's example config in front of two instances.
//! - [`email`]: mail in through the server's inbound webhook.
//! - [`smtp`]: an SMTP sink (Python's aiosmtpd) that files what it accepts;
//!   [`process`]: what the peers share (free ports, waiting for one, dying
//!   with the test process, skipping when a peer is not installed).
//!
//! ```no_run
//! # async fn example() {
//! use switchboard_api::AgentStatus;
//!
//! let app = switchboard_testkit::spawn().await;
//! app.category("billing").await;
//! let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
//! let c = app.conversation_in("billing").await;
//! pat.claim(&c.summary.id).await.unwrap();
//! # }
//! ```
//!
//! `TEST_LOG=1` prints the server's tracing output (zero2prod's habit).

#![deny(missing_docs)]

pub mod accounts;
pub mod bulk;
pub mod corpus;
pub mod email;
pub mod nginx;
pub mod postgres;
pub mod process;
mod server;
pub mod smtp;
pub mod twilio;
pub mod widget;

pub use accounts::{ADMIN_EMAIL, ADMIN_NAME, PASSWORD};
pub use process::{eventually, free_port};
pub use server::{
    backend, fresh_database, init_tracing, spawn, spawn_with, sync_all, t0, TestServer,
};
