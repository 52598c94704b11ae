//! The cache's search index, written in the same transaction as what it
//! covers (migration 0008): one document per message (system lines
//! excepted) and one per conversation (its subject and customer), each
//! holding its terms as `switchboard_core::search::text` normalises them,
//! the same rules as the server's index. What a snapshot page stores, and
//! a cache filled before the index existed, is indexed in the background
//! ([`Cache::index_backlog`]), so a first fill runs at the rate SQLite
//! inserts rows.
//!
//! The documents leave with their conversation (a trigger), so pruning,
//! a conversation no longer visible and a rebuild need nothing here.

use std::collections::BTreeSet;

use sqlx::sqlite::SqliteConnection;
use sqlx::Row;
use switchboard_api::{Message, MessageKind};
use switchboard_core::search::text::DocTerms;
use switchboard_core::search::{doc_number_base, DOC_SEQ_BITS};

use super::find::SPELL_FROM_CHARS;
use super::rows::{corrupt, ms};
use super::{meta_in, set_meta, Cache};
use crate::error::Result;

/// `meta` key: a cache filled before the index is being indexed, from the
/// conversation after this rowid.
const BACKLOG: &str = "search_backlog";

/// The document id of a conversation's own fields.
pub(super) fn conversation_doc(id: &str) -> String {
    format!("c:{id}")
}

/// Adds a document unless one of that id is there: numbered first free in
/// its instant, its terms in the FTS5 index, its words of
/// [`SPELL_FROM_CHARS`] or more in `search_terms`.
async fn put(
    conn: &mut SqliteConnection,
    doc_id: &str,
    conversation_id: &str,
    kind: &str,
    at: i64,
    terms: &DocTerms,
) -> Result<()> {
    let Some(base) = doc_number_base(at, kind != "conversation") else {
        return Ok(());
    };
    let n: Option<i64> = sqlx::query_scalar(
        "INSERT INTO search_docs (n, doc_id, conversation_id, kind, at) \
         VALUES ((SELECT COALESCE(MAX(n) + 1, ?1) FROM search_docs WHERE n >= ?1 AND n < ?1 + ?2), \
                 ?3, ?4, ?5, ?6) \
         ON CONFLICT (doc_id) DO NOTHING RETURNING n",
    )
    .bind(base)
    .bind(1_i64 << DOC_SEQ_BITS)
    .bind(doc_id)
    .bind(conversation_id)
    .bind(kind)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(n) = n else { return Ok(()) };
    let text = terms.to_text();
    sqlx::query("INSERT INTO search_fts (rowid, terms) VALUES (?, ?)")
        .bind(n)
        .bind(&text)
        .execute(&mut *conn)
        .await?;
    // Its long words in one statement (most are known already).
    let words: BTreeSet<&str> = text
        .split(' ')
        .filter(|w| w.chars().count() >= SPELL_FROM_CHARS)
        .collect();
    if !words.is_empty() {
        let words = serde_json::to_string(&words).map_err(corrupt)?;
        sqlx::query("INSERT OR IGNORE INTO search_terms (term) SELECT value FROM json_each(?)")
            .bind(words)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Indexes conversation `id`'s own fields again, as the cache now holds
/// them (an older summary may have been ignored by the upsert).
pub(super) async fn index_conversation(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    let Some(r) = sqlx::query(
        "SELECT subject, customer_name, customer_email, customer_phone, created_at \
         FROM conversations WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(());
    };
    let subject: String = r.try_get("subject")?;
    let name: Option<String> = r.try_get("customer_name")?;
    let email: Option<String> = r.try_get("customer_email")?;
    let phone: Option<String> = r.try_get("customer_phone")?;
    let at: i64 = r.try_get("created_at")?;
    let terms = DocTerms::conversation(
        &subject,
        name.as_deref(),
        email.as_deref(),
        phone.as_deref(),
    );
    let doc = conversation_doc(id);
    sqlx::query("DELETE FROM search_docs WHERE doc_id = ?")
        .bind(&doc)
        .execute(&mut *conn)
        .await?;
    put(conn, &doc, id, "conversation", at, &terms).await
}

/// Indexes a server message once (system lines are not indexed).
pub(super) async fn index_message(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    index_message_parts(
        conn,
        &m.id,
        &m.conversation_id,
        m.kind,
        ms(m.created_at),
        &m.body,
    )
    .await
}

async fn index_message_parts(
    conn: &mut SqliteConnection,
    id: &str,
    conversation_id: &str,
    kind: MessageKind,
    at: i64,
    body: &str,
) -> Result<()> {
    if kind == MessageKind::System {
        return Ok(());
    }
    let terms = DocTerms::new().text(body);
    put(conn, id, conversation_id, kind.as_str(), at, &terms).await
}

/// Indexes a message whose text may have changed (`message.updated`).
pub(super) async fn reindex_message(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    sqlx::query("DELETE FROM search_docs WHERE doc_id = ?")
        .bind(&m.id)
        .execute(&mut *conn)
        .await?;
    index_message(conn, m).await
}

/// Marks that conversations were stored without their index (a snapshot
/// page): the background indexing walks the conversations from the start
/// (those indexed meanwhile are indexed again, which changes nothing).
pub(super) async fn mark_backlog(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, '0') ON CONFLICT(key) DO NOTHING")
        .bind(BACKLOG)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Cache {
    /// Whether conversations are waiting to be indexed (search does not
    /// find all of them yet).
    pub async fn indexing(&self) -> Result<bool> {
        Ok(meta_in(&self.pool, BACKLOG).await?.is_some())
    }

    /// Indexes up to `batch` conversations (with their messages) of a cache
    /// filled before it had a search index, in one transaction. Returns
    /// whether any are left. Called in the background until it says no.
    pub async fn index_backlog(&self, batch: u32) -> Result<bool> {
        let Some(after) = meta_in(&self.pool, BACKLOG).await? else {
            return Ok(false);
        };
        let after: i64 = after.parse().unwrap_or(0);
        let mut tx = self.writer.begin().await?;
        let convs: Vec<(i64, String)> = sqlx::query_as(
            "SELECT rowid, id FROM conversations WHERE rowid > ? ORDER BY rowid LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(batch))
        .fetch_all(&mut *tx)
        .await?;
        let Some(&(last, _)) = convs.last() else {
            sqlx::query("DELETE FROM meta WHERE key = ?")
                .bind(BACKLOG)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(false);
        };
        for (_, id) in &convs {
            index_conversation(&mut tx, id).await?;
            let msgs = sqlx::query(
                "SELECT id, kind, body, created_at FROM messages \
                 WHERE conversation_id = ? AND id IS NOT NULL",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for r in &msgs {
                let kind: String = r.try_get("kind")?;
                let Ok(kind) = kind.parse::<MessageKind>() else {
                    continue;
                };
                let mid: String = r.try_get("id")?;
                let body: String = r.try_get("body")?;
                let at: i64 = r.try_get("created_at")?;
                index_message_parts(&mut tx, &mid, id, kind, at, &body).await?;
            }
        }
        set_meta(&mut tx, BACKLOG, &last.to_string()).await?;
        tx.commit().await?;
        Ok(true)
    }
}
