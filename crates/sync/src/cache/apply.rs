//! Applying the server's event log (and whole conversations, agents and
//! categories fetched beside it) to the cache, one transaction per page.

use sqlx::sqlite::SqliteConnection;
use switchboard_api::events::{Change, EventPayload};
use switchboard_api::{Agent, Category, Conversation, ConversationSummary, Event, Message, Role};
use switchboard_core::visibility::{Scope, Viewer};

use super::customers::upsert_customer;
use super::rows::{attachments_json, corrupt, json_list, ms};
use super::saved_replies::{delete_saved_reply, may_keep, upsert_saved_reply};
use super::search;
use super::tags;
use super::types::{Applied, Changes};
use super::{cursor_of, me_of, set_meta, Cache, CURSOR, ME, MESSAGE_UPDATED};
use crate::error::Result;

impl Cache {
    /// Applies one page of events and moves the cursor to `next`, in one
    /// transaction. Events at or below the stored cursor are skipped.
    pub async fn apply_page(&self, events: &[Event], next: i64) -> Result<Applied> {
        let mut tx = self.writer.begin().await?;
        let cursor = cursor_of(&mut tx).await?;
        let mut me = me_of(&mut tx).await?;
        let mut out = Applied::default();
        for ev in events {
            if ev.seq <= cursor {
                continue;
            }
            if ev.kind == MESSAGE_UPDATED {
                // A message changed after it was written: the whole message
                // comes along; keep its text current.
                if let Some(m) = ev
                    .data
                    .get("message")
                    .and_then(|m| serde_json::from_value::<Message>(m.clone()).ok())
                {
                    update_message(&mut tx, &m).await?;
                    out.changes.conversations.insert(m.conversation_id);
                }
                continue;
            }
            let payload = match ev.payload() {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(seq = ev.seq, kind = %ev.kind, error = %e, "skipping an event this client cannot read");
                    continue;
                }
            };
            apply_one(&mut tx, &mut me, payload, &mut out).await?;
        }
        let new_cursor = cursor.max(next);
        set_meta(&mut tx, CURSOR, &new_cursor.to_string()).await?;
        tx.commit().await?;
        out.cursor = new_cursor;
        Ok(out)
    }

    /// Stores a conversation fetched whole (`GET /conversations/{id}`): its
    /// summary (unless the cache already has a newer one) and every message.
    /// A conversation the agent may not see is not stored.
    pub async fn store_conversation(&self, conv: &Conversation) -> Result<Changes> {
        let mut tx = self.writer.begin().await?;
        let me = me_of(&mut tx).await?;
        let mut changes = Changes::default();
        let id = conv.summary.id.clone();
        if let Some(me) = &me {
            if !visible(me, &conv.summary) {
                return Ok(changes);
            }
        }
        upsert_conversation(&mut tx, &conv.summary, true).await?;
        for m in &conv.messages {
            insert_message(&mut tx, m).await?;
        }
        tx.commit().await?;
        changes.conversations.insert(id);
        Ok(changes)
    }

    /// Replaces the agents table with the server's list (fresh loads).
    pub async fn store_agents(&self, agents: &[Agent]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM agents").execute(&mut *tx).await?;
        for a in agents {
            upsert_agent(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the categories table with the server's list (categories made
    /// at setup time have no event).
    pub async fn store_categories(&self, categories: &[Category]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM categories")
            .execute(&mut *tx)
            .await?;
        for c in categories {
            upsert_category(&mut tx, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

pub(super) fn visible(me: &Agent, s: &ConversationSummary) -> bool {
    Viewer {
        id: &me.id,
        role: me.role,
        categories: &me.categories,
    }
    .can_view(Scope {
        category_id: s.category_id.as_deref(),
        assignee_id: s.assignee_id.as_deref(),
    })
}

async fn apply_one(
    conn: &mut SqliteConnection,
    me: &mut Option<Agent>,
    payload: EventPayload,
    out: &mut Applied,
) -> Result<()> {
    match payload {
        EventPayload::ConversationCreated(p) => {
            conversation_event(conn, me.as_ref(), &p.conversation, true, out).await?;
        }
        EventPayload::ConversationUpdated(p) => {
            // Holders' loads moved (they are not in the log: refetched).
            out.loads_changed |= !matches!(
                p.change,
                Change::Touched | Change::Overdue | Change::Recategorized | Change::Tagged
            );
            conversation_event(conn, me.as_ref(), &p.conversation, false, out).await?;
        }
        EventPayload::MessageCreated(p) => {
            let m = &p.message;
            let known: Option<i64> =
                sqlx::query_scalar("SELECT complete FROM conversations WHERE id = ?")
                    .bind(&m.conversation_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            match known {
                Some(_) => {
                    insert_message(conn, m).await?;
                }
                // The server only sends what we may see: a conversation we
                // lack (e.g. a category gained) must be fetched whole.
                None => {
                    out.fetch.insert(m.conversation_id.clone());
                }
            }
            out.changes.conversations.insert(m.conversation_id.clone());
        }
        EventPayload::AgentUpdated(p) => {
            upsert_agent(conn, &p.agent).await?;
            out.changes.agents = true;
            if let Some(current) = me.as_ref().filter(|m| m.id == p.agent.id) {
                let gained = p
                    .agent
                    .categories
                    .iter()
                    .any(|c| !current.categories.contains(c))
                    || (p.agent.role == Role::Admin && current.role != Role::Admin);
                out.gained_categories |= gained;
                set_meta(conn, ME, &serde_json::to_string(&p.agent).map_err(corrupt)?).await?;
                *me = Some(p.agent);
                if let Some(me) = me.as_ref() {
                    prune_invisible(conn, me, out).await?;
                }
            }
        }
        EventPayload::CategoryUpdated(p) => {
            upsert_category(conn, &p.category).await?;
            out.changes.categories = true;
        }
        // The server sends a personal reply's events to its owner alone;
        // the cache checks again all the same.
        EventPayload::SavedReplyUpdated(p)
            if me.as_ref().is_none_or(|me| may_keep(me, &p.saved_reply)) =>
        {
            upsert_saved_reply(conn, &p.saved_reply).await?;
            out.changes.saved_replies = true;
        }
        EventPayload::SavedReplyDeleted(p) => {
            delete_saved_reply(conn, &p.id).await?;
            out.changes.saved_replies = true;
        }
        EventPayload::CustomerUpdated(p) => {
            upsert_customer(conn, &p.customer).await?;
            out.changes.customers = true;
        }
        EventPayload::ConversationMerged(p) => {
            // Merged: from the absorbed one to the kept one; undone: back.
            // A side not cached comes whole with its own event.
            let (from, to) = if p.undone {
                (&p.kept_id, &p.absorbed_id)
            } else {
                (&p.absorbed_id, &p.kept_id)
            };
            move_messages(conn, from, to, &p.moved).await?;
            out.changes.conversations.insert(p.kept_id.clone());
            out.changes.conversations.insert(p.absorbed_id.clone());
        }
        EventPayload::TagUpdated(p) => {
            tags::upsert(conn, &p.tag).await?;
            out.changes.tags = true;
        }
        EventPayload::TagDeleted(p) => {
            let untagged = tags::delete(conn, &p.id).await?;
            out.changes.tags = true;
            out.changes.conversations.extend(untagged);
        }
        // Unknown types (a newer server), and kinds this version does not
        // keep (e.g. a message's channel delivery status).
        _ => {}
    }
    Ok(())
}

async fn conversation_event(
    conn: &mut SqliteConnection,
    me: Option<&Agent>,
    s: &ConversationSummary,
    created: bool,
    out: &mut Applied,
) -> Result<()> {
    out.changes.conversations.insert(s.id.clone());
    if me.is_some_and(|me| !visible(me, s)) {
        // It left our view (transferred away, say): forget it.
        delete_conversation(conn, &s.id).await?;
        out.fetch.remove(&s.id);
        return Ok(());
    }
    let complete: Option<i64> =
        sqlx::query_scalar("SELECT complete FROM conversations WHERE id = ?")
            .bind(&s.id)
            .fetch_optional(&mut *conn)
            .await?;
    upsert_conversation(conn, s, created).await?;
    if !created && complete.unwrap_or(0) == 0 {
        // Came into view without its history having reached us.
        out.fetch.insert(s.id.clone());
    }
    Ok(())
}

async fn prune_invisible(conn: &mut SqliteConnection, me: &Agent, out: &mut Applied) -> Result<()> {
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, category_id, assignee_id FROM conversations")
            .fetch_all(&mut *conn)
            .await?;
    let viewer = Viewer {
        id: &me.id,
        role: me.role,
        categories: &me.categories,
    };
    for (id, cat, asg) in rows {
        if !viewer.can_view(Scope {
            category_id: cat.as_deref(),
            assignee_id: asg.as_deref(),
        }) {
            delete_conversation(conn, &id).await?;
            out.fetch.remove(&id);
            out.changes.conversations.insert(id);
        }
    }
    Ok(())
}

pub(super) async fn delete_conversation(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM conversations WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    // Unsent items stay: the outbox will report what the server says of them.
    sqlx::query("DELETE FROM messages WHERE conversation_id = ? AND id IS NOT NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn upsert_conversation(
    conn: &mut SqliteConnection,
    s: &ConversationSummary,
    complete: bool,
) -> Result<()> {
    upsert_conversation_row(conn, s, complete).await?;
    search::index_conversation(conn, &s.id).await
}

/// [`upsert_conversation`] without the search index (a snapshot page: its
/// conversations are indexed in the background afterwards).
pub(super) async fn upsert_conversation_row(
    conn: &mut SqliteConnection,
    s: &ConversationSummary,
    complete: bool,
) -> Result<()> {
    // A summary older than the cached one (a page replayed after a fetch)
    // does not overwrite it; `complete` only ever goes from 0 to 1.
    sqlx::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, customer_phone, subject, \
         category_id, state, assignee_id, created_at, updated_at, waiting_since, first_response_at, preview, complete, customer_id, tags, snoozed_until, merged_into) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET \
           merged_into = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.merged_into ELSE conversations.merged_into END, \
           tags = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.tags ELSE conversations.tags END, \
           snoozed_until = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.snoozed_until ELSE conversations.snoozed_until END, \
           customer_id = COALESCE(CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_id END, conversations.customer_id), \
           channel = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.channel ELSE conversations.channel END, \
           customer_name = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_name ELSE conversations.customer_name END, \
           customer_email = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_email ELSE conversations.customer_email END, \
           customer_phone = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_phone ELSE conversations.customer_phone END, \
           subject = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.subject ELSE conversations.subject END, \
           category_id = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.category_id ELSE conversations.category_id END, \
           state = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.state ELSE conversations.state END, \
           assignee_id = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.assignee_id ELSE conversations.assignee_id END, \
           waiting_since = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.waiting_since ELSE conversations.waiting_since END, \
           first_response_at = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.first_response_at ELSE conversations.first_response_at END, \
           preview = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.preview ELSE conversations.preview END, \
           updated_at = MAX(excluded.updated_at, conversations.updated_at), \
           complete = MAX(excluded.complete, conversations.complete)",
    )
    .bind(&s.id)
    .bind(s.channel.as_str())
    .bind(&s.customer.name)
    .bind(&s.customer.email)
    .bind(&s.customer.phone)
    .bind(&s.subject)
    .bind(&s.category_id)
    .bind(s.state.as_str())
    .bind(&s.assignee_id)
    .bind(ms(s.created_at))
    .bind(ms(s.updated_at))
    .bind(s.waiting_since.map(ms))
    .bind(s.first_response_at.map(ms))
    .bind(&s.preview)
    .bind(i64::from(complete))
    .bind(&s.customer_id)
    .bind(json_list(&s.tags))
    .bind(s.snoozed_until.map(ms))
    .bind(&s.merged_into)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves messages `ids` from conversation `from` to `to`, with their search
/// documents.
async fn move_messages(
    conn: &mut SqliteConnection,
    from: &str,
    to: &str,
    ids: &[String],
) -> Result<()> {
    for id in ids {
        sqlx::query("UPDATE messages SET conversation_id = ? WHERE id = ? AND conversation_id = ?")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE search_docs SET conversation_id = ? WHERE doc_id = ? AND conversation_id = ?",
        )
        .bind(to)
        .bind(id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts a server message once, and indexes it. If it carries the
/// `client_id` of one of our outbox items, that row becomes the message (the
/// event beat the POST's answer).
pub(super) async fn insert_message(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    insert_message_row(conn, m).await?;
    search::index_message(conn, m).await
}

/// [`insert_message`] without the search index (a snapshot page).
pub(super) async fn insert_message_row(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    if let Some(cid) = &m.client_id {
        let done = sqlx::query(
            "UPDATE messages SET id = ?, conversation_id = ?, kind = ?, author = ?, body = ?, created_at = ?, \
             delivery = ?, from_other_address = ?, from_address = ?, attachments = ?, \
             pending = NULL, error_code = NULL, error_message = NULL \
             WHERE client_id = ? AND id IS NULL AND author_id IS ? \
             AND NOT EXISTS (SELECT 1 FROM messages WHERE id = ?)",
        )
        .bind(&m.id)
        .bind(&m.conversation_id)
        .bind(m.kind.as_str())
        .bind(&m.author)
        .bind(&m.body)
        .bind(ms(m.created_at))
        .bind(delivery_json(m))
        .bind(m.from_other_address)
        .bind(&m.from_address)
        .bind(attachments_json(m))
        .bind(cid)
        .bind(&m.author_id)
        .bind(&m.id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done > 0 {
            return Ok(());
        }
    }
    // Seen again (a conversation fetched whole, a page replayed): the
    // delivery, the sender's flag and the files follow the server's copy.
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, kind, author, author_id, body, created_at, client_id, delivery, \
         from_other_address, from_address, attachments, pending) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(id) DO UPDATE SET delivery = excluded.delivery, \
         from_other_address = excluded.from_other_address, from_address = excluded.from_address, \
         attachments = excluded.attachments",
    )
    .bind(&m.id)
    .bind(&m.conversation_id)
    .bind(m.kind.as_str())
    .bind(&m.author)
    .bind(&m.author_id)
    .bind(&m.body)
    .bind(ms(m.created_at))
    .bind(&m.client_id)
    .bind(delivery_json(m))
    .bind(m.from_other_address)
    .bind(&m.from_address)
    .bind(attachments_json(m))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The delivery state of a message as stored: JSON, or NULL.
pub(super) fn delivery_json(m: &Message) -> Option<String> {
    m.delivery
        .as_ref()
        .and_then(|d| serde_json::to_string(d).ok())
}

async fn update_message(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE messages SET body = ?, author = ?, delivery = ?, from_other_address = ?, from_address = ?, \
         attachments = ? \
         WHERE id = ?",
    )
    .bind(&m.body)
    .bind(&m.author)
    .bind(delivery_json(m))
    .bind(m.from_other_address)
    .bind(&m.from_address)
    .bind(attachments_json(m))
    .bind(&m.id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(());
    }
    search::reindex_message(conn, m).await
}

async fn upsert_agent(conn: &mut SqliteConnection, a: &Agent) -> Result<()> {
    sqlx::query(
        "INSERT INTO agents (id, name, email, role, status, categories, capacity, open_conversations) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, \
         email = excluded.email, role = excluded.role, status = excluded.status, \
         categories = excluded.categories, capacity = excluded.capacity, \
         open_conversations = excluded.open_conversations",
    )
    .bind(&a.id)
    .bind(&a.name)
    .bind(&a.email)
    .bind(a.role.as_str())
    .bind(a.status.as_str())
    .bind(json_list(&a.categories))
    .bind(i64::from(a.capacity))
    .bind(i64::from(a.open_conversations))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn upsert_category(conn: &mut SqliteConnection, c: &Category) -> Result<()> {
    sqlx::query(
        "INSERT INTO categories (id, name, routing, wait_threshold_secs, keywords) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, routing = excluded.routing, \
         wait_threshold_secs = excluded.wait_threshold_secs, keywords = excluded.keywords",
    )
    .bind(&c.id)
    .bind(&c.name)
    .bind(c.routing.as_str())
    .bind(i64::try_from(c.wait_threshold_secs).unwrap_or(i64::MAX))
    .bind(json_list(&c.keywords))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
