//! Tags in the cache: the team's list (fetched beside the categories, kept
//! from `tag.updated` / `tag.deleted` events, see `apply`), so the queue's
//! chips, its tag filter and the tag picker work offline.

use sqlx::sqlite::SqliteConnection;
use sqlx::Row;
use switchboard_api::Tag;

use super::rows::corrupt;
use super::Cache;
use crate::error::Result;

impl Cache {
    /// Replaces the list with the server's (tags made before this cache
    /// followed the log have their events behind its cursor).
    pub async fn store_tags(&self, tags: &[Tag]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM tags").execute(&mut *tx).await?;
        for t in tags {
            upsert(&mut tx, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every tag, in the server's order.
    pub async fn tags(&self) -> Result<Vec<Tag>> {
        let rows = sqlx::query("SELECT tag FROM tags ORDER BY position, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| serde_json::from_str(r.try_get("tag")?).map_err(corrupt))
            .collect()
    }
}

/// Stores a tag; a new one goes last.
pub(super) async fn upsert(conn: &mut SqliteConnection, t: &Tag) -> Result<()> {
    sqlx::query(
        "INSERT INTO tags (id, tag, position) VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM tags)) \
         ON CONFLICT(id) DO UPDATE SET tag = excluded.tag",
    )
    .bind(&t.id)
    .bind(serde_json::to_string(t).map_err(corrupt)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets a tag and drops it from every conversation that had it; the ids
/// of those conversations.
pub(super) async fn delete(conn: &mut SqliteConnection, id: &str) -> Result<Vec<String>> {
    sqlx::query("DELETE FROM tags WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let had: Vec<String> = sqlx::query_scalar(
        "SELECT c.id FROM conversations c WHERE EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = ?)",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE conversations SET tags = \
         (SELECT json_group_array(value) FROM (SELECT value FROM json_each(conversations.tags) WHERE value <> ?1 ORDER BY value)) \
         WHERE EXISTS (SELECT 1 FROM json_each(conversations.tags) WHERE value = ?1)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(had)
}
