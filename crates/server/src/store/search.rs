//! Search behind the store: the index (written in the same transaction as
//! the conversation or message it covers) and the query, on either backend.
//!
//! What a document holds, how text is normalised and what a query means are
//! `switchboard_core::search`'s rules; this module only stores and asks:
//!
//! - SQLite: `search_docs` (the documents' normalised terms) and `search_fts`,
//!   an FTS5 index over it (tokenizer `unicode61 remove_diacritics 2`,
//!   prefix indexes of 2 and 3 characters), kept in step by triggers.
//! - PostgreSQL: `search_docs` with a `tsvector` column and a GIN index; the
//!   vector is written as a literal (`'cafe':1 'creme':2`) and the query as a
//!   `tsquery` literal, so no text search configuration, dictionary or
//!   locale is involved and both backends find the same things.
//!
//! Each document has a place in newest-first order (its time, then a
//! number), which the query ([`find`]) reads by so that it stops when its
//! page is full.
//!
//! Documents: one per conversation (`c:` + its id: subject, customer name,
//! email and phone) and one per message (system lines excepted). Message
//! documents never change; the conversation's is replaced whenever
//! [`index_conversation`] runs again. The migrations leave a flag for
//! [`backfill`], which indexes what existed before.

use std::collections::BTreeSet;
use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection};
use switchboard_api::Customer;
use switchboard_core::search::doc_number_base;
use switchboard_core::search::text::DocTerms;
use switchboard_core::MessageKind;

use super::db::{self, Db};
use super::Backend;
use crate::error::AppResult;

mod find;

pub use find::{find, Find, Hit, Order, RELEVANCE_CANDIDATES};

/// The document id of a conversation's own fields.
pub fn conversation_doc(id: &str) -> String {
    format!("c:{id}")
}

async fn put(
    db: &mut impl Db,
    backend: Backend,
    doc_id: &str,
    conversation_id: &str,
    kind: &str,
    at: i64,
    terms: &DocTerms,
) -> Result<(), sqlx::Error> {
    match backend {
        // The number is the document's place in newest-first order
        // (`find`): the first free one of its instant. One writer, so no
        // two writes pick the same.
        Backend::Sqlite => {
            let base = doc_number_base(at, kind != "conversation");
            let text = terms.to_text();
            let added = db::query(
                "INSERT INTO search_docs (n, doc_id, conversation_id, kind, at, terms) \
                 VALUES ((SELECT COALESCE(MAX(n) + 1, $1) FROM search_docs \
                          WHERE n >= $1 AND n < $1 + 524288), $2, $3, $4, $5, $6) \
                 ON CONFLICT (doc_id) DO NOTHING",
            )
            .bind(base)
            .bind(doc_id)
            .bind(conversation_id)
            .bind(kind)
            .bind(at)
            .bind(&text)
            .execute(&mut *db)
            .await?;
            // Its words of 4 characters or more, for spelling out a prefix
            // (`find`): kept, never removed (a word no document holds any
            // more only adds an alternative that matches nothing).
            let words: BTreeSet<&str> =
                text.split(' ').filter(|w| w.chars().count() >= 4).collect();
            if added > 0 && !words.is_empty() {
                let words =
                    serde_json::to_string(&words).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                db::query(
                    "INSERT OR IGNORE INTO search_terms (term) SELECT value FROM json_each($1)",
                )
                .bind(words)
                .execute(db)
                .await?;
            }
        }
        // `n` and `pos` are the database's (an identity, and generated).
        Backend::Postgres => {
            db::query(
                "INSERT INTO search_docs (doc_id, conversation_id, kind, at, terms) \
                 VALUES ($1, $2, $3, $4, $5::tsvector) ON CONFLICT (doc_id) DO NOTHING",
            )
            .bind(doc_id)
            .bind(conversation_id)
            .bind(kind)
            .bind(at)
            .bind(terms.to_tsvector())
            .execute(db)
            .await?;
        }
    }
    Ok(())
}

/// Indexes (or indexes again) a conversation's own fields: its subject and
/// its customer's name, email and phone. `created_at` in ms.
pub async fn index_conversation(
    db: &mut impl Db,
    backend: Backend,
    id: &str,
    subject: &str,
    customer: &Customer,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    let terms = DocTerms::conversation(
        subject,
        customer.name.as_deref(),
        customer.email.as_deref(),
        customer.phone.as_deref(),
    );
    let doc = conversation_doc(id);
    db::query("DELETE FROM search_docs WHERE doc_id = $1")
        .bind(&doc)
        .execute(&mut *db)
        .await?;
    put(db, backend, &doc, id, "conversation", created_at, &terms).await
}

/// Indexes a message (system lines are not indexed). `at` in ms.
pub async fn index_message(
    db: &mut impl Db,
    backend: Backend,
    message_id: &str,
    conversation_id: &str,
    kind: MessageKind,
    at: i64,
    body: &str,
) -> Result<(), sqlx::Error> {
    if kind == MessageKind::System {
        return Ok(());
    }
    let terms = DocTerms::new().text(body);
    put(
        db,
        backend,
        message_id,
        conversation_id,
        kind.as_str(),
        at,
        &terms,
    )
    .await
}

/// Conversations indexed per transaction by [`backfill`].
const BACKFILL_PAGE: i64 = 500;

/// Indexes every conversation and message already stored, when the
/// migrations asked for it (`counters.search_backfill = 1`: set by the
/// migration that created the index, or by `migrate-sqlite-to-postgres`).
/// Runs before the server serves; on PostgreSQL under an advisory lock, so
/// of several instances starting together one indexes and the others find
/// it done. Resumable: an interrupted run starts again and skips what is
/// there. Returns the conversations indexed.
pub async fn backfill(url: &str, backend: Backend) -> anyhow::Result<u64> {
    let mut c = AnyConnection::connect_with(&AnyConnectOptions::from_str(url)?).await?;
    if backend == Backend::Postgres {
        db::query("SELECT pg_advisory_lock(7262002)")
            .execute(&mut c)
            .await?;
    }
    let result = backfill_on(&mut c, backend).await;
    if backend == Backend::Postgres {
        db::query("SELECT pg_advisory_unlock(7262002)")
            .execute(&mut c)
            .await?;
    }
    c.close().await?;
    Ok(result?)
}

async fn backfill_on(c: &mut AnyConnection, backend: Backend) -> AppResult<u64> {
    let needed: Option<i64> =
        db::query("SELECT value FROM counters WHERE name = 'search_backfill'")
            .fetch_optional_scalar(&mut *c)
            .await?;
    if needed != Some(1) {
        return Ok(0);
    }
    let mut last = String::new();
    let mut done = 0u64;
    loop {
        let mut tx = c.begin().await?;
        let convs = db::query(
            "SELECT id, subject, customer_name, customer_email, customer_phone, created_at \
             FROM conversations WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(&last)
        .bind(BACKFILL_PAGE)
        .fetch_all(&mut *tx)
        .await?;
        let Some(high) = convs
            .last()
            .map(|r| r.try_get::<String, _>("id"))
            .transpose()?
        else {
            tx.commit().await?;
            break;
        };
        for r in &convs {
            let id: String = r.try_get("id")?;
            let customer = Customer {
                name: r.try_get("customer_name")?,
                email: r.try_get("customer_email")?,
                phone: r.try_get("customer_phone")?,
            };
            let subject: String = r.try_get("subject")?;
            let at: i64 = r.try_get("created_at")?;
            index_conversation(&mut *tx, backend, &id, &subject, &customer, at).await?;
        }
        let msgs = db::query(
            "SELECT id, conversation_id, kind, body, created_at FROM messages \
             WHERE conversation_id > $1 AND conversation_id <= $2 AND kind <> 'system' ORDER BY created_at, id",
        )
        .bind(&last)
        .bind(&high)
        .fetch_all(&mut *tx)
        .await?;
        for r in &msgs {
            let kind: String = r.try_get("kind")?;
            let Ok(kind) = MessageKind::parse(&kind) else {
                continue;
            };
            let id: String = r.try_get("id")?;
            let conv: String = r.try_get("conversation_id")?;
            let body: String = r.try_get("body")?;
            let at: i64 = r.try_get("created_at")?;
            index_message(&mut *tx, backend, &id, &conv, kind, at, &body).await?;
        }
        tx.commit().await?;
        done += convs.len() as u64;
        last = high;
    }
    db::query("UPDATE counters SET value = 0 WHERE name = 'search_backfill'")
        .execute(&mut *c)
        .await?;
    if done > 0 {
        tracing::info!(conversations = done, "search index built");
    }
    Ok(done)
}
