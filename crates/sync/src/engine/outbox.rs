//! The outbox's side of the engine: queuing replies and notes (with their
//! files), sending what waits in order, and the server's files.
//!
//! Sending an item: first its files not uploaded yet, one by one, each
//! `upload_id` stored as soon as the server answers (so a retry after a
//! lost connection or a crash never uploads a file again), then the message
//! with the `attachment_ids` in the files' order under the item's
//! `client_id` (so a retry after a lost answer yields the same message).

use chrono::Utc;
use switchboard_api::{ClientError, NewMessage};

use super::{Engine, Shared};
use crate::cache::{NewFile, OutboxFile, OutboxItem};
use crate::error::{is_transient, Result};

impl Engine {
    /// Queues a public reply: in the cache at once (pending), sent when online.
    pub async fn queue_reply(&self, conversation_id: &str, body: &str) -> Result<OutboxItem> {
        self.queue_message_with_files(conversation_id, body, false, Vec::new())
            .await
    }

    /// Queues an internal note: in the cache at once (pending), sent when online.
    pub async fn queue_note(&self, conversation_id: &str, body: &str) -> Result<OutboxItem> {
        self.queue_message_with_files(conversation_id, body, true, Vec::new())
            .await
    }

    /// Queues a reply (`internal` false) or a note with files: each file is
    /// copied into the cache's outbox folder at once (the original may then
    /// be moved or deleted) and the item is written with them in one
    /// transaction; pending, uploaded and sent when online. Errors:
    /// `unreadable_file` (naming the file), `too_many_attachments` (over
    /// [`crate::MAX_FILES`]), `missing_filename`. Notes take files too (the
    /// server keeps them, and never sends them to the customer).
    pub async fn queue_message_with_files(
        &self,
        conversation_id: &str,
        body: &str,
        internal: bool,
        files: Vec<NewFile>,
    ) -> Result<OutboxItem> {
        let me = match self.shared.cache.me().await? {
            Some(me) => me,
            None => self.shared.session.agent.clone(),
        };
        let item = self
            .shared
            .cache
            .queue_message_with_files(conversation_id, body, internal, &me, Utc::now(), &files)
            .await?;
        self.shared.touched(conversation_id);
        self.shared.outbox_wake.notify_one();
        Ok(item)
    }

    /// Puts a failed outbox item back in line.
    pub async fn retry_outbox(&self, client_id: &str) -> Result<()> {
        if let Some(c) = self.shared.cache.retry(client_id).await? {
            self.shared.touched(&c);
            self.shared.outbox_wake.notify_one();
        }
        Ok(())
    }

    /// Drops an unsent outbox item (and the copies of its files).
    pub async fn discard_outbox(&self, client_id: &str) -> Result<()> {
        if let Some(c) = self.shared.cache.discard(client_id).await? {
            self.shared.touched(&c);
        }
        Ok(())
    }

    /// The bytes of a message's file (`CachedMessage::attachments`, by id),
    /// from the server (`offline` when it cannot be reached; `not_found`
    /// for a file this agent may not see). The cache keeps no file bytes.
    pub async fn attachment_bytes(&self, id: &str) -> Result<Vec<u8>> {
        Ok(self.shared.session.download(id).await?)
    }
}

impl Shared {
    /// Sends pending outbox items in order. A transient failure stops here
    /// (the item stays pending and the connection is retried); a refusal
    /// (of a file or of the message) marks the item failed with the
    /// server's code and goes on with the next.
    pub(super) async fn flush_outbox(&self) -> Result<()> {
        while let Some(item) = self.cache.next_pending().await? {
            self.send(&item).await?;
            self.touched(&item.conversation_id);
        }
        // Files of items the server's echo settled before their answer.
        self.cache.tidy_outbox_files().await
    }

    /// Uploads the item's files still to upload, then posts it. Returns
    /// when the server has it, refused it (marked failed), or it is to be
    /// sent again (still pending: the next in line again).
    async fn send(&self, item: &OutboxItem) -> Result<()> {
        let client_id = item.client_id.as_str();
        let files = self.cache.item_files(client_id).await?;
        // Uploads of an earlier attempt (a held file's id is the saved
        // reply's, never uploaded here).
        let reused = files.iter().any(|f| f.upload_id.is_some() && !f.held);
        let mut attachment_ids = Vec::with_capacity(files.len());
        for f in &files {
            match self.upload(client_id, f).await? {
                Some(id) => attachment_ids.push(id),
                None => return Ok(()),
            }
        }
        let req = NewMessage {
            body: item.body.clone(),
            internal: item.internal,
            client_id: Some(client_id.to_owned()),
            attachment_ids,
        };
        match self.session.post_message(&item.conversation_id, &req).await {
            Ok(msg) => self.cache.confirm_sent(client_id, &msg).await?,
            Err(e) if e.code() == Some("client_id_reused") => {
                // Our key is taken by a message elsewhere (not this one):
                // send it again under a fresh key (the files and their
                // uploads go with it).
                self.cache.renew_client_id(client_id).await?;
            }
            Err(e) if e.code() == Some("unknown_upload") && reused => {
                // Uploads from an earlier attempt the server no longer has
                // (unattached ones are removed after a day): upload them
                // again. Once: the next attempt has only fresh uploads.
                self.cache.forget_upload_ids(client_id).await?;
            }
            Err(e) => self.refused(client_id, e).await?,
        }
        Ok(())
    }

    /// File `f` of item `client_id` on the server: its upload id, uploaded
    /// now unless it already was. `None`: refused (the item is marked failed).
    async fn upload(&self, client_id: &str, f: &OutboxFile) -> Result<Option<String>> {
        if let Some(id) = &f.upload_id {
            return Ok(Some(id.clone()));
        }
        let bytes = match tokio::fs::read(&f.path).await {
            Ok(b) => b,
            Err(e) => {
                let message = format!("{}: the outbox's copy cannot be read: {e}", f.filename);
                self.cache
                    .mark_failed(client_id, "file_missing", &message)
                    .await?;
                return Ok(None);
            }
        };
        match self.session.upload(&f.filename, bytes).await {
            Ok(up) => {
                // Kept before anything else happens: never uploaded twice.
                self.cache.set_upload_id(client_id, f.seq, &up.id).await?;
                Ok(Some(up.id))
            }
            Err(e) => {
                self.refused(client_id, e).await?;
                Ok(None)
            }
        }
    }

    /// The server did not take the item: a transient failure is returned
    /// (retried later); anything else marks the item failed with the
    /// server's code and message.
    async fn refused(&self, client_id: &str, e: ClientError) -> Result<()> {
        match e {
            e if is_transient(&e) => Err(e.into()),
            ClientError::Api { detail, .. } => {
                self.cache
                    .mark_failed(client_id, &detail.code, &detail.message)
                    .await
            }
            e => {
                self.cache
                    .mark_failed(client_id, "bad_response", &e.to_string())
                    .await
            }
        }
    }
}
