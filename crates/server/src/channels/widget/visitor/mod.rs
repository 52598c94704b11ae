//! The visitor's side of the widget: start a conversation, post messages,
//! ask for a person, read the history. Every answer is the visitor's view:
//! their own conversation, customer/agent/bot messages only, agents by first
//! name.

mod endpoints;
mod files;
mod session;
mod turns;
mod view;

#[cfg(test)]
mod proptests;

pub use endpoints::*;
pub use files::*;
pub use session::*;
use turns::*;
pub use view::*;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::{Extension, Json};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use switchboard_api::{AttachmentInfo, Customer, Message};
use switchboard_core::bot::{decide, BotAnswer, BotTurn, HandOffReason};
use switchboard_core::categorize::Categorizer;
use switchboard_core::{Channel, ConversationState, MessageKind};

use super::typing::first_name;
use super::WidgetState;
use crate::app::{ApiJson, ApiPath, AppState};
use crate::auth::token_hash;
use crate::channels::bot::handoff::subject_from;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::ops::{self, new_id, Transcribed, TranscriptLine};
use crate::rows;
use crate::store::{op, Tx};

/// Longest visitor message, in bytes.
pub const MAX_VISITOR_MESSAGE: usize = 10_000;

/// What the bot says when it did not understand.
pub const REPHRASE: &str =
    "Sorry, I didn't understand that. Could you rephrase it? You can also ask to talk to a person.";
/// What the bot says when it hands over.
pub const HANDING_OFF: &str =
    "I'm connecting you with a member of our team. Someone will reply here shortly.";
