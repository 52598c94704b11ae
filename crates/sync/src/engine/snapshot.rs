//! The first fill of an empty cache from the server's snapshot (open
//! conversations first, then the resolved ones the team keeps), resumable
//! page by page, with its progress published; and the background pruning
//! of what the cache no longer keeps.

use std::time::Duration;

use chrono::Utc;
use switchboard_api::{ClientError, SnapshotPart};

use super::{Shared, SyncProgress, SyncStage};
use crate::cache::{Changes, SnapshotState};
use crate::error::Result;

/// Conversations per snapshot page.
pub const SNAPSHOT_PAGE: u32 = 2000;
/// Resolved conversations dropped per pruning transaction.
const PRUNE_BATCH: u32 = 500;
/// How often the cache is pruned while the app runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

impl Shared {
    /// Fills the cache from the snapshot when it has never been filled (the
    /// cursor at 0) or a snapshot is under way. Returns `false` when the
    /// server has no snapshot route (an older server): then the log is
    /// replayed from 0 as before.
    pub(super) async fn fill_from_snapshot(&self) -> Result<bool> {
        let mut state = match self.cache.snapshot_state().await? {
            Some(s) => s,
            None if self.cache.cursor().await? == 0 => SnapshotState {
                head: -1,
                part: SnapshotPart::Open,
                after: None,
                done: 0,
                total: None,
            },
            None => return Ok(true),
        };
        // The categories (names, thresholds) and the agents first: the lists
        // and the breach timer need them from the first page on.
        let mut changes = Changes::default();
        self.refresh_agents(&mut changes).await?;
        let categories = self.session.categories().await?;
        self.cache.store_categories(&categories).await?;
        changes.categories = true;
        self.refresh_tags(&mut changes).await?;
        self.emit(changes);
        loop {
            let page = match self
                .session
                .snapshot(
                    state.part,
                    state.after.as_deref(),
                    self.config.snapshot_page,
                )
                .await
            {
                Ok(page) => page,
                Err(ClientError::Api { status, .. }) if status.as_u16() == 404 => return Ok(false),
                Err(e) => return Err(e.into()),
            };
            if state.head < 0 {
                state.head = page.head;
            }
            if let Some(t) = page.total {
                // Each part says its size on its first page.
                state.total = Some(match state.part {
                    SnapshotPart::Open => t,
                    SnapshotPart::Recent => state.done + t,
                });
            }
            state.done += page.conversations.len() as u64;
            let next = if page.more {
                Some(SnapshotState {
                    after: page.next_after.clone(),
                    ..state.clone()
                })
            } else if state.part == SnapshotPart::Open {
                Some(SnapshotState {
                    part: SnapshotPart::Recent,
                    after: None,
                    ..state.clone()
                })
            } else {
                None
            };
            let changes = self
                .cache
                .store_snapshot_page(&page, state.head, next.as_ref())
                .await?;
            self.publish(SyncProgress {
                stage: match state.part {
                    SnapshotPart::Open => SyncStage::Open,
                    SnapshotPart::Recent => SyncStage::History,
                },
                done: state.done,
                total: state.total,
            });
            self.emit(changes);
            match next {
                Some(n) => state = n,
                None => return Ok(true),
            }
        }
    }

    /// Drops resolved conversations older than the team's retention, a
    /// small batch per transaction, yielding between batches.
    pub(super) async fn prune(&self) -> Result<()> {
        let days = self.cache.keep_resolved_days().await?;
        let before = Utc::now() - chrono::Duration::days(i64::from(days));
        loop {
            let changes: Changes = self.cache.prune_resolved(before, PRUNE_BATCH).await?;
            let n = changes.conversations.len();
            self.emit(changes);
            if n < PRUNE_BATCH as usize {
                return Ok(());
            }
            tokio::task::yield_now().await;
        }
    }
}
