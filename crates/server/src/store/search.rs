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
//! Documents: one per conversation (`c:` + its id: subject, customer name,
//! email and phone) and one per message (system lines excepted). Message
//! documents never change; the conversation's is replaced whenever
//! [`index_conversation`] runs again. The migrations leave a flag for
//! [`backfill`], which indexes what existed before.

use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, Connection};
use switchboard_api::Customer;
use switchboard_core::search::query::Query;
use switchboard_core::search::text::DocTerms;
use switchboard_core::search::Cursor;
use switchboard_core::MessageKind;

use super::db::{self, Db};
use super::Backend;
use crate::error::AppResult;

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
    let (sql, terms) = match backend {
        Backend::Sqlite => (
            "INSERT INTO search_docs (doc_id, conversation_id, kind, at, terms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (doc_id) DO NOTHING",
            terms.to_text(),
        ),
        Backend::Postgres => (
            "INSERT INTO search_docs (doc_id, conversation_id, kind, at, terms) \
             VALUES ($1, $2, $3, $4, $5::tsvector) ON CONFLICT (doc_id) DO NOTHING",
            terms.to_tsvector(),
        ),
    };
    db::query(sql)
        .bind(doc_id)
        .bind(conversation_id)
        .bind(kind)
        .bind(at)
        .bind(terms)
        .execute(db)
        .await?;
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
    let mut terms = DocTerms::new().text(subject);
    for field in [&customer.name, &customer.email].into_iter().flatten() {
        terms = terms.text(field);
    }
    if let Some(phone) = &customer.phone {
        terms = terms.phone(phone);
    }
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

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By each conversation's newest matching document, newest first.
    Newest,
    /// By each conversation's best matching document, best first.
    Relevance,
}

/// A search, as the store runs it.
#[derive(Debug, Clone)]
pub struct Find<'a> {
    /// What to find.
    pub query: &'a Query,
    /// The order.
    pub order: Order,
    /// Whether internal notes may match.
    pub notes: bool,
    /// The agent whose visibility applies (`None`: sees everything, admins).
    pub viewer: Option<&'a str>,
    /// Only this channel.
    pub channel: Option<&'a str>,
    /// Only this state.
    pub state: Option<&'a str>,
    /// Only this category.
    pub category_id: Option<&'a str>,
    /// Only this assignee.
    pub assignee_id: Option<&'a str>,
    /// Only documents written at or after (ms).
    pub from: Option<i64>,
    /// Only documents written before (ms).
    pub to: Option<i64>,
    /// Where the page starts.
    pub cursor: Option<&'a Cursor>,
    /// At most this many conversations.
    pub limit: i64,
}

/// A conversation found, with the document that represents it (the newest
/// match, or the best one by relevance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The conversation.
    pub conversation_id: String,
    /// The document (`c:` + conversation id, or a message id).
    pub doc_id: String,
    /// `conversation`, or the message's kind.
    pub kind: String,
    /// When that document was written (ms).
    pub at: i64,
}

/// A statement argument of [`find`].
enum Arg {
    Text(String),
    Int(i64),
}

/// Runs a search on the read pool: one hit per conversation, in order.
pub async fn find(reader: &AnyPool, backend: Backend, f: &Find<'_>) -> AppResult<Vec<Hit>> {
    let mut args: Vec<Arg> = Vec::new();
    let mut arg = |v: Arg| {
        args.push(v);
        format!("${}", args.len())
    };
    let (matched, score) = match backend {
        Backend::Sqlite => {
            let q = arg(Arg::Text(f.query.to_fts5()));
            (
                format!(
                    "search_fts JOIN search_docs d ON d.n = search_fts.rowid \
                     JOIN conversations c ON c.id = d.conversation_id WHERE search_fts MATCH {q}"
                ),
                "bm25(search_fts)".to_owned(),
            )
        }
        Backend::Postgres => {
            let q = arg(Arg::Text(f.query.to_tsquery()));
            (
                format!(
                    "search_docs d JOIN conversations c ON c.id = d.conversation_id \
                     WHERE d.terms @@ {q}::tsquery"
                ),
                format!("-(ts_rank_cd(d.terms, {q}::tsquery)::float8)"),
            )
        }
    };
    // Ranking costs a score per matching document: only when asked for.
    let score = if f.order == Order::Relevance {
        score
    } else {
        "0".to_owned()
    };
    let mut filters = String::new();
    if !f.notes {
        filters.push_str(" AND d.kind <> 'note'");
    }
    for (column, value) in [
        ("c.channel", f.channel),
        ("c.state", f.state),
        ("c.category_id", f.category_id),
        ("c.assignee_id", f.assignee_id),
    ] {
        if let Some(v) = value {
            let p = arg(Arg::Text(v.to_owned()));
            filters.push_str(&format!(" AND {column} = {p}"));
        }
    }
    if let Some(from) = f.from {
        let p = arg(Arg::Int(from));
        filters.push_str(&format!(" AND d.at >= {p}"));
    }
    if let Some(to) = f.to {
        let p = arg(Arg::Int(to));
        filters.push_str(&format!(" AND d.at < {p}"));
    }
    if let Some(agent) = f.viewer {
        // The conversation list's rule (switchboard_core::visibility): their
        // categories and what is assigned to them.
        let p = arg(Arg::Text(agent.to_owned()));
        filters.push_str(&format!(
            " AND (c.assignee_id = {p} OR c.category_id IN \
             (SELECT category_id FROM agent_categories WHERE agent_id = {p}))"
        ));
    }
    let (pick, order) = match f.order {
        // At the same instant a message represents the conversation rather
        // than its own fields (the subject is shown in any case).
        Order::Newest => (
            "at DESC, CASE WHEN kind = 'conversation' THEN 1 ELSE 0 END, doc_id DESC",
            "at DESC, cid DESC",
        ),
        Order::Relevance => (
            "score, at DESC, CASE WHEN kind = 'conversation' THEN 1 ELSE 0 END, doc_id DESC",
            "score, at DESC, cid DESC",
        ),
    };
    let mut page = String::new();
    let mut offset = String::new();
    match f.cursor {
        Some(Cursor::After { at, id }) => {
            let a = arg(Arg::Int(*at));
            let b = arg(Arg::Text(id.clone()));
            page = format!(" AND (at < {a} OR (at = {a} AND cid < {b}))");
        }
        Some(Cursor::Offset(n)) => {
            let o = arg(Arg::Int(i64::try_from(*n).unwrap_or(i64::MAX)));
            offset = format!(" OFFSET {o}");
        }
        None => {}
    }
    let limit = arg(Arg::Int(f.limit));
    let sql = format!(
        "WITH m AS MATERIALIZED (\
            SELECT d.conversation_id AS cid, d.doc_id AS doc_id, d.kind AS kind, d.at AS at, {score} AS score \
            FROM {matched}{filters}), \
         g AS (SELECT cid, doc_id, kind, at, score, \
            ROW_NUMBER() OVER (PARTITION BY cid ORDER BY {pick}) AS r FROM m) \
         SELECT cid, doc_id, kind, at FROM g WHERE r = 1{page} ORDER BY {order} LIMIT {limit}{offset}"
    );
    let mut q = db::query(&sql);
    for a in args {
        q = match a {
            Arg::Text(t) => q.bind(t),
            Arg::Int(i) => q.bind(i),
        };
    }
    let rows = q.fetch_all(reader).await?;
    rows.iter()
        .map(|r| {
            Ok(Hit {
                conversation_id: r.try_get("cid")?,
                doc_id: r.try_get("doc_id")?,
                kind: r.try_get("kind")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
