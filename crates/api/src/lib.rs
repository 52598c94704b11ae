//! # switchboard-api
//!
//! The wire contract between the Switchboard server and its clients (the
//! desktop app, integrators, tests): serde types for every request and
//! response of `/api/v1`, the error shape, the event log entries, and — with
//! the default `client` feature — a typed async HTTP client ([`Client`]) with
//! an SSE follower for `/api/v1/events`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), switchboard_api::ClientError> {
//! use switchboard_api::Client;
//! let client = Client::new("http://127.0.0.1:8080")?;
//! let session = client.login("ada@example.com", "secret").await?;
//! let queue = session.conversations(switchboard_api::View::Queue).await?;
//! println!("{} waiting", queue.len());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod types;
pub use types::*;

pub mod events;

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub use client::{Client, ClientError, EventStream, Session, StreamItem};

pub use switchboard_core::{
    AgentStatus, Channel, ConversationState, IdentityKind, MessageKind, ReplyScope, Role,
    RoutingMode,
};
