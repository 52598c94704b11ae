//! The agents' API: one module of handlers per resource. The router and the
//! OpenAPI document are assembled in `routes`.

pub(crate) mod agents;
pub(crate) mod attachments;
pub(crate) mod auth;
pub(crate) mod categories;
pub(crate) mod classifier;
pub(crate) mod conversations;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod media;
pub(crate) mod merge;
pub(crate) mod metrics;
pub(crate) mod presence;
pub mod prometheus;
pub(crate) mod saved_replies;
pub(crate) mod search;
pub(crate) mod snapshot;
pub(crate) mod snooze;
pub(crate) mod tags;
pub(crate) mod uploads;

pub use crate::app::{
    caller_for_token, load_caller, ApiJson, ApiPath, ApiQuery, AppState, Auth, MAX_JSON_BODY,
};
