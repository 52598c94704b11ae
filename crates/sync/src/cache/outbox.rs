//! The outbox: replies and notes written locally (with their files, see
//! `outbox_files`), waiting to be sent with their `client_id` as the
//! idempotency key, and what the server said of them.

use chrono::{DateTime, Utc};
use switchboard_api::{Agent, Message, MessageKind};

use super::apply::delivery_json;
use super::outbox_files::{
    copies, insert_files, pending_files, remove_copies, take_files, Copied, NewFile,
};
use super::rows::{attachments_json, ms, outbox_item};
use super::types::{OutboxItem, PendingFile, SendState};
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
        self.queue_message_with_files(conversation_id, body, internal, author, at, &[])
            .await
    }

    /// [`Cache::queue_message`] with files: each is copied into the cache's
    /// outbox folder first, then the item and its files are written in one
    /// transaction (all of it or nothing; copies left by a failure are
    /// removed). An unreadable file fails with `unreadable_file` naming it;
    /// more than ten with `too_many_attachments`.
    pub async fn queue_message_with_files(
        &self,
        conversation_id: &str,
        body: &str,
        internal: bool,
        author: &Agent,
        at: DateTime<Utc>,
        files: &[NewFile],
    ) -> Result<OutboxItem> {
        let client_id = uuid::Uuid::new_v4().to_string();
        let copied = self.copy_in(&client_id, files).await?;
        let written = self
            .write_item(
                conversation_id,
                body,
                internal,
                author,
                at,
                &client_id,
                &copied,
            )
            .await;
        if written.is_err() {
            remove_copies(&copies(&copied)).await;
        }
        written?;
        Ok(OutboxItem {
            client_id,
            conversation_id: conversation_id.to_owned(),
            body: body.to_owned(),
            internal,
            send_state: SendState::Pending,
            files: copied
                .into_iter()
                .map(|c| PendingFile {
                    filename: c.filename,
                    size: c.size,
                })
                .collect(),
        })
    }

    /// The item's row and its files' rows, in one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn write_item(
        &self,
        conversation_id: &str,
        body: &str,
        internal: bool,
        author: &Agent,
        at: DateTime<Utc>,
        client_id: &str,
        copied: &[Copied],
    ) -> Result<()> {
        let kind = if internal {
            MessageKind::Note
        } else {
            MessageKind::Agent
        };
        let mut tx = self.writer.begin().await?;
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
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        insert_files(&mut tx, client_id, copied).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pending and failed outbox items, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT * FROM messages WHERE id IS NULL AND pending IS NOT NULL ORDER BY local_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut files = pending_files(&mut *tx, None).await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                let mut item = outbox_item(r)?;
                item.files = files.remove(&item.client_id).unwrap_or_default();
                Ok(item)
            })
            .collect()
    }

    /// The oldest pending outbox item (the next to send).
    pub async fn next_pending(&self) -> Result<Option<OutboxItem>> {
        let row = sqlx::query(
            "SELECT * FROM messages WHERE id IS NULL AND pending = 'pending' ORDER BY local_id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut item) = row.as_ref().map(outbox_item).transpose()? else {
            return Ok(None);
        };
        item.files = self
            .item_files(&item.client_id)
            .await?
            .into_iter()
            .map(|f| PendingFile {
                filename: f.filename,
                size: f.size,
            })
            .collect();
        Ok(Some(item))
    }

    /// The server has the item: the outbox row becomes the server's message
    /// (unless the server's `message.created` already did that).
    pub async fn confirm_sent(&self, client_id: &str, msg: &Message) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE messages SET id = ?, conversation_id = ?, kind = ?, author = ?, author_id = ?, body = ?, \
             created_at = ?, delivery = ?, attachments = ?, pending = NULL, error_code = NULL, error_message = NULL \
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
        .bind(attachments_json(msg))
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
        let copies = take_files(&mut tx, &self.path, client_id).await?;
        tx.commit().await?;
        remove_copies(&copies).await;
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

    /// Gives an item a new idempotency key (its old one is taken on the
    /// server); its files (and their uploads) go with it.
    pub async fn renew_client_id(&self, client_id: &str) -> Result<String> {
        let fresh = uuid::Uuid::new_v4().to_string();
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE messages SET client_id = ? WHERE client_id = ? AND id IS NULL")
            .bind(&fresh)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE outbox_files SET client_id = ? WHERE client_id = ?")
            .bind(&fresh)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
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

    /// Removes an unsent item with its files. Returns its conversation, if
    /// found.
    pub async fn discard(&self, client_id: &str) -> Result<Option<String>> {
        let mut tx = self.writer.begin().await?;
        let conversation = sqlx::query_scalar(
            "DELETE FROM messages WHERE client_id = ? AND id IS NULL RETURNING conversation_id",
        )
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
        let copies = take_files(&mut tx, &self.path, client_id).await?;
        tx.commit().await?;
        remove_copies(&copies).await;
        Ok(conversation)
    }
}
