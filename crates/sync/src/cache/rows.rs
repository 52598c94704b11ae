//! Row mapping: SQLite rows to the wire and cache types, and the column
//! encodings (times as milliseconds since the epoch, lists as JSON).

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use switchboard_api::{
    Agent, AgentStatus, Category, Channel, ConversationState, ConversationSummary, Customer,
    Message, MessageKind, Role, RoutingMode,
};

use super::types::{CachedMessage, OutboxItem, SendState};
use crate::error::{Result, SyncError};

pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(super) fn from_ms(v: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(v)
        .single()
        .ok_or_else(|| SyncError::Corrupt(format!("timestamp {v}")))
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> SyncError {
    SyncError::Corrupt(e.to_string())
}

pub(super) fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// A message's files as stored: a JSON array of `AttachmentInfo`.
pub(super) fn attachments_json(m: &Message) -> String {
    serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into())
}

pub(super) fn parse_list(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(corrupt)
}

pub(super) fn parse<T: FromStr>(v: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    T::from_str(v).map_err(corrupt)
}

/// The customer columns of a conversation row.
pub(super) fn customer_of(r: &SqliteRow) -> Result<Customer> {
    Ok(Customer {
        name: r.try_get("customer_name")?,
        email: r.try_get("customer_email")?,
        phone: r.try_get("customer_phone")?,
    })
}

/// An optional time column (milliseconds since the epoch).
pub(super) fn time_of(r: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    r.try_get::<Option<i64>, _>(column)?
        .map(from_ms)
        .transpose()
}

pub(super) fn summary_of(r: &SqliteRow) -> Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: r.try_get("id")?,
        channel: parse::<Channel>(r.try_get("channel")?)?,
        customer: customer_of(r)?,
        subject: r.try_get("subject")?,
        category_id: r.try_get("category_id")?,
        state: parse::<ConversationState>(r.try_get("state")?)?,
        assignee_id: r.try_get("assignee_id")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
        waiting_since: time_of(r, "waiting_since")?,
        overdue: false,
        first_response_at: time_of(r, "first_response_at")?,
        preview: r.try_get("preview")?,
        // Not kept in the local cache (yet): the server's summaries carry it.
        categorized_by: None,
        customer_id: r.try_get("customer_id")?,
        tags: serde_json::from_str(r.try_get("tags")?).map_err(corrupt)?,
        snoozed_until: time_of(r, "snoozed_until")?,
        merged_into: r.try_get("merged_into")?,
    })
}

pub(super) fn send_state_of(r: &SqliteRow) -> Result<SendState> {
    let pending: Option<String> = r.try_get("pending")?;
    Ok(match pending.as_deref() {
        None => SendState::Sent,
        Some("failed") => SendState::Failed {
            code: r
                .try_get::<Option<String>, _>("error_code")?
                .unwrap_or_default(),
            message: r
                .try_get::<Option<String>, _>("error_message")?
                .unwrap_or_default(),
        },
        Some(_) => SendState::Pending,
    })
}

pub(super) fn message_of(r: &SqliteRow) -> Result<CachedMessage> {
    Ok(CachedMessage {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        kind: parse::<MessageKind>(r.try_get("kind")?)?,
        author: r.try_get("author")?,
        from_other_address: r.try_get::<i64, _>("from_other_address")? != 0,
        from_address: r.try_get("from_address")?,
        author_id: r.try_get("author_id")?,
        body: r.try_get("body")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        client_id: r.try_get("client_id")?,
        send_state: send_state_of(r)?,
        delivery: r
            .try_get::<Option<String>, _>("delivery")?
            .and_then(|d| serde_json::from_str(&d).ok()),
        attachments: serde_json::from_str(r.try_get("attachments")?).map_err(corrupt)?,
        // Filled by the read from `outbox_files` for outbox items.
        pending_files: Vec::new(),
    })
}

pub(super) fn outbox_item(r: &SqliteRow) -> Result<OutboxItem> {
    let kind = parse::<MessageKind>(r.try_get("kind")?)?;
    Ok(OutboxItem {
        client_id: r
            .try_get::<Option<String>, _>("client_id")?
            .ok_or_else(|| corrupt("outbox item without client_id"))?,
        conversation_id: r.try_get("conversation_id")?,
        body: r.try_get("body")?,
        internal: kind == MessageKind::Note,
        send_state: send_state_of(r)?,
        // Filled by the read from `outbox_files`.
        files: Vec::new(),
    })
}

pub(super) fn agent_of(r: &SqliteRow) -> Result<Agent> {
    Ok(Agent {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: parse::<Role>(r.try_get("role")?)?,
        status: parse::<AgentStatus>(r.try_get("status")?)?,
        categories: parse_list(r.try_get("categories")?)?,
        capacity: u32::try_from(r.try_get::<i64, _>("capacity")?).map_err(corrupt)?,
        open_conversations: u32::try_from(r.try_get::<i64, _>("open_conversations")?)
            .map_err(corrupt)?,
    })
}

pub(super) fn category_of(r: &SqliteRow) -> Result<Category> {
    Ok(Category {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        routing: parse::<RoutingMode>(r.try_get("routing")?)?,
        wait_threshold_secs: u64::try_from(r.try_get::<i64, _>("wait_threshold_secs")?)
            .map_err(corrupt)?,
        keywords: parse_list(r.try_get("keywords")?)?,
    })
}
