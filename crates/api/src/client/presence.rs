//! The presence call of [`Session`].

use reqwest::Method;

use super::{ClientError, Session};
use crate::*;

impl Session {
    /// `PUT /api/v1/presence`: what this client shows now; the frame others
    /// receive.
    pub async fn report_presence(&self, report: &PresenceReport) -> Result<Presence, ClientError> {
        self.with_body(Method::PUT, "/api/v1/presence", report)
            .await
    }
}
