//! The engine's calls that need the server and change a conversation or
//! the team's tags: tags, merges, snooze. Each change comes back to the
//! cache as an event, like any other.

use super::*;

impl Engine {
    /// Puts a tag on a conversation (`on`) or takes it off (needs the
    /// server; the change reaches the cache as an event).
    pub async fn set_tag(
        &self,
        conversation_id: &str,
        tag_id: &str,
        on: bool,
    ) -> Result<ConversationSummary> {
        Ok(self
            .shared
            .session
            .set_tag(conversation_id, tag_id, on)
            .await?)
    }

    /// Creates a tag (admins; needs the server).
    pub async fn create_tag(&self, tag: &switchboard_api::NewTag) -> Result<switchboard_api::Tag> {
        Ok(self.shared.session.create_tag(tag).await?)
    }

    /// Changes a tag (admins; needs the server).
    pub async fn update_tag(
        &self,
        id: &str,
        patch: &switchboard_api::TagPatch,
    ) -> Result<switchboard_api::Tag> {
        Ok(self.shared.session.patch_tag(id, patch).await?)
    }

    /// Deletes a tag (admins; needs the server).
    pub async fn delete_tag(&self, id: &str) -> Result<()> {
        Ok(self.shared.session.delete_tag(id).await?)
    }

    /// Merges `from` into `kept` (needs the server; the messages move in
    /// the cache with the event).
    pub async fn merge(&self, kept: &str, from: &str) -> Result<ConversationSummary> {
        Ok(self.shared.session.merge(kept, from).await?)
    }

    /// Undoes the merge that closed `id` (admins; needs the server).
    pub async fn unmerge(&self, id: &str) -> Result<ConversationSummary> {
        Ok(self.shared.session.unmerge(id).await?)
    }

    /// Snoozes a conversation until `until`, or until the customer writes
    /// (needs the server; the change reaches the cache as an event).
    pub async fn snooze(
        &self,
        conversation_id: &str,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ConversationSummary> {
        Ok(self.shared.session.snooze(conversation_id, until).await?)
    }

    /// Wakes a snoozed conversation now (needs the server).
    pub async fn unsnooze(&self, conversation_id: &str) -> Result<ConversationSummary> {
        Ok(self.shared.session.unsnooze(conversation_id).await?)
    }
}
