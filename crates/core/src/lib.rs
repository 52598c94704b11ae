//! # switchboard-core
//!
//! The rules of the Switchboard inbox, as pure functions over plain data.
//! Nothing here does IO or reads the clock: every rule that depends on time
//! takes `now` as a parameter, so the server (which applies these rules inside
//! one database transaction) and the desktop (which uses them for local timers)
//! agree, and every rule is unit-tested on its own.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use switchboard_core::waiting::is_overdue;
//!
//! let since = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 6, 0).unwrap();
//! assert!(is_overdue(Some(since), 300, now));
//! ```
#![deny(missing_docs)]

pub mod alerts;
pub mod backoff;
pub mod bot;
pub mod categorize;
pub mod claim;
pub mod customers;
pub mod eligibility;
pub mod merge;
pub mod metrics;
pub mod model;
pub mod open_book;
pub mod presence;
pub mod ratelimit;
pub mod routing;
pub mod saved_replies;
pub mod search;
pub mod sms;
pub mod snooze;
pub mod tags;
pub mod visibility;
pub mod waiting;

pub use model::*;
