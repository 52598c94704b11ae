//! A conversation's life with the team: claim (the overdue-first rule of
//! `switchboard_core::claim`), replies and notes, transfer, resolve, reopen,
//! re-categorize.

use super::*;
use crate::store::db::{self};

/// An agent claims a queued conversation.
pub async fn claim(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    // The caller was read with their token for this request; the claim rule
    // needs their status, role and skills (capacity steers routing only).
    let load_me = switchboard_core::eligibility::AgentLoad {
        id: caller.id.clone(),
        role: caller.role,
        status: caller.status,
        categories: caller.categories.clone(),
        capacity: 0,
        open: 0,
    };
    let category_id = conv.category_id.clone().unwrap_or_default();
    let target = ClaimTarget {
        id: &conv.id,
        category_id: &category_id,
        state: conv.state,
        assignee_id: conv.assignee_id.as_deref(),
        waiting_since: conv.waiting_since(),
    };
    // The queue this claim is weighed against, exactly as the rule states
    // it (`claim::candidates`), with each category's threshold.
    let mut queue = Vec::new();
    if let Some(c) = candidates(&load_me, &target, tx.now) {
        let cats = c.categories.as_deref();
        if cats.is_none_or(|cats| !cats.is_empty()) {
            let in_categories = match cats {
                None => String::new(),
                Some(cats) => {
                    let marks: Vec<String> =
                        (0..cats.len()).map(|i| format!("${}", i + 2)).collect();
                    format!(" AND c.category_id IN ({})", marks.join(", "))
                }
            };
            let sql = format!(
                "SELECT {} FROM {} WHERE c.state = 'queued' AND c.queued_at <= $1{in_categories} ORDER BY c.queued_at, c.id",
                rows::CONV_COLS,
                rows::CONV_FROM
            );
            let mut query = db::query(&sql).bind(c.queued_no_later_than.timestamp_millis());
            for cat in cats.unwrap_or_default() {
                query = query.bind(cat);
            }
            for r in &query.fetch_all(&mut *tx).await? {
                let c = ConvRow::from_row(r)?;
                if let (Some(cat), Some(since)) = (c.category_id.clone(), c.waiting_since()) {
                    queue.push(QueuedItem {
                        id: c.id,
                        category_id: cat,
                        waiting_since: since,
                        threshold_secs: c.threshold_secs,
                    });
                }
            }
        }
    }
    match decide_claim(&load_me, &target, &queue, tx.now)? {
        ClaimDecision::AlreadyYours => Ok(conv.summary(tx.now)),
        ClaimDecision::Take {
            waited_secs,
            skipped_older,
        } => {
            if !set_assignee(tx, &conv, ConversationState::Queued, &caller.id, "claim").await? {
                let holder = load(tx, id).await?.assignee_id.unwrap_or_default();
                return Err(AppError::Conflict {
                    code: "already_assigned",
                    message: "conversation is already assigned to another agent".into(),
                    conversation_id: None,
                    assignee_id: Some(holder),
                });
            }
            db::query(
                "INSERT INTO claims (conversation_id, agent_id, at, waited_secs, skipped_older) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&conv.id)
            .bind(&caller.id)
            .bind(tx.now.timestamp_millis())
            .bind(i64::try_from(waited_secs).unwrap_or(i64::MAX))
            .bind(i64::from(skipped_older))
            .execute(&mut *tx)
            .await?;
            let now_row = load(tx, id).await?;
            system_line(tx, &now_row, &format!("Claimed by {}", caller.name)).await?;
            let after = conv_updated(tx, &conv, Change::Claimed, Some(&caller.id)).await?;
            Ok(after.summary(tx.now))
        }
    }
}

/// Where a public reply goes out: implemented above the domain (by the
/// channels, which know each protocol's outbox row), called by
/// [`post_message`] inside the reply's own transaction so a reply and its
/// delivery are stored together or not at all.
pub trait Outbound: Sync {
    /// Queues `msg` (a public reply on `conv`) for sending; the delivery
    /// state when the conversation's channel sends replies out.
    fn reply_posted<'a>(
        &'a self,
        tx: &'a mut Tx,
        conv: &'a ConvRow,
        msg: &'a Message,
    ) -> BoxFuture<'a, AppResult<Option<Delivery>>>;
}

/// Maximum length of a message body, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A reply or an internal note by an agent (`req`: body, `internal`,
/// `client_id`, `attachment_ids`). Same `client_id` again → the same message.
pub async fn post_message(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    req: &NewMessage,
    outbound: &dyn Outbound,
) -> AppResult<(Message, bool)> {
    let (body, internal, client_id) = (req.body.as_str(), req.internal, req.client_id.as_deref());
    let attachment_ids = req.attachment_ids.as_slice();
    if let Some(cid) = client_id {
        if cid.is_empty() || cid.len() > 128 {
            return Err(AppError::invalid(
                "invalid_client_id",
                "client_id must be 1 to 128 characters",
            ));
        }
        let existing = db::query(&format!(
            "SELECT {} FROM messages WHERE author_id = $1 AND client_id = $2",
            rows::MSG_COLS
        ))
        .bind(&caller.id)
        .bind(cid)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = existing {
            let mut m = rows::message_from_row(&r)?;
            if m.conversation_id != id {
                return Err(AppError::conflict(
                    "client_id_reused",
                    "this client_id was already used for a message in another conversation",
                ));
            }
            m.attachments = crate::store::files::of_message(&mut *tx, &m.id)
                .await?
                .iter()
                .map(|f| f.info())
                .collect();
            return Ok((m, false));
        }
    }
    let body = body.trim_end();
    // A reply with files may have no text; without files it may not.
    if body.trim().is_empty() && attachment_ids.is_empty() {
        return Err(AppError::invalid(
            "empty_body",
            "the message is empty: write something or attach a file",
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::invalid(
            "body_too_long",
            format!("messages are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    let conv = load_visible(tx, caller, id).await?;
    let viewer = caller.viewer();
    let kind = if internal {
        MessageKind::Note
    } else {
        if !viewer.can_reply(conv.scope()) {
            return Err(AppError::forbidden(
                "not_assignee",
                "only the agent this conversation is assigned to may reply; claim it first or write an internal note",
            ));
        }
        MessageKind::Agent
    };
    let files = super::uploads::check(tx, caller, attachment_ids).await?;
    let now = tx.now.timestamp_millis();
    // Written without its event: the event carries the files, linked first.
    let mut msg = insert_message(
        tx,
        &conv,
        NewMsg {
            kind,
            author: &caller.name,
            author_id: Some(&caller.id),
            body,
            client_id,
            id: None,
            at: None,
        },
        false,
    )
    .await?;
    super::uploads::link(tx, &conv.id, &msg.id, &files).await?;
    msg.attachments = files;
    append_event(
        tx,
        EventPayload::MessageCreated(MessageCreated {
            message: msg.clone(),
        }),
        Some(&conv.id),
        conv_visibility(None, &conv),
    )
    .await?;
    if kind == MessageKind::Agent {
        // A public reply goes out over the conversation's channel, queued
        // in this same transaction.
        msg.delivery = outbound.reply_posted(tx, &conv, &msg).await?;
        db::query(
            "UPDATE conversations SET unanswered_since = NULL, updated_at = $1, preview = $2, \
             first_response_agent_id = CASE WHEN first_response_at IS NULL THEN $3 ELSE first_response_agent_id END, \
             first_response_at = COALESCE(first_response_at, $1) WHERE id = $4",
        )
        .bind(now)
        .bind(super::preview_with_files(body, &msg.attachments))
        .bind(&caller.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        conv_updated(tx, &conv, Change::Touched, Some(&caller.id)).await?;
    }
    Ok((msg, true))
}

/// Transfers to an agent or to a category's queue, with an optional note.
pub async fn transfer(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    req: &TransferRequest,
) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    if !caller.viewer().can_manage(conv.scope()) {
        return Err(AppError::forbidden(
            "not_assignee",
            "only the assignee or an admin may transfer this conversation",
        ));
    }
    if conv.state == ConversationState::Resolved {
        return Err(AppError::conflict(
            "conversation_resolved",
            "reopen the conversation before transferring it",
        ));
    }
    let note = req.note.as_deref().filter(|n| !n.trim().is_empty());
    if note.is_some_and(|n| n.len() > MAX_BODY_BYTES) {
        return Err(AppError::invalid("body_too_long", "the note is too long"));
    }
    let from = match conv.assignee_id.as_deref() {
        Some(a) => agent_name(tx, a).await?,
        None => "the queue".to_owned(),
    };
    match (req.to_agent_id.as_deref(), req.to_category_id.as_deref()) {
        (Some(agent_id), None) => {
            let target = rows::agent(&mut *tx, agent_id).await?.ok_or_else(|| {
                AppError::invalid("unknown_agent", format!("no agent `{agent_id}`"))
            })?;
            if target.status == AgentStatus::Offline {
                return Err(AppError::conflict(
                    "agent_offline",
                    format!(
                        "{} is offline; pick someone available or busy, or transfer to a category",
                        target.name
                    ),
                ));
            }
            if conv.assignee_id.as_deref() == Some(agent_id) {
                return Err(AppError::conflict(
                    "already_assigned",
                    "the conversation is already theirs",
                ));
            }
            if !set_assignee(tx, &conv, conv.state, agent_id, "transfer").await? {
                return Err(AppError::conflict(
                    "changed",
                    "the conversation changed meanwhile; reload and retry",
                ));
            }
            let now_row = load(tx, id).await?;
            system_line(
                tx,
                &now_row,
                &format!(
                    "Transferred from {from} to {} by {}",
                    target.name, caller.name
                ),
            )
            .await?;
        }
        (None, Some(category_id)) => {
            let cat = rows::category(&mut *tx, category_id)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("unknown_category", format!("no category `{category_id}`"))
                })?;
            set_queued(tx, &conv, Some(category_id)).await?;
            set_agent_categorized(tx, id).await?;
            let now_row = load(tx, id).await?;
            system_line(
                tx,
                &now_row,
                &format!(
                    "Transferred from {from} to the {} queue by {}",
                    cat.category.name, caller.name
                ),
            )
            .await?;
        }
        _ => {
            return Err(AppError::invalid(
                "invalid_transfer",
                "give exactly one of to_agent_id or to_category_id",
            ))
        }
    }
    // The note goes in after the handover, so its event reaches the receiver
    // (who may not have seen the conversation before) as well as the sender.
    if let Some(note) = note {
        let now_row = load(tx, id).await?;
        insert_message_seen_from(
            tx,
            Some(&conv),
            &now_row,
            NewMsg {
                kind: MessageKind::Note,
                author: &caller.name,
                author_id: Some(&caller.id),
                body: note,
                client_id: None,
                id: None,
                at: None,
            },
            true,
        )
        .await?;
    }
    let after = conv_updated(tx, &conv, Change::Transferred, Some(&caller.id)).await?;
    drain(tx).await?;
    Ok(load(tx, &after.id).await?.summary(tx.now))
}

/// Resolves a conversation (assignee or admin).
pub async fn resolve(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    if conv.state == ConversationState::Resolved {
        return Ok(conv.summary(tx.now));
    }
    if !caller.viewer().can_manage(conv.scope()) {
        return Err(AppError::forbidden(
            "not_assignee",
            "only the assignee or an admin may resolve this conversation",
        ));
    }
    let now = tx.now.timestamp_millis();
    // The resolver is credited: the assignee, or the admin closing a queued one.
    let credited = conv
        .assignee_id
        .clone()
        .unwrap_or_else(|| caller.id.clone());
    db::query("UPDATE conversations SET state = 'resolved', assignee_id = $1, updated_at = $2 WHERE id = $3")
        .bind(&credited)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    db::query("INSERT INTO resolutions (conversation_id, agent_id, at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(&credited)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let now_row = load(tx, id).await?;
    system_line(tx, &now_row, &format!("Resolved by {}", caller.name)).await?;
    let after = conv_updated(tx, &conv, Change::Resolved, Some(&caller.id)).await?;
    drain(tx).await?;
    Ok(after.summary(tx.now))
}

/// Reopens a resolved conversation. An agent who reopens it takes it (unless
/// offline); an admin's reopen follows the rule (last agent if available, else queue).
pub async fn reopen(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    if conv.state != ConversationState::Resolved {
        return Err(AppError::conflict(
            "not_resolved",
            "only resolved conversations can be reopened",
        ));
    }
    if caller.role == Role::Agent && caller.status != AgentStatus::Offline {
        if !set_assignee(tx, &conv, ConversationState::Resolved, &caller.id, "reopen").await? {
            return Err(AppError::conflict(
                "changed",
                "the conversation changed meanwhile; reload and retry",
            ));
        }
        let now_row = load(tx, id).await?;
        system_line(tx, &now_row, &format!("Reopened by {}", caller.name)).await?;
        let after = conv_updated(tx, &conv, Change::Reopened, Some(&caller.id)).await?;
        return Ok(after.summary(tx.now));
    }
    let after = reopen_by_rule(tx, &conv, Some(&caller.id)).await?;
    Ok(after.summary(tx.now))
}

/// Records that an agent chose (or confirmed) the conversation's category.
pub(super) async fn set_agent_categorized(tx: &mut Tx, id: &str) -> AppResult<()> {
    db::query(
        "UPDATE conversations SET category_source = 'agent', category_confidence = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Changes a conversation's category (anyone who sees it, while it is open).
pub async fn recategorize(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    category_id: &str,
) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    let cat = rows::category(&mut *tx, category_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid("unknown_category", format!("no category `{category_id}`"))
        })?;
    if conv.category_id.as_deref() == Some(category_id) {
        // Setting the category it has confirms it (a label for the classifier).
        set_agent_categorized(tx, id).await?;
        return Ok(load(tx, id).await?.summary(tx.now));
    }
    set_agent_categorized(tx, id).await?;
    db::query("UPDATE conversations SET category_id = $1, updated_at = $2 WHERE id = $3")
        .bind(category_id)
        .bind(tx.now.timestamp_millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let now_row = load(tx, id).await?;
    system_line(
        tx,
        &now_row,
        &format!("Category set to {} by {}", cat.category.name, caller.name),
    )
    .await?;
    let after = conv_updated(tx, &conv, Change::Recategorized, Some(&caller.id)).await?;
    if after.state == ConversationState::Queued {
        route_one(tx, &after).await?;
    }
    Ok(load(tx, id).await?.summary(tx.now))
}
