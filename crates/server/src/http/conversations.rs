//! Conversations: the API channel, lists, history, claim, messages, transfer,
//! resolve, reopen and re-categorize.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use switchboard_api::{
    Conversation, ConversationPatch, ConversationSummary, ListQuery, Message, NewConversation,
    NewMessage, TransferRequest, View,
};
use switchboard_core::claim::ClaimRefusal;
use switchboard_core::visibility::Scope;
use switchboard_core::{Channel, ConversationState};

use super::{ApiJson, ApiPath, ApiQuery, AppState, Auth};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::ops::{self, Ingest, MAX_BODY_BYTES};
use crate::rows::{self, ConvRow, CONV_COLS, CONV_FROM};
use crate::store::db::{self};
use crate::store::hub::Held;
use crate::store::op;

fn check_text(field: &'static str, text: &str, max: usize) -> AppResult<()> {
    if text.trim().is_empty() {
        return Err(AppError::invalid(
            "empty_field",
            format!("`{field}` is empty"),
        ));
    }
    if text.len() > max {
        return Err(AppError::invalid(
            "too_long",
            format!("`{field}` is longer than {max} bytes"),
        ));
    }
    Ok(())
}

/// Creates a conversation through the API channel (admins and integrators).
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", security(("bearer" = [])),
    request_body = NewConversation,
    responses((status = 201, body = Conversation), (status = 403, body = switchboard_api::ErrorBody),
              (status = 413, body = switchboard_api::ErrorBody), (status = 422, body = switchboard_api::ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<NewConversation>,
) -> AppResult<(StatusCode, Json<Conversation>)> {
    caller.require_admin()?;
    check_text("subject", &req.subject, 1000)?;
    check_text("body", &req.body, MAX_BODY_BYTES)?;
    let c = &req.customer;
    if c.name.is_none() && c.email.is_none() && c.phone.is_none() {
        return Err(AppError::invalid(
            "unknown_customer",
            "give at least one of customer.name, customer.email, customer.phone",
        ));
    }
    let categorizer = st.categorizer().await?;
    let ingest = Ingest {
        channel: Channel::Api,
        customer: req.customer,
        subject: req.subject.trim().to_owned(),
        body: req.body,
        category_id: req.category_id,
    };
    let conv = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::create_conversation(tx, ingest, &categorizer).await })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(conv)))
}

/// Lists conversations: `queue` (oldest first), `mine`, `all`, or
/// `snoozed` (the caller's, waking soonest first); with
/// `tag`, only those carrying it.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", security(("bearer" = [])),
    params(ListQuery), responses((status = 200, body = [ConversationSummary])))]
pub async fn list(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<ConversationSummary>>> {
    let limit = i64::from(q.limit.unwrap_or(500).clamp(1, 5000));
    let view = q.view.unwrap_or(View::Queue);
    let (filter, order) = match view {
        View::Queue => ("c.state = 'queued'", "c.queued_at, c.id"),
        View::Mine => (
            "c.state = 'assigned' AND c.assignee_id = $1",
            "c.updated_at DESC, c.id",
        ),
        View::All => ("1 = 1", "c.updated_at DESC, c.id"),
        View::Snoozed => (
            "c.state = 'snoozed' AND c.assignee_id = $1",
            "CASE WHEN c.snoozed_until IS NULL THEN 1 ELSE 0 END, c.snoozed_until, c.id",
        ),
    };
    let visible = rows::visible_to(caller.is_admin());
    let tagged = if q.tag.is_some() {
        " AND EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id = $3)"
    } else {
        ""
    };
    let sql = format!("SELECT {CONV_COLS} FROM {CONV_FROM} WHERE {filter} AND {visible}{tagged} ORDER BY {order} LIMIT $2");
    let mut conn = st.store.reader().acquire().await?;
    let mut select = db::query(&sql).bind(&caller.id).bind(limit);
    if let Some(tag) = &q.tag {
        select = select.bind(tag);
    }
    let found = select.fetch_all(&mut *conn).await?;
    let now = st.store.now();
    let out = found
        .iter()
        .map(|r| ConvRow::from_row(r).map(|c| c.summary(now)))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(out))
}

/// One conversation with its full history (notes included: agents only).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Conversation), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<Conversation>> {
    let mut conn = st.store.reader().acquire().await?;
    let conv = rows::conversation(&mut conn, &id)
        .await?
        .filter(|c| caller.viewer().can_view(c.scope()))
        .ok_or(AppError::NotFound("conversation"))?;
    let mut messages = rows::messages(&mut conn, &id).await?;
    crate::outbox::attach_delivery(&mut conn, &id, &mut messages).await?;
    Ok(Json(Conversation {
        summary: conv.summary(st.store.now()),
        messages,
    }))
}

/// Claims a queued conversation. Exactly one of any number of racing claims wins.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/claim", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationSummary),
              (status = 409, description = "`already_assigned` (with assignee_id) or `overdue_first` (with conversation_id)", body = switchboard_api::ErrorBody)))]
pub async fn claim(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ConversationSummary>> {
    // Racing claims on one conversation must not queue up behind the writer
    // only to be told it is taken. In order: the hub's memo of who holds it
    // (no IO; dropped by every event about the conversation); else join a
    // claim on it being decided right now and take its outcome; else lead:
    // read who holds it from the read pool, and only then ask the writer,
    // which decides as always. A follower whose leader was refused for
    // reasons of its own, or went away, asks the writer too.
    let memo = st.store.hub().held();
    if let Some(held) = memo.get(&id, |_| true) {
        refuse_if_held_by_another(&caller, held)?;
    }
    let leader = match join_or_lead(&st, &id)? {
        Ok(leader) => {
            if let Some(held) = read_holder(&st, &id).await? {
                if let Err(refusal) = refuse_if_held_by_another(&caller, held.clone()) {
                    leader.finish(Some(held));
                    return Err(refusal);
                }
            }
            Some(leader)
        }
        Err(mut rx) => {
            let winner = rx
                .wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|v| v.clone())
                .flatten();
            // Named only to a caller who may see the conversation; anyone
            // else asks the writer, which answers as for any conversation
            // they cannot see.
            if let Some(held) = winner {
                refuse_if_held_by_another(&caller, held)?;
            }
            None
        }
    };
    let me = caller.id.clone();
    let result = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::claim(tx, &caller, &id).await })
        }))
        .await;
    if let Some(leader) = leader {
        let winner = match &result {
            Ok(summary) => Some(Held {
                category_id: summary.category_id.clone(),
                assignee_id: me,
            }),
            // Refused by the writer: who holds it and in which category is
            // not known here; followers ask the writer themselves.
            Err(_) => None,
        };
        leader.finish(winner);
    }
    Ok(Json(result?))
}

/// Refuses a claim on a conversation held by someone else that the caller
/// can see (one they cannot see is left to the writer, which says so).
fn refuse_if_held_by_another(caller: &Caller, held: Held) -> AppResult<()> {
    let scope = Scope {
        category_id: held.category_id.as_deref(),
        assignee_id: Some(&held.assignee_id),
    };
    if held.assignee_id != caller.id && caller.viewer().can_view(scope) {
        return Err(ClaimRefusal::AlreadyAssigned {
            assignee_id: held.assignee_id,
        }
        .into());
    }
    Ok(())
}

/// Joins the claim on `id` being decided now (`Err`: its outcome, to wait
/// for), or becomes the one deciding it (`Ok`).
fn join_or_lead(st: &AppState, id: &str) -> AppResult<Result<Leader, crate::app::ClaimWatch>> {
    let mut map = st
        .claims_in_flight
        .lock()
        .map_err(|_| AppError::Internal("claim map poisoned".into()))?;
    Ok(match map.get(id) {
        Some(rx) => Err(rx.clone()),
        None => {
            let (tx, rx) = tokio::sync::watch::channel(None);
            map.insert(id.to_owned(), rx);
            Ok(Leader {
                map: st.claims_in_flight.clone(),
                id: id.to_owned(),
                tx,
            })
        }
    })
}

/// Who holds conversation `id`, read from the database and remembered in
/// the hub's memo (None: it is not assigned, or does not exist).
async fn read_holder(st: &AppState, id: &str) -> AppResult<Option<Held>> {
    let memo = st.store.hub().held();
    let generation = memo.generation();
    let mut conn = st.store.reader().acquire().await?;
    let Some(c) = rows::conversation(&mut conn, id).await? else {
        return Ok(None);
    };
    let (ConversationState::Assigned, Some(assignee_id)) = (c.state, c.assignee_id) else {
        return Ok(None);
    };
    let held = Held {
        category_id: c.category_id,
        assignee_id,
    };
    memo.put(generation, id.to_owned(), held.clone());
    Ok(Some(held))
}

/// The first of concurrent claims on a conversation: it tells the others the
/// outcome, and leaves the in-flight map however the request ends.
struct Leader {
    map:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, crate::app::ClaimWatch>>>,
    id: String,
    tx: tokio::sync::watch::Sender<Option<Option<Held>>>,
}

impl Leader {
    fn finish(self, winner: Option<Held>) {
        let _ = self.tx.send(Some(winner));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&self.id);
        }
    }
}

/// Writes a public reply (assignee only) or an internal note (`internal: true`),
/// with the caller's uploads in `attachment_ids` attached (sent with a
/// reply on its channel). The same `client_id` again returns the same
/// message, its files attached once.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewMessage,
    responses((status = 201, body = Message), (status = 403, body = switchboard_api::ErrorBody),
              (status = 422, description = "`unknown_upload` (not an upload of yours, nor a file of a saved reply you may use), `upload_already_attached`, `too_many_attachments`, `duplicate_attachment`, or the body is empty or too long", body = switchboard_api::ErrorBody)))]
pub async fn post_message(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NewMessage>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let (msg, _created) = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                ops::post_message(tx, &caller, &id, &req, &crate::channels::Replies).await
            })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(msg)))
}

/// A further customer message through the API channel (admins and integrators).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CustomerMessage {
    /// The customer's text.
    pub body: String,
}

/// Adds a customer message to a conversation (API channel). A resolved
/// conversation reopens: to its last agent if available, else to the queue.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/customer_messages", tag = "conversations",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = CustomerMessage,
    responses((status = 201, body = Message)))]
pub async fn customer_message(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CustomerMessage>,
) -> AppResult<(StatusCode, Json<Message>)> {
    caller.require_admin()?;
    check_text("body", &req.body, MAX_BODY_BYTES)?;
    let msg = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::customer_message(tx, &id, &req.body).await })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(msg)))
}

/// Transfers to an agent or a category's queue, with an optional internal note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/transfer", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = ConversationSummary), (status = 409, body = switchboard_api::ErrorBody)))]
pub async fn transfer(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::transfer(tx, &caller, &id, &req).await })
        }))
        .await?;
    Ok(Json(s))
}

/// Resolves (assignee or admin).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/resolve", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ConversationSummary)))]
pub async fn resolve(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::resolve(tx, &caller, &id).await })
        }))
        .await?;
    Ok(Json(s))
}

/// Reopens a resolved conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reopen", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ConversationSummary)))]
pub async fn reopen(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::reopen(tx, &caller, &id).await })
        }))
        .await?;
    Ok(Json(s))
}

/// Re-categorizes.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ConversationPatch,
    responses((status = 200, body = ConversationSummary)))]
pub async fn recategorize(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ConversationPatch>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::recategorize(tx, &caller, &id, &req.category_id).await })
        }))
        .await?;
    Ok(Json(s))
}
