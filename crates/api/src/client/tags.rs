//! The tag calls of [`Session`]: `/api/v1/tags` and a conversation's tags.

use reqwest::Method;

use super::{enc, send, send_no_content, ClientError, Session};
use crate::*;

impl Session {
    /// `GET /api/v1/tags`.
    pub async fn tags(&self) -> Result<Vec<Tag>, ClientError> {
        self.get("/api/v1/tags").await
    }

    /// `POST /api/v1/tags` (admins).
    pub async fn create_tag(&self, tag: &NewTag) -> Result<Tag, ClientError> {
        self.with_body(Method::POST, "/api/v1/tags", tag).await
    }

    /// `PATCH /api/v1/tags/{id}` (admins).
    pub async fn patch_tag(&self, id: &str, patch: &TagPatch) -> Result<Tag, ClientError> {
        self.with_body(Method::PATCH, &format!("/api/v1/tags/{}", enc(id)), patch)
            .await
    }

    /// `DELETE /api/v1/tags/{id}` (admins): off every conversation too.
    pub async fn delete_tag(&self, id: &str) -> Result<(), ClientError> {
        send_no_content(self.req(Method::DELETE, &format!("/api/v1/tags/{}", enc(id)))).await
    }

    /// `PUT` (`on`) or `DELETE /api/v1/conversations/{id}/tags/{tag_id}`.
    pub async fn set_tag(
        &self,
        conversation_id: &str,
        tag_id: &str,
        on: bool,
    ) -> Result<ConversationSummary, ClientError> {
        let method = if on { Method::PUT } else { Method::DELETE };
        send(self.req(
            method,
            &format!(
                "/api/v1/conversations/{}/tags/{}",
                enc(conversation_id),
                enc(tag_id)
            ),
        ))
        .await
    }

    /// `GET /api/v1/conversations?view=…&tag=…`.
    pub async fn conversations_tagged(
        &self,
        view: View,
        tag: &str,
    ) -> Result<Vec<ConversationSummary>, ClientError> {
        send(
            self.req(Method::GET, "/api/v1/conversations")
                .query(&[("view", view.as_str()), ("tag", tag)]),
        )
        .await
    }
}
