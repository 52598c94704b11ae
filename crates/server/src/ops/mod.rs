//! Write operations: each runs inside one [`Tx`], applies the rules of
//! `switchboard-core`, writes rows and appends the events that describe the
//! change. They are the only code that changes the inbox.
//!
//! One module per aggregate: [`intake`] (conversations from any channel),
//! [`routing`] (rotation, draining), [`lifecycle`] (claim, reply, note,
//! transfer, resolve, reopen, re-categorize), [`agents`], [`categories`],
//! [`saved_replies`], [`customers`], [`tags`], [`snooze`], [`merge`], [`tokens`]. What they share (loading a conversation
//! the caller may see, inserting a message, the `conversation.updated`
//! event) is here.

pub mod agents;
pub mod categories;
pub mod customer_merge;
pub mod customers;
pub mod intake;
pub mod lifecycle;
pub mod merge;
pub mod routing;
pub mod saved_replies;
pub mod snooze;
pub mod tags;
pub mod tokens;
pub mod uploads;

pub use agents::*;
pub use categories::*;
pub use intake::*;
pub use lifecycle::*;
pub use routing::*;
pub use tokens::*;

use std::collections::HashMap;

use futures_util::future::BoxFuture;

use switchboard_api::events::{
    AgentUpdated, CategoryUpdated, Change, ConversationCreated, ConversationUpdated, EventPayload,
    MessageCreated,
};
use switchboard_api::{
    Agent, AgentPatch, Category, CategoryPatch, CategorySource, Conversation, ConversationSummary,
    Customer, Delivery, Message, NewCategory, NewMessage, TransferRequest,
};
use switchboard_core::categorize::{Categorizer, DecidedBy};
use switchboard_core::claim::{candidates, decide_claim, ClaimDecision, ClaimTarget, QueuedItem};
use switchboard_core::routing::{next_round_robin, plan_drain, Queued};
use switchboard_core::{
    AgentStatus, Channel, ConversationState, MessageKind, Role, RoutingMode,
    DEFAULT_WAIT_THRESHOLD_SECS,
};

use crate::caller::Caller;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
pub use crate::rows::conv_visibility;
use crate::rows::{self, ConvRow};
use crate::store::db::{self};
pub use crate::store::{append_event, new_id};
use crate::store::{Tx, Visibility};

const PREVIEW_CHARS: usize = 140;

pub(crate) fn preview_of(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(PREVIEW_CHARS).collect()
}

/// The preview of a message with files: its text, or with no text the
/// files' names (`📎 label.pdf, photo.png`).
pub(crate) fn preview_with_files(body: &str, files: &[switchboard_api::AttachmentInfo]) -> String {
    if !body.trim().is_empty() || files.is_empty() {
        return preview_of(body);
    }
    let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
    preview_of(&format!("📎 {}", names.join(", ")))
}

async fn load(tx: &mut Tx, id: &str) -> AppResult<ConvRow> {
    rows::conversation(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("conversation"))
}

/// Loads a conversation the caller may see (404 otherwise: no existence leak).
async fn load_visible(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConvRow> {
    let c = load(tx, id).await?;
    if !caller.viewer().can_view(c.scope()) {
        return Err(AppError::NotFound("conversation"));
    }
    Ok(c)
}

async fn conv_updated(
    tx: &mut Tx,
    before: &ConvRow,
    change: Change,
    by: Option<&str>,
) -> AppResult<ConvRow> {
    let after = load(tx, &before.id).await?;
    let payload = EventPayload::ConversationUpdated(ConversationUpdated {
        conversation: after.summary(tx.now),
        change,
        by: by.map(str::to_owned),
        previous_assignee_id: before.assignee_id.clone(),
    });
    let vis = conv_visibility(Some(before), &after);
    append_event(tx, payload, Some(&after.id), vis).await?;
    Ok(after)
}

struct NewMsg<'a> {
    kind: MessageKind,
    author: &'a str,
    author_id: Option<&'a str>,
    body: &'a str,
    client_id: Option<&'a str>,
    /// Keep this id (a widget line's own), else a new one.
    id: Option<&'a str>,
    /// When it was said, in ms (a transcript line's time), else the write's.
    at: Option<i64>,
}

async fn insert_message(
    tx: &mut Tx,
    conv: &ConvRow,
    m: NewMsg<'_>,
    emit: bool,
) -> AppResult<Message> {
    insert_message_seen_from(tx, None, conv, m, emit).await
}

/// Inserts a message whose event reaches those who saw the conversation as
/// `before` too (a transfer note reaches both the sender and the receiver).
async fn insert_message_seen_from(
    tx: &mut Tx,
    before: Option<&ConvRow>,
    conv: &ConvRow,
    m: NewMsg<'_>,
    emit: bool,
) -> AppResult<Message> {
    insert_message_full(tx, before, conv, m, None, emit).await
}

/// Inserts a message; `other` when a customer message was sent by someone
/// other than the conversation's customer (its author is then theirs).
async fn insert_message_full(
    tx: &mut Tx,
    before: Option<&ConvRow>,
    conv: &ConvRow,
    m: NewMsg<'_>,
    other: Option<&OtherSender>,
    emit: bool,
) -> AppResult<Message> {
    let id = m.id.map_or_else(new_id, str::to_owned);
    let at = m.at.unwrap_or_else(|| tx.now.timestamp_millis());
    // Messages are ordered by the log position of their own event (or of the
    // event that follows them).
    let seq = tx.next_seq;
    db::query(
        "INSERT INTO messages (id, conversation_id, seq, kind, author, author_id, body, created_at, client_id, \
         from_other_address, from_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(&conv.id)
    .bind(seq + 1)
    .bind(m.kind.as_str())
    .bind(m.author)
    .bind(m.author_id)
    .bind(m.body)
    .bind(at)
    .bind(m.client_id)
    .bind(i64::from(other.is_some()))
    .bind(other.and_then(|o| o.address.as_deref()))
    .execute(&mut *tx)
    .await?;
    let backend = tx.backend;
    crate::store::search::index_message(tx, backend, &id, &conv.id, m.kind, at, m.body).await?;
    let message = Message {
        id,
        conversation_id: conv.id.clone(),
        kind: m.kind,
        author: m.author.to_owned(),
        author_id: m.author_id.map(str::to_owned),
        body: m.body.to_owned(),
        created_at: if m.at.is_some() { from_ms(at) } else { tx.now },
        client_id: m.client_id.map(str::to_owned),
        from_other_address: other.is_some(),
        from_address: other.and_then(|o| o.address.clone()),
        delivery: None,
        attachments: Vec::new(),
    };
    if emit {
        append_event(
            tx,
            EventPayload::MessageCreated(MessageCreated {
                message: message.clone(),
            }),
            Some(&conv.id),
            conv_visibility(before, conv),
        )
        .await?;
    }
    Ok(message)
}

async fn system_line(tx: &mut Tx, conv: &ConvRow, text: &str) -> AppResult<Message> {
    insert_message(
        tx,
        conv,
        NewMsg {
            kind: MessageKind::System,
            author: "Switchboard",
            author_id: None,
            body: text,
            client_id: None,
            id: None,
            at: None,
        },
        true,
    )
    .await
}

async fn agent_name(tx: &mut Tx, id: &str) -> AppResult<String> {
    Ok(rows::agent(&mut *tx, id)
        .await?
        .map(|a| a.name)
        .unwrap_or_else(|| id.to_owned()))
}
