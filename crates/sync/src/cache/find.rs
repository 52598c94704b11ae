//! A search of the cache: the server's `GET /api/v1/search` answered from
//! the local index (`search`), so it works offline and at the speed of a
//! local read. Same query language, filters, orders, cursors and results
//! (`SearchPage`) as the server; the cache holds only what the agent may
//! see, so no visibility filter is needed here, and notes are found (every
//! user of the desktop is an agent).
//!
//! - **Newest first**: matches are read newest first (the FTS5 rowid is the
//!   document's place in time) in batches, grouped by conversation (its
//!   newest match represents it), until the page is full.
//! - **By relevance**: the newest [`RELEVANCE_CANDIDATES`] matches are
//!   read with their text and ranked by BM25 over those candidates
//!   (`switchboard_core::search::rank`: FTS5's own `bm25()` reads every
//!   posting of each word first), one per conversation (its best).

use std::collections::{HashMap, HashSet};

use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;
use switchboard_api::{Highlight, SearchField, SearchOrder, SearchPage, SearchQuery, SearchResult};
use switchboard_core::search::query::{completions_end, Query, MAX_SPELLED};
use switchboard_core::search::rank;
use switchboard_core::search::snippet::{best_field, snippet, SNIPPET_CHARS};
use switchboard_core::search::text::{terms, DocTerms};
use switchboard_core::search::{doc_number_from, Cursor, DOC_SEQ_BITS};

use super::rows::{corrupt, customer_of, from_ms, parse};
use super::Cache;
use crate::error::{Result, SyncError};

/// The newest matching documents a relevance search ranks (the server's
/// bound too).
pub const RELEVANCE_CANDIDATES: i64 = 1_000;

/// Prefixes this long or longer are spelled out as the cache's words that
/// complete them (`search_terms`); shorter ones have FTS5 prefix indexes of
/// 2, 3 and 4 characters (migration 0011). The server's index has no
/// 4-character one (core's `SPELL_FROM_CHARS`).
pub(super) const SPELL_FROM_CHARS: usize = 5;
/// Documents read by a newest-first search's first batch, per result wanted.
const FIRST_BATCH_PER_RESULT: i64 = 8;
/// The largest batch a newest-first search reads at once.
const MAX_BATCH: i64 = 4_096;

/// A document found.
#[derive(Debug, Clone)]
struct Hit {
    conversation_id: String,
    doc_id: String,
    kind: String,
    at: i64,
    n: i64,
}

enum Arg {
    Text(String),
    Int(i64),
}

/// A statement being written, with its numbered arguments.
#[derive(Default)]
struct Stmt {
    args: Vec<Arg>,
}

impl Stmt {
    fn text(&mut self, v: &str) -> String {
        self.args.push(Arg::Text(v.to_owned()));
        format!("?{}", self.args.len())
    }

    fn int(&mut self, v: i64) -> String {
        self.args.push(Arg::Int(v));
        format!("?{}", self.args.len())
    }

    async fn rows(self, sql: &str, conn: &mut SqliteConnection) -> Result<Vec<SqliteRow>> {
        let mut q = sqlx::query(sql);
        for a in self.args {
            q = match a {
                Arg::Text(t) => q.bind(t),
                Arg::Int(i) => q.bind(i),
            };
        }
        Ok(q.fetch_all(&mut *conn).await?)
    }
}

fn invalid(code: &'static str, message: impl Into<String>) -> SyncError {
    SyncError::Invalid {
        code,
        message: message.into(),
    }
}

impl Cache {
    /// Searches the cache as `GET /api/v1/search` searches the server: one
    /// result per conversation, with the snippet that matched (text, with
    /// the hits as offsets).
    pub async fn search(&self, q: &SearchQuery) -> Result<SearchPage> {
        let query = Query::parse(&q.q).map_err(|e| invalid("invalid_query", e.to_string()))?;
        let order = q.order.unwrap_or_default();
        let cursor = q
            .cursor
            .as_deref()
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| invalid("invalid_cursor", e.to_string()))?;
        let fits = matches!(
            (&cursor, order),
            (None, _)
                | (Some(Cursor::After { .. }), SearchOrder::Newest)
                | (Some(Cursor::Offset(_)), SearchOrder::Relevance)
        );
        if !fits {
            return Err(invalid(
                "invalid_cursor",
                "the cursor belongs to a search in the other order",
            ));
        }
        let limit = q.limit.unwrap_or(20).clamp(1, 100) as usize;
        // One read transaction: the hits and what they show are of one moment.
        let mut tx = self.pool.begin().await?;
        let Some(expr) = fts5_expr(&mut tx, &query).await? else {
            return Ok(SearchPage {
                results: Vec::new(),
                next_cursor: None,
            });
        };
        let mut hits = match order {
            SearchOrder::Newest => newest(&mut tx, q, &expr, cursor.as_ref(), limit + 1).await?,
            SearchOrder::Relevance => {
                relevance(&mut tx, q, &query, &expr, cursor.as_ref(), limit + 1).await?
            }
        };
        let more = hits.len() > limit;
        hits.truncate(limit);
        let next_cursor = match (more, hits.last()) {
            (false, _) | (true, None) => None,
            (true, Some(last)) if order == SearchOrder::Newest => Some(Cursor::After {
                pos: last.n >> DOC_SEQ_BITS,
                n: last.n,
            }),
            (true, Some(_)) => {
                let shown = match cursor {
                    Some(Cursor::Offset(n)) => n,
                    _ => 0,
                };
                Some(Cursor::Offset(shown + limit as u64))
            }
        };
        let results = results(&mut tx, &query, &hits).await?;
        tx.commit().await?;
        Ok(SearchPage {
            results,
            next_cursor: next_cursor.map(|c| c.encode()),
        })
    }
}

/// The FTS5 expression of `q`, long prefixes spelled out as the cache's
/// words (`Query::to_fts5_spelled`). `None`: nothing can match.
async fn fts5_expr(conn: &mut SqliteConnection, q: &Query) -> Result<Option<String>> {
    let mut spelled = HashMap::new();
    for prefix in q.prefixes(SPELL_FROM_CHARS) {
        let words: Vec<String> = sqlx::query_scalar(
            "SELECT term FROM search_terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?",
        )
        .bind(prefix)
        .bind(completions_end(prefix))
        .bind(MAX_SPELLED as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
        if words.len() <= MAX_SPELLED {
            spelled.insert(prefix.to_owned(), words);
        }
    }
    Ok(q.to_fts5_spelled(&spelled))
}

/// `FROM … WHERE …` of the matching documents that pass the filters.
fn matching(f: &SearchQuery, expr: &str, s: &mut Stmt) -> String {
    let q = s.text(expr);
    // CROSS JOIN keeps FTS5 the outer loop, so rows come in its rowid
    // order and a LIMIT stops the reading.
    let mut sql = format!(
        "FROM search_fts CROSS JOIN search_docs d CROSS JOIN conversations c \
         WHERE search_fts MATCH {q} AND d.n = search_fts.rowid AND c.id = d.conversation_id"
    );
    for (column, value) in [
        ("c.channel", f.channel.map(|c| c.as_str())),
        ("c.state", f.state.map(|s| s.as_str())),
        ("c.category_id", f.category_id.as_deref()),
        ("c.assignee_id", f.assignee_id.as_deref()),
    ] {
        if let Some(v) = value {
            let p = s.text(v);
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    if let Some(tag) = f.tag.as_deref() {
        let p = s.text(tag);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = {p})"
        ));
    }
    if let Some(from) = f.from {
        let p = s.int(doc_number_from(from.timestamp_millis()));
        sql.push_str(&format!(" AND search_fts.rowid >= {p}"));
    }
    if let Some(to) = f.to {
        let p = s.int(doc_number_from(to.timestamp_millis()));
        sql.push_str(&format!(" AND search_fts.rowid < {p}"));
    }
    sql
}

const HIT_COLUMNS: &str = "d.conversation_id AS cid, d.doc_id AS doc_id, d.kind AS kind, \
                           d.at AS at, d.n AS n";

fn hit(r: &SqliteRow) -> Result<Hit> {
    Ok(Hit {
        conversation_id: r.try_get("cid")?,
        doc_id: r.try_get("doc_id")?,
        kind: r.try_get("kind")?,
        at: r.try_get("at")?,
        n: r.try_get("n")?,
    })
}

/// Newest first: batches of matches read in order until the page is full.
async fn newest(
    conn: &mut SqliteConnection,
    f: &SearchQuery,
    expr: &str,
    cursor: Option<&Cursor>,
    want: usize,
) -> Result<Vec<Hit>> {
    let shown = match cursor {
        Some(Cursor::After { n, .. }) => Some(*n),
        _ => None,
    };
    let mut hits: Vec<Hit> = Vec::new();
    let mut seen = HashSet::new();
    let mut below = shown;
    let mut batch = (want as i64)
        .saturating_mul(FIRST_BATCH_PER_RESULT)
        .clamp(64, MAX_BATCH);
    loop {
        let mut s = Stmt::default();
        let mut sql = format!("SELECT {HIT_COLUMNS} {}", matching(f, expr, &mut s));
        if let Some(n) = below {
            sql.push_str(&format!(" AND search_fts.rowid < {}", s.int(n)));
        }
        if let Some(n) = shown {
            // The conversation had a match at or above the cursor: an
            // earlier page showed it.
            let (q, n) = (s.text(expr), s.int(n));
            sql.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM search_docs e \
                 WHERE e.conversation_id = d.conversation_id AND e.n >= {n} \
                 AND e.n IN (SELECT a.rowid FROM search_fts a WHERE a.search_fts MATCH {q} AND a.rowid >= {n}))"
            ));
        }
        let limit = s.int(batch);
        sql.push_str(&format!(" ORDER BY search_fts.rowid DESC LIMIT {limit}"));
        let rows = s.rows(&sql, conn).await?;
        let full = rows.len() as i64 == batch;
        for r in &rows {
            let h = hit(r)?;
            below = Some(h.n);
            if seen.insert(h.conversation_id.clone()) {
                hits.push(h);
                if hits.len() == want {
                    return Ok(hits);
                }
            }
        }
        if !full {
            return Ok(hits);
        }
        batch = batch.saturating_mul(4).min(MAX_BATCH);
    }
}

/// By relevance: the newest [`RELEVANCE_CANDIDATES`] matches read with
/// their text and ranked (`rank`), one per conversation (its best), from
/// the cursor's offset.
async fn relevance(
    conn: &mut SqliteConnection,
    f: &SearchQuery,
    query: &Query,
    expr: &str,
    cursor: Option<&Cursor>,
    want: usize,
) -> Result<Vec<Hit>> {
    let mut s = Stmt::default();
    let from = matching(f, expr, &mut s);
    let limit = s.int(RELEVANCE_CANDIDATES);
    let sql = format!(
        "SELECT x.*, m.body AS body FROM \
         (SELECT {HIT_COLUMNS}, c.subject AS subject, c.customer_name AS name, \
          c.customer_email AS email, c.customer_phone AS phone {from} \
          ORDER BY search_fts.rowid DESC LIMIT {limit}) x \
         LEFT JOIN messages m ON x.kind <> 'conversation' AND m.id = x.doc_id"
    );
    let rows = s.rows(&sql, conn).await?;
    let mut hits = Vec::with_capacity(rows.len());
    let mut counts = Vec::with_capacity(rows.len());
    for r in &rows {
        let h = hit(r)?;
        counts.push(if h.kind == "conversation" {
            let field = |c: &str| r.try_get::<Option<String>, _>(c);
            let doc = DocTerms::conversation(
                &r.try_get::<String, _>("subject")?,
                field("name")?.as_deref(),
                field("email")?.as_deref(),
                field("phone")?.as_deref(),
            );
            rank::counts(doc.as_slice(), query)
        } else {
            let body: Option<String> = r.try_get("body")?;
            rank::counts(&terms(&body.unwrap_or_default()), query)
        });
        hits.push(h);
    }
    let scores = rank::scores(&counts);
    // Each conversation's best document (the newest on a tie).
    let mut best: HashMap<String, (f64, Hit)> = HashMap::new();
    for (h, score) in hits.into_iter().zip(scores) {
        match best.get(&h.conversation_id) {
            Some((b, _)) if *b >= score => {}
            _ => {
                best.insert(h.conversation_id.clone(), (score, h));
            }
        }
    }
    let mut ranked: Vec<(f64, Hit)> = best.into_values().collect();
    ranked.sort_by(|(a, x), (b, y)| b.total_cmp(a).then(y.n.cmp(&x.n)));
    let skip = match cursor {
        Some(Cursor::Offset(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
        _ => 0,
    };
    Ok(ranked
        .into_iter()
        .skip(skip)
        .take(want)
        .map(|(_, h)| h)
        .collect())
}

/// The hits as results: their conversations and messages read back in one
/// statement (the hits' places in the page, their conversations, the
/// bodies of those that are messages), with snippets.
async fn results(
    conn: &mut SqliteConnection,
    query: &Query,
    hits: &[Hit],
) -> Result<Vec<SearchResult>> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<(&str, Option<&str>)> = hits
        .iter()
        .map(|h| {
            let message = (h.kind != "conversation").then_some(h.doc_id.as_str());
            (h.conversation_id.as_str(), message)
        })
        .collect();
    let rows = sqlx::query(
        "SELECT CAST(h.key AS INTEGER) AS k, c.channel, c.subject, c.category_id, c.state, \
         c.assignee_id, c.customer_name, c.customer_email, c.customer_phone, m.body AS body \
         FROM json_each(?) h \
         JOIN conversations c ON c.id = json_extract(h.value, '$[0]') \
         LEFT JOIN messages m ON m.id = json_extract(h.value, '$[1]')",
    )
    .bind(serde_json::to_string(&keys).map_err(corrupt)?)
    .fetch_all(&mut *conn)
    .await?;
    let mut found: Vec<Option<&SqliteRow>> = vec![None; hits.len()];
    for r in &rows {
        let k: i64 = r.try_get("k")?;
        if let Some(slot) = usize::try_from(k).ok().and_then(|k| found.get_mut(k)) {
            *slot = Some(r);
        }
    }
    let mut out = Vec::with_capacity(hits.len());
    for (h, c) in hits.iter().zip(found) {
        let Some(c) = c else { continue };
        let subject: String = c.try_get("subject")?;
        let customer = customer_of(c)?;
        let (matched, message_id, snip) = if h.kind == "conversation" {
            let (field, snip) = best_field(
                &subject,
                customer.name.as_deref(),
                customer.email.as_deref(),
                customer.phone.as_deref(),
                query,
            );
            (field.into(), None, snip)
        } else {
            let body: Option<String> = c.try_get("body")?;
            let Some(body) = body else { continue };
            let field = if h.kind == "note" {
                SearchField::Note
            } else {
                SearchField::Message
            };
            (
                field,
                Some(h.doc_id.clone()),
                snippet(&body, query, SNIPPET_CHARS),
            )
        };
        out.push(SearchResult {
            conversation_id: h.conversation_id.clone(),
            subject,
            channel: parse(c.try_get("channel")?)?,
            state: parse(c.try_get("state")?)?,
            category_id: c.try_get("category_id")?,
            assignee_id: c.try_get("assignee_id")?,
            customer,
            matched,
            message_id,
            highlights: Highlight::all_of(&snip),
            snippet: snip.text,
            at: from_ms(h.at)?,
        });
    }
    Ok(out)
}
