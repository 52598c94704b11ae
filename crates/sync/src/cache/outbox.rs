//! The outbox: replies and notes written locally, waiting to be sent with
//! their `client_id` as the idempotency key, and what the server said of them.

use chrono::{DateTime, Utc};
use switchboard_api::{Agent, Message, MessageKind};

use super::apply::delivery_json;
use super::rows::{ms, outbox_item};
use super::types::{OutboxItem, SendState};
use super::Cache;
use crate::error::Result;

impl Cache {
    /// Writes a reply or note into the outbox: visible at once in the
    /// conversation, marked pending, with a fresh UUID as its `client_id`.
    pub async fn queue_message(
        &self,
        conversation_id: &str,
        body: &str,
        internal: bool,
        author: &Agent,
        at: DateTime<Utc>,
    ) -> Result<OutboxItem> {
        let client_id = uuid::Uuid::new_v4().to_string();
        let kind = if internal {
            MessageKind::Note
        } else {
            MessageKind::Agent
        };
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, kind, author, author_id, body, created_at, client_id, pending) \
             VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        )
        .bind(conversation_id)
        .bind(kind.as_str())
        .bind(&author.name)
        .bind(&author.id)
        .bind(body)
        .bind(ms(at))
        .bind(&client_id)
        .execute(&self.writer)
        .await?;
        Ok(OutboxItem {
            client_id,
            conversation_id: conversation_id.to_owned(),
            body: body.to_owned(),
            internal,
            send_state: SendState::Pending,
        })
    }

    /// Pending and failed outbox items, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(
            "SELECT * FROM messages WHERE id IS NULL AND pending IS NOT NULL ORDER BY local_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_item).collect()
    }

    /// The oldest pending outbox item (the next to send).
    pub async fn next_pending(&self) -> Result<Option<OutboxItem>> {
        let row = sqlx::query(
            "SELECT * FROM messages WHERE id IS NULL AND pending = 'pending' ORDER BY local_id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(outbox_item).transpose()
    }

    /// The server has the item: the outbox row becomes the server's message
    /// (unless the server's `message.created` already did that).
    pub async fn confirm_sent(&self, client_id: &str, msg: &Message) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE messages SET id = ?, conversation_id = ?, kind = ?, author = ?, author_id = ?, body = ?, \
             created_at = ?, delivery = ?, pending = NULL, error_code = NULL, error_message = NULL \
             WHERE client_id = ? AND id IS NULL AND NOT EXISTS (SELECT 1 FROM messages WHERE id = ?)",
        )
        .bind(&msg.id)
        .bind(&msg.conversation_id)
        .bind(msg.kind.as_str())
        .bind(&msg.author)
        .bind(&msg.author_id)
        .bind(&msg.body)
        .bind(ms(msg.created_at))
        .bind(delivery_json(msg))
        .bind(client_id)
        .bind(&msg.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            // Already there under its server id: drop the local copy.
            sqlx::query("DELETE FROM messages WHERE client_id = ? AND id IS NULL")
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The server refused the item for good: keep it, marked failed.
    pub async fn mark_failed(&self, client_id: &str, code: &str, message: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET pending = 'failed', error_code = ?, error_message = ? WHERE client_id = ? AND id IS NULL",
        )
        .bind(code)
        .bind(message)
        .bind(client_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Gives an item a new idempotency key (its old one is taken on the server).
    pub async fn renew_client_id(&self, client_id: &str) -> Result<String> {
        let fresh = uuid::Uuid::new_v4().to_string();
        sqlx::query("UPDATE messages SET client_id = ? WHERE client_id = ? AND id IS NULL")
            .bind(&fresh)
            .bind(client_id)
            .execute(&self.writer)
            .await?;
        Ok(fresh)
    }

    /// Puts a failed item back in line. Returns its conversation, if found.
    pub async fn retry(&self, client_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE messages SET pending = 'pending', error_code = NULL, error_message = NULL \
             WHERE client_id = ? AND id IS NULL RETURNING conversation_id",
        )
        .bind(client_id)
        .fetch_optional(&self.writer)
        .await?)
    }

    /// Removes an unsent item. Returns its conversation, if found.
    pub async fn discard(&self, client_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM messages WHERE client_id = ? AND id IS NULL RETURNING conversation_id",
        )
        .bind(client_id)
        .fetch_optional(&self.writer)
        .await?)
    }
}
