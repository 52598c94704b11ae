//! The customer side panel in the engine: the server's answer when it can
//! be reached (the profile kept in the cache for later), else what the cache
//! holds, so the panel works offline.

use chrono::Utc;
use switchboard_api::{ClientError, CustomerPatch, CustomerProfile};

use super::Engine;
use crate::cache::CustomerPanel;
use crate::error::{Result, SyncError};

impl Engine {
    /// The side panel of a conversation: its customer's profile and their
    /// conversations on every channel that the agent may see (with a count
    /// of the rest), from the server; offline, from the cache.
    pub async fn customer_panel(&self, conversation_id: &str) -> Result<CustomerPanel> {
        let cache = &self.shared.cache;
        let now = Utc::now();
        let mut customer_id = cache
            .summary(conversation_id, now)
            .await?
            .and_then(|s| s.customer_id);
        if customer_id.is_none() {
            // Cached before profiles: the server's summary names it.
            match self.shared.session.conversation(conversation_id).await {
                Ok(conv) => customer_id = conv.summary.customer_id,
                Err(e) if offline(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let Some(customer_id) = customer_id else {
            return Ok(CustomerPanel::default());
        };
        match self.shared.session.customer(&customer_id).await {
            Ok(details) => {
                cache.store_customer(&details.customer).await?;
                Ok(CustomerPanel {
                    customer: Some(details.customer),
                    conversations: details.conversations,
                    hidden_conversations: Some(details.hidden_conversations),
                    offline: false,
                })
            }
            Err(e) if offline(&e) => Ok(CustomerPanel {
                customer: cache.customer(&customer_id).await?,
                conversations: cache.customer_conversations(&customer_id).await?,
                hidden_conversations: None,
                offline: true,
            }),
            Err(e) => Err(SyncError::from(e)),
        }
    }
}

impl Engine {
    /// Changes a customer's name, company or notes (needs the server); the
    /// cache keeps the profile as changed.
    pub async fn update_customer(
        &self,
        id: &str,
        patch: &CustomerPatch,
    ) -> Result<CustomerProfile> {
        let p = self.shared.session.patch_customer(id, patch).await?;
        self.shared.cache.store_customer(&p).await?;
        Ok(p)
    }

    /// Profiles matching `q` (name, company, email start, phone digits;
    /// needs the server).
    pub async fn find_customers(&self, q: &str) -> Result<Vec<CustomerProfile>> {
        Ok(self
            .shared
            .session
            .customers(&switchboard_api::CustomerQuery {
                q: Some(q.to_owned()),
                limit: Some(10),
            })
            .await?)
    }

    /// Merges profile `from` into `kept` (admins; needs the server).
    pub async fn merge_customers(&self, kept: &str, from: &str) -> Result<CustomerProfile> {
        let p = self.shared.session.merge_customers(kept, from).await?;
        self.shared.cache.store_customer(&p).await?;
        Ok(p)
    }
}

/// The server could not be reached (or answered as a server that is down).
fn offline(e: &ClientError) -> bool {
    matches!(e, ClientError::Transport(_)) || e.status().is_some_and(|s| s.is_server_error())
}
