//! `POST /api/v1/bot/handoff`: an external bot gives a conversation to the
//! humans, with its transcript. Authenticated by the bot token
//! (`SWITCHBOARD_BOT_TOKEN`, as `Authorization: Bearer …`); the same
//! `external_id` twice is one conversation.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use switchboard_api::{Conversation, Customer};
use switchboard_core::{Channel, MessageKind};

use super::BotConfig;
use crate::app::{ApiJson, AppState};
use crate::error::{AppError, AppResult};
use crate::ops::{self, Transcribed, TranscriptLine, MAX_BODY_BYTES};
use crate::rows;
use crate::store::db::{self};
use crate::store::op;

/// Most lines in one transcript.
pub const MAX_LINES: usize = 500;

/// Who said a transcript line.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// The customer.
    Customer,
    /// The bot.
    Bot,
}

/// One line of an external bot's transcript.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HandoffLine {
    /// `customer` or `bot`.
    pub kind: LineKind,
    /// The text.
    pub body: String,
    /// When it was said (default: now; a time in the future counts as now).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/bot/handoff`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HandoffRequest {
    /// Who the bot talked with (every field optional).
    #[serde(default)]
    pub customer: Customer,
    /// Subject line (default: the start of the first customer line).
    #[serde(default)]
    pub subject: Option<String>,
    /// What was said, in order; at least one customer line.
    pub transcript: Vec<HandoffLine>,
    /// The category's queue to enter (default: auto-categorized).
    #[serde(default)]
    pub category_id: Option<String>,
    /// The bot's own id for this hand-off: the same id again returns the
    /// same conversation (200) instead of creating a second one.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Why the bot hands over (shown to agents; default "the bot handed over").
    #[serde(default)]
    pub reason: Option<String>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let h = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    h.strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
        .map(str::trim)
}

/// A subject from the first customer line: its first 80 characters, on one line.
pub fn subject_from(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = flat.chars().take(80).collect();
    if flat.chars().count() > 80 {
        s.push('…');
    }
    s
}

/// Hands a conversation over from an external bot.
#[utoipa::path(post, path = "/api/v1/bot/handoff", tag = "bot", security(("bearer" = [])), request_body = HandoffRequest,
    responses((status = 201, body = Conversation, description = "Handed over: the conversation as its customer sees it (no notes, system lines or agent ids)"),
              (status = 200, body = Conversation, description = "the same external_id again: the conversation as its customer sees it now"),
              (status = 401, body = switchboard_api::ErrorBody), (status = 422, body = switchboard_api::ErrorBody)))]
pub async fn endpoint(
    State(st): State<AppState>,
    Extension(config): Extension<Arc<BotConfig>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<HandoffRequest>,
) -> AppResult<(StatusCode, Json<Conversation>)> {
    let Some(expected) = config.token.as_deref() else {
        return Err(AppError::Unauthorized(
            "bot hand-offs are not configured on this server (SWITCHBOARD_BOT_TOKEN)",
        ));
    };
    let given = bearer(&headers).ok_or(AppError::Unauthorized("missing bot token"))?;
    if !crate::channels::secret_matches(given.as_bytes(), expected.as_bytes()) {
        return Err(AppError::Unauthorized("invalid bot token"));
    }
    if req.transcript.is_empty() || req.transcript.len() > MAX_LINES {
        return Err(AppError::invalid(
            "invalid_transcript",
            format!("the transcript needs 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines = Vec::with_capacity(req.transcript.len());
    for l in &req.transcript {
        let body = l.body.trim();
        if body.is_empty() || body.len() > MAX_BODY_BYTES {
            return Err(AppError::invalid(
                "invalid_transcript",
                format!("every transcript line needs 1 to {MAX_BODY_BYTES} bytes of text"),
            ));
        }
        lines.push(TranscriptLine {
            id: None,
            kind: match l.kind {
                LineKind::Customer => MessageKind::Customer,
                LineKind::Bot => MessageKind::Bot,
            },
            author: config.name.clone(),
            body: body.to_owned(),
            at: l.at.unwrap_or_else(|| st.store.now()),
        });
    }
    let Some(first) = lines.iter().find(|l| l.kind == MessageKind::Customer) else {
        return Err(AppError::invalid(
            "empty_transcript",
            "the transcript needs at least one customer line",
        ));
    };
    let subject = match req.subject.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => {
            if s.len() > 1000 {
                return Err(AppError::invalid(
                    "too_long",
                    "`subject` is longer than 1000 bytes",
                ));
            }
            s.to_owned()
        }
        _ => subject_from(&first.body),
    };
    if let Some(x) = &req.external_id {
        if x.is_empty() || x.len() > 200 {
            return Err(AppError::invalid(
                "invalid_external_id",
                "external_id must be 1 to 200 characters",
            ));
        }
    }
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(500).collect::<String>())
        .unwrap_or_else(|| "the bot handed over".into());
    let mut customer = req.customer;
    if customer.name.is_none() && customer.email.is_none() && customer.phone.is_none() {
        customer.name = Some("Visitor".into());
    }
    let categorizer = st.categorizer().await?;
    let input = Transcribed {
        id: None,
        channel: Channel::Bot,
        customer,
        subject,
        transcript: lines,
        category_id: req.category_id,
        handed_off: Some(reason),
    };
    let external_id = req.external_id;
    let (created, conv) = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                if let Some(x) = &external_id {
                    let seen: Option<String> = db::query(
                        "SELECT conversation_id FROM bot_handoffs WHERE external_id = $1",
                    )
                    .bind(x)
                    .fetch_optional_scalar(&mut *tx)
                    .await?;
                    if let Some(id) = seen {
                        let row = rows::conversation(&mut *tx, &id)
                            .await?
                            .ok_or(AppError::NotFound("conversation"))?;
                        let messages = rows::messages(&mut *tx, &id).await?;
                        return Ok((
                            false,
                            Conversation {
                                summary: row.summary(tx.now),
                                messages,
                            },
                        ));
                    }
                }
                let conv = ops::create_with_transcript(tx, input, &categorizer).await?;
                if let Some(x) = &external_id {
                    db::query(
                        "INSERT INTO bot_handoffs (external_id, conversation_id, created_at) VALUES ($1, $2, $3)",
                    )
                    .bind(x)
                    .bind(&conv.summary.id)
                    .bind(tx.now.timestamp_millis())
                    .execute(&mut *tx)
                    .await?;
                }
                Ok((true, conv))
            })
        }))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(for_the_bot(conv))))
}

/// What a bot is told of a conversation: what the customer saw of it. No
/// internal notes, no system lines, no agent ids (an agent's reply is signed
/// with a first name, as the widget shows it), and a preview of the last
/// line kept.
fn for_the_bot(mut conv: Conversation) -> Conversation {
    conv.summary.assignee_id = None;
    conv.messages.retain(|m| {
        matches!(
            m.kind,
            MessageKind::Customer | MessageKind::Agent | MessageKind::Bot
        )
    });
    for m in &mut conv.messages {
        if m.kind == MessageKind::Agent {
            m.author = m
                .author
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        m.author_id = None;
    }
    conv.summary.preview = conv
        .messages
        .last()
        .map(|m| crate::ops::preview_of(&m.body))
        .unwrap_or_default();
    conv
}
