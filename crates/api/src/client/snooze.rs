//! The snooze and merge calls of [`Session`].

use reqwest::Method;

use super::{enc, send, ClientError, Session};
use crate::*;

impl Session {
    /// `POST /api/v1/conversations/{id}/snooze`: until `until`, or (`None`)
    /// until the customer writes.
    pub async fn snooze(
        &self,
        id: &str,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ConversationSummary, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/conversations/{}/snooze", enc(id)),
            &SnoozeRequest { until },
        )
        .await
    }

    /// `DELETE /api/v1/conversations/{id}/snooze`: wakes it now.
    pub async fn unsnooze(&self, id: &str) -> Result<ConversationSummary, ClientError> {
        send(self.req(
            Method::DELETE,
            &format!("/api/v1/conversations/{}/snooze", enc(id)),
        ))
        .await
    }

    /// `POST /api/v1/conversations/{id}/merge`: `from` merged into `id`.
    pub async fn merge(&self, id: &str, from: &str) -> Result<ConversationSummary, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/conversations/{}/merge", enc(id)),
            &MergeRequest {
                from: from.to_owned(),
            },
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/unmerge` (admins): undoes the merge
    /// that closed `id`.
    pub async fn unmerge(&self, id: &str) -> Result<ConversationSummary, ClientError> {
        send(self.req(
            Method::POST,
            &format!("/api/v1/conversations/{}/unmerge", enc(id)),
        ))
        .await
    }
}
