//! Saved replies in the cache: the team's and the agent's own personal
//! ones, kept from the `saved_reply.*` events (see `apply`) and loaded whole
//! once ([`Cache::store_saved_replies`]), so the composer's picker works
//! offline.
//!
//! Why a whole load: a cache made by a version that did not keep saved
//! replies skipped their events, and its cursor is past them. The `meta`
//! flag `saved_replies_loaded` says the whole list has been stored once;
//! it is dropped with everything else when the cache is reset or belongs
//! to another account, so a rebuilt cache loads the list again.

use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;
use switchboard_api::{Agent, ReplyScope, SavedReply};
use switchboard_core::visibility::Viewer;

use super::rows::{corrupt, from_ms, json_list, ms, parse, parse_list};
use super::types::Changes;
use super::{me_of, meta_in, set_meta, Cache};
use crate::error::Result;

/// `meta` key: the whole list of saved replies has been stored once.
pub(super) const LOADED: &str = "saved_replies_loaded";

impl Cache {
    /// Whether the whole list of saved replies has been stored since the
    /// cache was made or last reset ([`Cache::store_saved_replies`]).
    pub async fn saved_replies_loaded(&self) -> Result<bool> {
        Ok(meta_in(&self.pool, LOADED).await?.is_some())
    }

    /// Replaces the cached saved replies with the server's whole list
    /// (`GET /saved_replies`) and notes that it was loaded, in one
    /// transaction. Personal replies of anyone but the signed-in agent are
    /// not stored (the server sends none; this is the cache's own check).
    pub async fn store_saved_replies(&self, replies: &[SavedReply]) -> Result<Changes> {
        let mut tx = self.writer.begin().await?;
        let me = me_of(&mut tx).await?;
        sqlx::query("DELETE FROM saved_replies")
            .execute(&mut *tx)
            .await?;
        for r in replies {
            if me.as_ref().is_none_or(|me| may_keep(me, r)) {
                upsert_saved_reply(&mut tx, r).await?;
            }
        }
        set_meta(&mut tx, LOADED, "1").await?;
        tx.commit().await?;
        Ok(Changes {
            saved_replies: true,
            ..Changes::default()
        })
    }

    /// Every cached saved reply, by title.
    pub async fn saved_replies(&self) -> Result<Vec<SavedReply>> {
        let rows = sqlx::query("SELECT * FROM saved_replies ORDER BY lower(title), id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(saved_reply_of).collect()
    }

    /// One cached saved reply.
    pub async fn saved_reply(&self, id: &str) -> Result<Option<SavedReply>> {
        sqlx::query("SELECT * FROM saved_replies WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(saved_reply_of)
            .transpose()
    }
}

/// Whether the cache keeps `r` for `me`: team replies, and `me`'s own
/// personal ones (core's rule; admins do not see others' either).
pub(super) fn may_keep(me: &Agent, r: &SavedReply) -> bool {
    switchboard_core::saved_replies::can_see(
        &Viewer {
            id: &me.id,
            role: me.role,
            categories: &me.categories,
        },
        r.scope,
        r.owner_id.as_deref(),
    )
}

/// Stores a reply from an event or a list; an older copy than the cached
/// one (a page replayed) does not overwrite it.
pub(super) async fn upsert_saved_reply(conn: &mut SqliteConnection, r: &SavedReply) -> Result<()> {
    sqlx::query(
        "INSERT INTO saved_replies (id, title, body, scope, owner_id, category_id, attachments, files, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET \
           title = excluded.title, body = excluded.body, scope = excluded.scope, \
           owner_id = excluded.owner_id, category_id = excluded.category_id, \
           attachments = excluded.attachments, files = excluded.files, created_at = excluded.created_at, \
           updated_at = excluded.updated_at \
         WHERE excluded.updated_at >= saved_replies.updated_at",
    )
    .bind(&r.id)
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.scope.as_str())
    .bind(&r.owner_id)
    .bind(&r.category_id)
    .bind(json_list(&r.attachments))
    .bind(serde_json::to_string(&r.files).map_err(corrupt)?)
    .bind(ms(r.created_at))
    .bind(ms(r.updated_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets a deleted reply.
pub(super) async fn delete_saved_reply(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM saved_replies WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn saved_reply_of(r: &SqliteRow) -> Result<SavedReply> {
    Ok(SavedReply {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        scope: parse::<ReplyScope>(r.try_get("scope")?)?,
        owner_id: r.try_get("owner_id")?,
        category_id: r.try_get("category_id")?,
        attachments: parse_list(r.try_get("attachments")?)?,
        files: serde_json::from_str(r.try_get("files")?).map_err(corrupt)?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}
