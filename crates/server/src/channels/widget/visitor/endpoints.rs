//! The visitor's endpoints: start, history, post a message, ask for a person.

use super::*;
use crate::store::db::{self};

/// `POST /widget/v1/conversations`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Started {
    /// The visitor's secret for every later call.
    pub visitor_token: String,
    /// The conversation as the visitor sees it.
    pub conversation: VisitorConversation,
}

/// Starts a conversation: with the bot when it has answers, else straight
/// into the queue (channel `chat`).
#[utoipa::path(post, path = "/widget/v1/conversations", tag = "widget", request_body = StartRequest,
    responses((status = 201, body = Started, description = "Started; keep `visitor_token` for every later call"),
        (status = 403, body = switchboard_api::ErrorBody, description = "The page's origin is not allowed"),
        (status = 429, body = switchboard_api::ErrorBody, description = "Too many starts from this address")))]
pub async fn start(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<StartRequest>,
) -> AppResult<(StatusCode, Json<Started>)> {
    let ip = st.client_address(peer.ip(), &headers);
    w.limits
        .starts_by_address
        .take(&switchboard_core::ratelimit::address_key(ip))?;
    w.limits.starts_site_wide.take("site")?;
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
                db::query(
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
                .execute(&mut *tx)
                .await?;
                let s = session(&mut *tx, &id).await?;
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
                let s = session(&mut *tx, &id).await?;
                { let seq = tx.next_seq; view(&mut *tx, &s, seq) }.await
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
#[utoipa::path(get, path = "/widget/v1/conversation", tag = "widget", security(("visitor" = [])),
    responses((status = 200, body = VisitorConversation)))]
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
#[utoipa::path(get, path = "/widget/v1/conversations/{id}", tag = "widget", security(("visitor" = [])),
    params(("id" = String, Path, description = "The visitor's own conversation")),
    responses((status = 200, body = VisitorConversation)))]
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
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The text.
    pub body: String,
    /// Client-generated id: the same id again is the same message.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Files uploaded first (`POST /widget/v1/uploads`), at most 10; with
    /// files the body may be empty. A file sent while the bot answers hands
    /// the conversation to the team (the bot reads text only).
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

/// A posted message and the conversation after it (with the bot's reply).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Posted {
    /// The visitor's message.
    pub message: VisitorMessage,
    /// The conversation now.
    pub conversation: VisitorConversation,
}

/// A visitor's message: to the bot while it answers, else to the humans.
#[utoipa::path(post, path = "/widget/v1/messages", tag = "widget", security(("visitor" = [])), request_body = MessageRequest,
    responses((status = 200, body = Posted, description = "The same `client_id` again: the first message"),
        (status = 201, body = Posted),
        (status = 422, body = switchboard_api::ErrorBody, description = "`empty_body` (no text and no file), `body_too_long`, `unknown_upload` (not an upload of this visitor's), `upload_already_attached`, `too_many_attachments`, `duplicate_attachment`"),
        (status = 429, body = switchboard_api::ErrorBody, description = "Too many messages from this visitor or address")))]
pub async fn post_message(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    v: Visitor,
    ApiJson(req): ApiJson<MessageRequest>,
) -> AppResult<(StatusCode, Json<Posted>)> {
    w.limits.messages_by_visitor.take(&v.session.id)?;
    w.limits
        .messages_by_address
        .take(&switchboard_core::ratelimit::address_key(v.ip))?;
    let body = check_body_with_files(&req.body, !req.attachment_ids.is_empty())?;
    check_client_id(&req.client_id)?;
    let attachment_ids = req.attachment_ids;
    let answers = if v.session.mode == Mode::Bot && attachment_ids.is_empty() {
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
                let s = session(&mut *tx, &id).await?;
                if let Some(c) = &client_id {
                    let seen: Option<String> = db::query(
                        "SELECT message_id FROM widget_client_ids WHERE session_id = $1 AND client_id = $2",
                    )
                    .bind(&id)
                    .bind(c)
                    .fetch_optional_scalar(&mut *tx)
                    .await?;
                    if let Some(m) = seen {
                        let conv = { let seq = tx.next_seq; view(&mut *tx, &s, seq) }.await?;
                        return Ok((false, m, conv));
                    }
                }
                let message_id = if !attachment_ids.is_empty() {
                    with_files(tx, &s, &body, &attachment_ids, &categorizer).await?
                } else {
                    match s.mode {
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
                    Mode::Human => ops::customer_message(tx, &id, &body).await?.id,
                    }
                };
                if s.mode == Mode::Human || !attachment_ids.is_empty() {
                    remember_client_id(tx, &id, client_id.as_deref(), &message_id).await?;
                }
                let s = session(&mut *tx, &id).await?;
                let conv = { let seq = tx.next_seq; view(&mut *tx, &s, seq) }.await?;
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
#[utoipa::path(post, path = "/widget/v1/handoff", tag = "widget", security(("visitor" = [])),
    responses((status = 200, body = VisitorConversation)))]
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
                let s = session(&mut *tx, &id).await?;
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
                let s = session(&mut *tx, &id).await?;
                {
                    let seq = tx.next_seq;
                    view(&mut *tx, &s, seq)
                }
                .await
            })
        }))
        .await?;
    Ok(Json(conv))
}
