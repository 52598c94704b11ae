//! The visitor's side of the widget: start a conversation, post messages,
//! ask for a person, read the history. Every answer is the visitor's view:
//! their own conversation, customer/agent/bot messages only, agents by first
//! name.

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
use sqlx::{AnyConnection, Row};
use switchboard_api::{Customer, Message};
use switchboard_core::bot::{decide, BotAnswer, BotTurn, HandOffReason};
use switchboard_core::categorize::Categorizer;
use switchboard_core::{Channel, ConversationState, MessageKind};

use super::typing::first_name;
use super::WidgetState;
use crate::auth::token_hash;
use crate::channels::bot::handoff::subject_from;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::http::{ApiJson, ApiPath, AppState};
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

/// Who is talking in a session right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The built-in bot; no conversation in the queue yet.
    Bot,
    /// Humans: the conversation exists (queued, assigned or resolved).
    Human,
}

/// A widget session (one visitor, one conversation).
#[derive(Debug, Clone)]
pub struct Session {
    /// Also the conversation's id.
    pub id: String,
    /// Name the visitor gave.
    pub name: Option<String>,
    /// Email the visitor gave.
    pub email: Option<String>,
    /// Bot or humans.
    pub mode: Mode,
    /// Unanswered visitor messages in a row (bot mode).
    pub unanswered: u32,
}

impl Session {
    fn customer(&self) -> Customer {
        Customer {
            name: Some(
                self.name
                    .clone()
                    .unwrap_or_else(|| "Website visitor".into()),
            ),
            email: self.email.clone(),
            phone: None,
        }
    }
}

const SESSION_COLS: &str = "id, visitor_name, visitor_email, mode, unanswered";

fn session_from(r: &sqlx::any::AnyRow) -> AppResult<Session> {
    let mode: String = r.try_get("mode")?;
    let unanswered: i64 = r.try_get("unanswered")?;
    Ok(Session {
        id: r.try_get("id")?,
        name: r.try_get("visitor_name")?,
        email: r.try_get("visitor_email")?,
        mode: if mode == "bot" {
            Mode::Bot
        } else {
            Mode::Human
        },
        unanswered: u32::try_from(unanswered.max(0)).unwrap_or(u32::MAX),
    })
}

async fn session(conn: &mut AnyConnection, id: &str) -> AppResult<Session> {
    let r = sqlx::query(&format!(
        "SELECT {SESSION_COLS} FROM widget_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("conversation"))?;
    session_from(&r)
}

/// A visitor message as the visitor sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorMessage {
    /// Id (the same before and after a hand-off).
    pub id: String,
    /// `customer` (the visitor), `agent` or `bot`.
    pub kind: MessageKind,
    /// Agent's first name or the bot's name; none for the visitor's own.
    pub author: Option<String>,
    /// Text (render as text).
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The agent on the conversation, as visitors see them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorAgent {
    /// First name only.
    pub name: String,
}

/// The visitor's conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorConversation {
    /// Id.
    pub id: String,
    /// `bot` (the bot is answering), `queued`, `assigned` or `resolved`.
    pub status: String,
    /// The agent who joined, while assigned.
    pub agent: Option<VisitorAgent>,
    /// Messages, oldest first.
    pub messages: Vec<VisitorMessage>,
    /// The event log position this view includes: follow
    /// `/widget/v1/events?since=` this to miss nothing after it.
    pub last_seq: i64,
}

/// A message as a visitor may see it (`None` for notes and system lines).
pub fn visitor_message(m: &Message) -> Option<VisitorMessage> {
    let author = match m.kind {
        MessageKind::Customer => None,
        MessageKind::Agent => Some(first_name(&m.author)),
        MessageKind::Bot => Some(m.author.clone()),
        MessageKind::Note | MessageKind::System => return None,
    };
    Some(VisitorMessage {
        id: m.id.clone(),
        kind: m.kind,
        author,
        body: m.body.clone(),
        created_at: m.created_at,
    })
}

/// The first name of an agent by id.
pub async fn agent_first_name(conn: &mut AnyConnection, id: &str) -> AppResult<Option<String>> {
    Ok(rows::agent(conn, id).await?.map(|a| first_name(&a.name)))
}

/// The visitor's view of their session.
pub async fn view(
    conn: &mut AnyConnection,
    s: &Session,
    last_seq: i64,
) -> AppResult<VisitorConversation> {
    if s.mode == Mode::Bot {
        let lines = sqlx::query(
            "SELECT id, kind, author, body, created_at FROM widget_transcript WHERE session_id = $1 ORDER BY pos",
        )
        .bind(&s.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut messages = Vec::with_capacity(lines.len());
        for l in &lines {
            let kind: String = l.try_get("kind")?;
            let kind = MessageKind::parse(&kind)
                .map_err(|e| AppError::Internal(format!("stored transcript: {e}")))?;
            messages.push(VisitorMessage {
                id: l.try_get("id")?,
                kind,
                author: (kind == MessageKind::Bot)
                    .then(|| l.try_get("author"))
                    .transpose()?,
                body: l.try_get("body")?,
                created_at: from_ms(l.try_get("created_at")?),
            });
        }
        return Ok(VisitorConversation {
            id: s.id.clone(),
            status: "bot".into(),
            agent: None,
            messages,
            last_seq,
        });
    }
    let conv = rows::conversation(conn, &s.id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let agent = match (&conv.assignee_id, conv.state) {
        (Some(a), ConversationState::Assigned) => agent_first_name(conn, a)
            .await?
            .map(|name| VisitorAgent { name }),
        _ => None,
    };
    let messages = rows::messages(conn, &s.id)
        .await?
        .iter()
        .filter_map(visitor_message)
        .collect();
    Ok(VisitorConversation {
        id: s.id.clone(),
        status: conv.state.as_str().into(),
        agent,
        messages,
        last_seq,
    })
}

/// The visitor behind a request: `Authorization: Bearer <visitor token>`.
pub struct Visitor {
    /// Their session.
    pub session: Session,
    /// Their address.
    pub ip: IpAddr,
}

fn client_ip(parts: &Parts, st: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    st.client_address(peer, &parts.headers)
}

fn widget(parts: &Parts) -> AppResult<Arc<WidgetState>> {
    parts
        .extensions
        .get::<Arc<WidgetState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("widget state missing".into()))
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> AppResult<Self> {
        let w = widget(parts)?;
        let ip = client_ip(parts, st);
        let key = ip.to_string();
        let now = st.store.now();
        {
            let mut l = w
                .limits
                .bad_tokens
                .lock()
                .map_err(|_| AppError::Internal("limiter poisoned".into()))?;
            l.check(&key, now).map_err(AppError::RateLimited)?;
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(AppError::Unauthorized(
                "missing visitor token; start a conversation first",
            ))?;
        let found = if token.starts_with("wv_") && token.len() <= 200 {
            let mut conn = st.store.reader().acquire().await?;
            sqlx::query(&format!(
                "SELECT {SESSION_COLS} FROM widget_sessions WHERE token_hash = $1"
            ))
            .bind(token_hash(token))
            .fetch_optional(&mut *conn)
            .await?
        } else {
            None
        };
        match found {
            Some(r) => Ok(Visitor {
                session: session_from(&r)?,
                ip,
            }),
            None => {
                if let Ok(mut l) = w.limits.bad_tokens.lock() {
                    l.record_failure(&key, now);
                }
                Err(AppError::Unauthorized("invalid visitor token"))
            }
        }
    }
}

/// A new visitor token: 256 random bits (shown once, stored hashed).
pub fn new_visitor_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "wv_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn check_body(body: &str) -> AppResult<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("empty_body", "the message is empty"));
    }
    if body.len() > MAX_VISITOR_MESSAGE {
        return Err(AppError::invalid(
            "body_too_long",
            format!("messages are limited to {MAX_VISITOR_MESSAGE} bytes"),
        ));
    }
    Ok(body.to_owned())
}

fn check_client_id(id: &Option<String>) -> AppResult<()> {
    match id {
        Some(c) if c.is_empty() || c.len() > 128 => Err(AppError::invalid(
            "invalid_client_id",
            "client_id must be 1 to 128 characters",
        )),
        _ => Ok(()),
    }
}

async fn add_line(
    tx: &mut Tx,
    session_id: &str,
    kind: MessageKind,
    author: &str,
    body: &str,
) -> AppResult<String> {
    let id = new_id();
    let pos: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(pos), 0) + 1 AS BIGINT) FROM widget_transcript WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_one(&mut tx.conn)
    .await?;
    sqlx::query(
        "INSERT INTO widget_transcript (id, session_id, pos, kind, author, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(session_id)
    .bind(pos)
    .bind(kind.as_str())
    .bind(author)
    .bind(body)
    .bind(tx.now.timestamp_millis())
    .execute(&mut tx.conn)
    .await?;
    sqlx::query("UPDATE widget_sessions SET updated_at = $1 WHERE id = $2")
        .bind(tx.now.timestamp_millis())
        .bind(session_id)
        .execute(&mut tx.conn)
        .await?;
    Ok(id)
}

/// Gives the bot's session to the humans: the conversation (channel `bot`,
/// the session's id) is created with the transcript, and queued or routed.
async fn hand_off(
    tx: &mut Tx,
    s: &Session,
    reason: &str,
    categorizer: &Categorizer,
) -> AppResult<()> {
    let rows_ = sqlx::query(
        "SELECT id, kind, author, body, created_at FROM widget_transcript WHERE session_id = $1 ORDER BY pos",
    )
    .bind(&s.id)
    .fetch_all(&mut tx.conn)
    .await?;
    let mut transcript = Vec::with_capacity(rows_.len());
    for r in &rows_ {
        let kind: String = r.try_get("kind")?;
        transcript.push(TranscriptLine {
            id: Some(r.try_get("id")?),
            kind: MessageKind::parse(&kind)
                .map_err(|e| AppError::Internal(format!("stored transcript: {e}")))?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            at: from_ms(r.try_get("created_at")?),
        });
    }
    let subject = transcript
        .iter()
        .find(|l| l.kind == MessageKind::Customer)
        .map(|l| subject_from(&l.body))
        .unwrap_or_else(|| "Chat".into());
    ops::create_with_transcript(
        tx,
        Transcribed {
            id: Some(s.id.clone()),
            channel: Channel::Bot,
            customer: s.customer(),
            subject,
            transcript,
            category_id: None,
            handed_off: Some(reason.to_owned()),
        },
        categorizer,
    )
    .await?;
    sqlx::query("DELETE FROM widget_transcript WHERE session_id = $1")
        .bind(&s.id)
        .execute(&mut tx.conn)
        .await?;
    sqlx::query("UPDATE widget_sessions SET mode = 'human', updated_at = $1 WHERE id = $2")
        .bind(tx.now.timestamp_millis())
        .bind(&s.id)
        .execute(&mut tx.conn)
        .await?;
    Ok(())
}

fn reason_text(r: HandOffReason, max_unanswered: u32) -> String {
    match r {
        HandOffReason::Requested => "the visitor asked for a person".into(),
        HandOffReason::NoAnswer => {
            format!("no answer found ({max_unanswered} unanswered message(s) in a row)")
        }
    }
}

/// The bot's turn after a visitor line.
async fn bot_turn(
    tx: &mut Tx,
    w: &WidgetState,
    s: &Session,
    body: &str,
    answers: &[BotAnswer],
    categorizer: &Categorizer,
) -> AppResult<()> {
    let name = w.bot.name.as_str();
    match decide(&w.bot.settings, answers, body, s.unanswered) {
        BotTurn::Answer { answer_id, .. } => {
            let text = answers
                .iter()
                .find(|a| a.id == answer_id)
                .map(|a| a.answer.clone())
                .unwrap_or_default();
            add_line(tx, &s.id, MessageKind::Bot, name, &text).await?;
            set_unanswered(tx, &s.id, 0).await
        }
        BotTurn::Rephrase { unanswered } => {
            add_line(tx, &s.id, MessageKind::Bot, name, REPHRASE).await?;
            set_unanswered(tx, &s.id, unanswered).await
        }
        BotTurn::HandOff(reason) => {
            add_line(tx, &s.id, MessageKind::Bot, name, HANDING_OFF).await?;
            hand_off(
                tx,
                s,
                &reason_text(reason, w.bot.settings.max_unanswered),
                categorizer,
            )
            .await
        }
    }
}

async fn set_unanswered(tx: &mut Tx, id: &str, n: u32) -> AppResult<()> {
    sqlx::query("UPDATE widget_sessions SET unanswered = $1 WHERE id = $2")
        .bind(i64::from(n))
        .bind(id)
        .execute(&mut tx.conn)
        .await?;
    Ok(())
}

async fn remember_client_id(
    tx: &mut Tx,
    session_id: &str,
    client_id: Option<&str>,
    message_id: &str,
) -> AppResult<()> {
    if let Some(c) = client_id {
        sqlx::query(
            "INSERT INTO widget_client_ids (session_id, client_id, message_id) VALUES ($1, $2, $3)",
        )
        .bind(session_id)
        .bind(c)
        .bind(message_id)
        .execute(&mut tx.conn)
        .await?;
    }
    Ok(())
}

/// `POST /widget/v1/conversations`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The visitor's name (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// The visitor's email (optional).
    #[serde(default)]
    pub email: Option<String>,
    /// The first message.
    pub message: String,
    /// Client-generated id of the first message.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// The answer to a start: the token (keep it; it is shown once) and the conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    /// The visitor's secret for every later call.
    pub visitor_token: String,
    /// The conversation as the visitor sees it.
    pub conversation: VisitorConversation,
}

async fn bot_answers(st: &AppState, w: &WidgetState) -> AppResult<Vec<BotAnswer>> {
    if !w.bot.enabled {
        return Ok(Vec::new());
    }
    let mut conn = st.store.reader().acquire().await?;
    crate::channels::bot::answers::for_matching(&mut conn).await
}

fn clean_opt(v: Option<String>, max: usize, what: &'static str) -> AppResult<Option<String>> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > max => Err(AppError::invalid(
            "too_long",
            format!("`{what}` is longer than {max} bytes"),
        )),
        other => Ok(other),
    }
}

/// Starts a conversation: with the bot when it has answers, else straight
/// into the queue (channel `chat`).
pub async fn start(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<StartRequest>,
) -> AppResult<(StatusCode, Json<Started>)> {
    let ip = st.client_address(peer.ip(), &headers);
    w.limits.starts_by_address.take(&ip.to_string())?;
    let body = check_body(&req.message)?;
    check_client_id(&req.client_id)?;
    let name = clean_opt(req.name, 100, "name")?;
    let email = clean_opt(req.email, 254, "email")?;
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err(AppError::invalid(
            "invalid_email",
            "that is not an email address",
        ));
    }
    let answers = bot_answers(&st, &w).await?;
    let categorizer = st.categorizer().await?;
    let token = new_visitor_token();
    let hash = token_hash(&token);
    let client_id = req.client_id;
    let w2 = w.clone();
    let conversation = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                let id = new_id();
                let bot = !answers.is_empty();
                let now = tx.now.timestamp_millis();
                sqlx::query(
                    "INSERT INTO widget_sessions (id, token_hash, visitor_name, visitor_email, mode, channel, unanswered, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
                )
                .bind(&id)
                .bind(&hash)
                .bind(&name)
                .bind(&email)
                .bind(if bot { "bot" } else { "human" })
                .bind(if bot { "bot" } else { "chat" })
                .bind(now)
                .execute(&mut tx.conn)
                .await?;
                let s = session(&mut tx.conn, &id).await?;
                if bot {
                    let line = add_line(tx, &id, MessageKind::Customer, "", &body).await?;
                    remember_client_id(tx, &id, client_id.as_deref(), &line).await?;
                    bot_turn(tx, &w2, &s, &body, &answers, &categorizer).await?;
                } else {
                    let line = new_id();
                    ops::create_with_transcript(
                        tx,
                        Transcribed {
                            id: Some(id.clone()),
                            channel: Channel::Chat,
                            customer: s.customer(),
                            subject: subject_from(&body),
                            transcript: vec![TranscriptLine {
                                id: Some(line.clone()),
                                kind: MessageKind::Customer,
                                author: String::new(),
                                body: body.clone(),
                                at: tx.now,
                            }],
                            category_id: None,
                            handed_off: None,
                        },
                        &categorizer,
                    )
                    .await?;
                    remember_client_id(tx, &id, client_id.as_deref(), &line).await?;
                }
                let s = session(&mut tx.conn, &id).await?;
                view(&mut tx.conn, &s, tx.next_seq).await
            })
        }))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Started {
            visitor_token: token,
            conversation,
        }),
    ))
}

/// `GET /widget/v1/conversation`: the visitor's conversation.
pub async fn history(
    State(st): State<AppState>,
    v: Visitor,
) -> AppResult<Json<VisitorConversation>> {
    // The position is read first: the view holds at least everything up to it.
    let last_seq = st.store.hub().last_seq();
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(view(&mut conn, &v.session, last_seq).await?))
}

/// `GET /widget/v1/conversations/{id}`: the same, by id — any other id is 404.
pub async fn history_by_id(
    State(st): State<AppState>,
    v: Visitor,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<VisitorConversation>> {
    if id != v.session.id {
        return Err(AppError::NotFound("conversation"));
    }
    // The position is read first: the view holds at least everything up to it.
    let last_seq = st.store.hub().last_seq();
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(view(&mut conn, &v.session, last_seq).await?))
}

/// `POST /widget/v1/messages`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The text.
    pub body: String,
    /// Client-generated id: the same id again is the same message.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// A posted message and the conversation after it (with the bot's reply).
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    /// The visitor's message.
    pub message: VisitorMessage,
    /// The conversation now.
    pub conversation: VisitorConversation,
}

/// A visitor's message: to the bot while it answers, else to the humans.
pub async fn post_message(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    v: Visitor,
    ApiJson(req): ApiJson<MessageRequest>,
) -> AppResult<(StatusCode, Json<Posted>)> {
    w.limits.messages_by_visitor.take(&v.session.id)?;
    w.limits.messages_by_address.take(&v.ip.to_string())?;
    let body = check_body(&req.body)?;
    check_client_id(&req.client_id)?;
    let answers = if v.session.mode == Mode::Bot {
        bot_answers(&st, &w).await?
    } else {
        Vec::new()
    };
    let categorizer = st.categorizer().await?;
    let id = v.session.id.clone();
    let client_id = req.client_id;
    let (created, message_id, conversation) = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                let s = session(&mut tx.conn, &id).await?;
                if let Some(c) = &client_id {
                    let seen: Option<String> = sqlx::query_scalar(
                        "SELECT message_id FROM widget_client_ids WHERE session_id = $1 AND client_id = $2",
                    )
                    .bind(&id)
                    .bind(c)
                    .fetch_optional(&mut tx.conn)
                    .await?;
                    if let Some(m) = seen {
                        let conv = view(&mut tx.conn, &s, tx.next_seq).await?;
                        return Ok((false, m, conv));
                    }
                }
                let message_id = match s.mode {
                    Mode::Bot => {
                        let line = add_line(tx, &id, MessageKind::Customer, "", &body).await?;
                        remember_client_id(tx, &id, client_id.as_deref(), &line).await?;
                        // No answers any more (all deleted, or the bot switched off): hand over.
                        if answers.is_empty() {
                            hand_off(tx, &s, "the bot has no answers configured", &categorizer)
                                .await?;
                        } else {
                            bot_turn(tx, &w, &s, &body, &answers, &categorizer).await?;
                        }
                        line
                    }
                    Mode::Human => {
                        let m = ops::customer_message(tx, &id, &body).await?;
                        remember_client_id(tx, &id, client_id.as_deref(), &m.id).await?;
                        m.id
                    }
                };
                let s = session(&mut tx.conn, &id).await?;
                let conv = view(&mut tx.conn, &s, tx.next_seq).await?;
                Ok((true, message_id, conv))
            })
        }))
        .await?;
    let message = conversation
        .messages
        .iter()
        .find(|m| m.id == message_id)
        .cloned()
        .ok_or(AppError::NotFound("message"))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Posted {
            message,
            conversation,
        }),
    ))
}

/// `POST /widget/v1/handoff`: the visitor asks for a person (the widget's
/// button). Nothing changes when humans already have it.
pub async fn handoff(
    State(st): State<AppState>,
    v: Visitor,
    Extension(w): Extension<Arc<WidgetState>>,
) -> AppResult<Json<VisitorConversation>> {
    let categorizer = st.categorizer().await?;
    let id = v.session.id.clone();
    let conv = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                let s = session(&mut tx.conn, &id).await?;
                if s.mode == Mode::Bot {
                    add_line(tx, &id, MessageKind::Bot, &w.bot.name, HANDING_OFF).await?;
                    hand_off(
                        tx,
                        &s,
                        &reason_text(HandOffReason::Requested, 0),
                        &categorizer,
                    )
                    .await?;
                }
                let s = session(&mut tx.conn, &id).await?;
                view(&mut tx.conn, &s, tx.next_seq).await
            })
        }))
        .await?;
    Ok(Json(conv))
}
