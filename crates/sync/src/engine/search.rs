//! Search in the engine: the cache's own index first (offline, instant),
//! the server's `GET /api/v1/search` when asked ("search the server too":
//! what the cache does not keep, resolved conversations past the team's
//! retention), and the background indexing of what a first fill stored (and
//! of a cache filled before it had an index).

use std::time::Duration;

use switchboard_api::{SearchPage, SearchQuery};

use super::{Engine, Shared};
use crate::error::Result;

/// Conversations indexed per transaction of the background indexing.
const BACKLOG_BATCH: u32 = 200;

impl Engine {
    /// Searches the cache (works offline).
    pub async fn search_local(&self, q: &SearchQuery) -> Result<SearchPage> {
        self.shared.cache.search(q).await
    }

    /// Searches the server (its whole history, with its visibility rules);
    /// `offline` when it cannot be reached.
    pub async fn search_server(&self, q: &SearchQuery) -> Result<SearchPage> {
        Ok(self.shared.session.search(q).await?)
    }
}

impl Shared {
    /// Indexes what the cache holds without its search index (what a
    /// snapshot stored, or a cache made before the index), a batch at a time
    /// so the window's reads never wait long; then waits until a fill
    /// stores more. Not while a fill runs: it catches up once it ends. A
    /// failure is logged and the rest waits for the next start.
    pub(super) async fn index_backlog(&self) {
        loop {
            let filling = match self.cache.snapshot_state().await {
                Ok(s) => s.is_some(),
                Err(_) => return,
            };
            if !filling {
                match self.cache.index_backlog(BACKLOG_BATCH).await {
                    Ok(true) => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "indexing the cache for search stopped");
                        return;
                    }
                }
            }
            self.index_wake.notified().await;
        }
    }
}
