//! Saved replies in the engine: the whole list loaded once into the cache
//! (a cache that never loaded it, or one rebuilt), and what the composer's
//! picker asks: the replies offered in a conversation, and one filled in,
//! both from the cache so they work offline.
//!
//! A fill is made from the cache (core's `fill`, the same as the server's);
//! when connected, the server's fill endpoint is called as well, in the
//! background and without waiting, so the use is counted in the metrics.
//! A fill made offline is not counted: the server never hears of it.

use chrono::{DateTime, Utc};
use switchboard_api::{AttachmentInfo, ClientError, FilledReply, SavedReply};

use super::{ConnectionState, Engine, Shared};
use crate::cache::Changes;
use crate::error::{is_transient, Result, SyncError};
use crate::saved_replies::{fill, offer};

impl Engine {
    /// The saved replies the picker offers in conversation
    /// `conversation_id` for what was typed after `/` (`query`), best match
    /// first: from the cache, filtered by the conversation's category.
    pub async fn saved_replies_for(
        &self,
        conversation_id: &str,
        query: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SavedReply>> {
        let cache = &self.shared.cache;
        let category = match cache.summary(conversation_id, now).await? {
            Some(s) => s.category_id,
            // Not cached (an old one being fetched): its category is not
            // known here; offer the replies meant for every category.
            None => None,
        };
        let replies = cache.saved_replies().await?;
        Ok(offer(&replies, query, category.as_deref()))
    }

    /// Saved reply `reply_id` filled in for conversation `conversation_id`
    /// and the signed-in agent, from the cache (works offline). When
    /// connected, the server is told of the use in the background.
    pub async fn fill_saved_reply(
        &self,
        conversation_id: &str,
        reply_id: &str,
        now: DateTime<Utc>,
    ) -> Result<FilledReply> {
        let cache = &self.shared.cache;
        let reply = cache
            .saved_reply(reply_id)
            .await?
            .ok_or_else(|| SyncError::NotFound("That saved reply no longer exists.".into()))?;
        let summary = match cache.summary(conversation_id, now).await? {
            Some(s) => s,
            None => self
                .conversation(conversation_id, now)
                .await?
                .map(|v| v.summary)
                .ok_or_else(|| SyncError::NotFound("That conversation is not available.".into()))?,
        };
        let me = match cache.me().await? {
            Some(me) => me,
            None => self.shared.session.agent.clone(),
        };
        let filled = fill(&reply, &summary, &me);
        if self.state() != ConnectionState::Offline {
            let session = self.shared.session.clone();
            let (c, r) = (conversation_id.to_owned(), reply_id.to_owned());
            tokio::spawn(async move {
                if let Err(e) = session.fill_saved_reply(&c, &r).await {
                    tracing::debug!(error = %e, "a saved reply's use was not counted");
                }
            });
        }
        Ok(filled)
    }

    /// The files saved reply `reply_id` holds, from the cache (works
    /// offline): to send with a reply as [`crate::NewFile::Held`].
    pub async fn saved_reply_files(&self, reply_id: &str) -> Result<Vec<AttachmentInfo>> {
        Ok(self
            .shared
            .cache
            .saved_reply(reply_id)
            .await?
            .ok_or_else(|| SyncError::NotFound("That saved reply no longer exists.".into()))?
            .files)
    }
}

impl Shared {
    /// Loads every saved reply the agent may use when the cache has never
    /// stored the whole list (a new cache, one made before it kept saved
    /// replies, one rebuilt): their earlier events were skipped or are
    /// behind the snapshot's head. Later changes come with the event log.
    /// A server without saved replies (404) is left alone.
    pub(super) async fn load_saved_replies_once(&self, changes: &mut Changes) -> Result<()> {
        if self.cache.saved_replies_loaded().await? {
            return Ok(());
        }
        match self.session.saved_replies().await {
            Ok(list) => {
                tracing::info!(replies = list.len(), "saved replies loaded");
                changes.merge(self.cache.store_saved_replies(&list).await?);
                Ok(())
            }
            Err(e) if is_transient(&e) => Err(e.into()),
            Err(ClientError::Api { status, detail }) => {
                tracing::info!(%status, code = %detail.code, "the server offers no saved replies");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "saved replies could not be loaded");
                Ok(())
            }
        }
    }
}
