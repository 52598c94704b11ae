//! The snooze calls of [`Session`].

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
}
