//! The query of a search: one hit per conversation, newest first or by
//! relevance, read from the index without collecting every match.
//!
//! Every document has a place in newest-first order: `pos` (its time in ms
//! × 2, + 1 for a message, so at the same instant a message represents its
//! conversation rather than the conversation's own fields) and a number `n`
//! that breaks ties. On SQLite `n` is the FTS5 rowid and holds `pos` in its
//! high bits (`pos << 19` + a sequence: `store::search::put`), so FTS5 reads
//! a match in that order; on PostgreSQL an index on `(pos, n)` does.
//!
//! - **Newest first**: matches are read newest first in batches (the first
//!   holds 8 documents per result wanted, each next one 4× more, at most
//!   4,096), with the caller's visibility and the filters in the same
//!   statement, and grouped here: a conversation's first match is its
//!   newest and represents it. Reading stops as soon as the page is full.
//!   After a cursor, a conversation with a match at or above the cursor was
//!   on an earlier page and is skipped (checked in the statement, against
//!   the conversation's own documents).
//! - **By relevance**: the [`RELEVANCE_CANDIDATES`] newest matching
//!   documents the caller may see are ranked and grouped by their best
//!   document: on SQLite from the candidates' own terms
//!   (`switchboard_core::search::rank`, as the desktop's cache does), on
//!   PostgreSQL by `ts_rank_cd`. FTS5's `bm25()` was used on SQLite until
//!   the index held a million messages: it counts each word's documents by
//!   reading every posting first (25 ms for the commonest word there,
//!   against 1 ms to read the candidates' terms; at 10,000 conversations
//!   it had been the cheaper of the two, `cargo xtask bench --only search`).
//!   A query with fewer matches is ranked whole; a more common one, among
//!   its newest matches.
//!
//! On SQLite the hits of a statement come back as one row (a JSON array,
//! [`sqlite_hits`]): sqlx hands each row over from the connection's thread
//! on its own, which cost more than the statement for hundreds of hits.

use std::collections::{HashMap, HashSet};

use sqlx::AnyPool;
use switchboard_core::search::query::{completions_end, Query, MAX_SPELLED, SPELL_FROM_CHARS};
use switchboard_core::search::{doc_number_from, rank, Cursor};

use super::super::db::{self, Row};
use super::super::Backend;
mod pg;
use crate::error::AppResult;

/// The newest matching documents ranked by a relevance search (the bound on
/// its cost: ranking every match of a common word is what made searches
/// queue up).
pub const RELEVANCE_CANDIDATES: i64 = 1_000;

/// Documents read by a newest-first search's first batch, per result wanted.
const FIRST_BATCH_PER_RESULT: i64 = 8;

/// The largest batch a newest-first search reads at once.
const MAX_BATCH: i64 = 4_096;

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
    /// Only conversations with this tag.
    pub tag: Option<&'a str>,
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
    /// The document's place in newest-first order ([`Cursor::After`]).
    pub pos: i64,
    /// The document's number (breaks ties of `pos`).
    pub n: i64,
}

/// A statement argument.
enum Arg {
    Text(String),
    Int(i64),
}

/// A statement being written, with its arguments.
#[derive(Default)]
struct Stmt {
    args: Vec<Arg>,
}

impl Stmt {
    fn text(&mut self, v: &str) -> String {
        self.args.push(Arg::Text(v.to_owned()));
        format!("${}", self.args.len())
    }

    fn int(&mut self, v: i64) -> String {
        self.args.push(Arg::Int(v));
        format!("${}", self.args.len())
    }

    async fn rows(self, sql: &str, reader: &AnyPool) -> AppResult<Vec<Row>> {
        let mut q = db::query(sql);
        for a in self.args {
            q = match a {
                Arg::Text(t) => q.bind(t),
                Arg::Int(i) => q.bind(i),
            };
        }
        Ok(q.fetch_all(reader).await?)
    }
}

/// Hits with their terms (`terms`: empty unless asked for), read on
/// SQLite as one row: sqlx hands a SQLite statement's rows over from the
/// connection's thread one at a time, and for the hundreds of hits a search
/// reads that hand-over cost more than the statement (a JSON array is built
/// by SQLite and parsed here instead). `inner` selects [`SQLITE_HIT_COLUMNS`] and,
/// when `with_terms`, `terms`; the hits come back newest first.
async fn sqlite_hits(
    s: Stmt,
    inner: &str,
    with_terms: bool,
    reader: &AnyPool,
) -> AppResult<Vec<(Hit, String)>> {
    let terms = if with_terms { "terms" } else { "''" };
    let sql = format!(
        "SELECT json_group_array(json_array(cid, doc_id, kind, at, pos, n, {terms})) AS hits FROM ({inner})"
    );
    let rows = s.rows(&sql, reader).await?;
    let json: Option<String> = match rows.first() {
        Some(r) => r.try_get("hits")?,
        None => None,
    };
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    type Raw = (String, String, String, i64, i64, i64, String);
    let raw: Vec<Raw> = serde_json::from_str(&json)
        .map_err(|e| crate::error::AppError::Internal(format!("search hits: {e}")))?;
    let mut out: Vec<(Hit, String)> = raw
        .into_iter()
        .map(|(conversation_id, doc_id, kind, at, pos, n, terms)| {
            (
                Hit {
                    conversation_id,
                    doc_id,
                    kind,
                    at,
                    pos,
                    n,
                },
                terms,
            )
        })
        .collect();
    // The aggregate's order is the subquery's in practice, not by promise.
    out.sort_by_key(|h| std::cmp::Reverse(h.0.n));
    Ok(out)
}

/// What SQLite's statements of a search share: the matching documents of
/// visible conversations that pass the filters, as `FROM … WHERE …` with
/// `d` the document (`search_docs`) and `c` its conversation. (PostgreSQL's
/// are module `pg`'s.)
fn matching(f: &Find<'_>, expr: &str, s: &mut Stmt) -> String {
    let q = s.text(expr);
    // CROSS JOIN keeps FTS5 the outer loop, so rows come in its rowid order
    // and a LIMIT stops the reading; the conversation is checked in the
    // index that holds every column checked (migration 0018).
    let mut sql = format!(
        "FROM search_fts CROSS JOIN search_docs d \
         CROSS JOIN conversations c INDEXED BY conversations_seen \
         WHERE search_fts MATCH {q} AND d.n = search_fts.rowid AND c.id = d.conversation_id"
    );
    // The bounds go on FTS5's rowid, which it reads by.
    sql.push_str(&doc_filters(Backend::Sqlite, f, s, "d", "search_fts.rowid"));
    for check in conversation_checks(f, s) {
        sql.push_str(" AND ");
        sql.push_str(&check);
    }
    sql
}

/// The checks on a document's conversation (`c`), each a condition: the
/// filters on it (its tag among them), and the caller's visibility (the conversation list's
/// rule, `switchboard_core::visibility`: their categories and what is
/// assigned to them).
fn conversation_checks(f: &Find<'_>, s: &mut Stmt) -> Vec<String> {
    let mut checks = Vec::new();
    for (column, value) in [
        ("c.channel", f.channel),
        ("c.state", f.state),
        ("c.category_id", f.category_id),
        ("c.assignee_id", f.assignee_id),
    ] {
        if let Some(v) = value {
            checks.push(format!("{column} = {}", s.text(v)));
        }
    }
    if let Some(tag) = f.tag {
        checks.push(format!(
            "EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id = {})",
            s.text(tag)
        ));
    }
    if let Some(agent) = f.viewer {
        let p = s.text(agent);
        checks.push(format!(
            "(c.assignee_id = {p} OR c.category_id IN \
             (SELECT category_id FROM agent_categories WHERE agent_id = {p}))"
        ));
    }
    checks
}

/// The filters on a document (`t`: its table's alias; `place`: its number
/// on SQLite, `pos` on PostgreSQL): notes, and times, also as bounds on its
/// place, which the index reads by.
fn doc_filters(backend: Backend, f: &Find<'_>, s: &mut Stmt, t: &str, place: &str) -> String {
    let mut sql = String::new();
    if !f.notes {
        sql.push_str(&format!(" AND {t}.kind <> 'note'"));
    }
    let bound = |at: i64| match backend {
        Backend::Sqlite => doc_number_from(at),
        Backend::Postgres => at.saturating_mul(2),
    };
    if let Some(from) = f.from {
        let (a, b) = (s.int(from), s.int(bound(from)));
        sql.push_str(&format!(" AND {t}.at >= {a} AND {place} >= {b}"));
    }
    if let Some(to) = f.to {
        let (a, b) = (s.int(to), s.int(bound(to)));
        sql.push_str(&format!(" AND {t}.at < {a} AND {place} < {b}"));
    }
    sql
}

/// The columns a hit is read from on SQLite (`pos` from the FTS5 rowid;
/// PostgreSQL's statement is module `pg`'s).
const SQLITE_HIT_COLUMNS: &str = "d.conversation_id AS cid, d.doc_id AS doc_id, d.kind AS kind, \
     d.at AS at, (d.n >> 19) AS pos, d.n AS n";

fn hit(r: &Row) -> AppResult<Hit> {
    Ok(Hit {
        conversation_id: r.try_get("cid")?,
        doc_id: r.try_get("doc_id")?,
        kind: r.try_get("kind")?,
        at: r.try_get("at")?,
        pos: r.try_get("pos")?,
        n: r.try_get("n")?,
    })
}

/// SQLite's newest-first order, for `ORDER BY`: FTS5's rowid.
const SQLITE_NEWEST_FIRST: &str = "search_fts.rowid DESC";

/// Runs a search on the read pool: one hit per conversation, in order, at
/// most `f.limit`.
pub async fn find(reader: &AnyPool, backend: Backend, f: &Find<'_>) -> AppResult<Vec<Hit>> {
    let expr = match backend {
        Backend::Sqlite => match fts5_expr(reader, f.query).await? {
            Some(e) => e,
            None => return Ok(Vec::new()),
        },
        Backend::Postgres => f.query.to_tsquery(),
    };
    match f.order {
        Order::Newest => newest(reader, backend, f, &expr).await,
        Order::Relevance => relevance(reader, backend, f, &expr).await,
    }
}

/// The FTS5 expression of `q`, its long prefixes spelled out as the words
/// of `search_terms` (`Query::to_fts5_spelled`: then FTS5 reads matches in
/// order instead of merging every doclist of the prefix first). `None`:
/// nothing can match.
async fn fts5_expr(reader: &AnyPool, q: &Query) -> AppResult<Option<String>> {
    let prefixes = q.prefixes(SPELL_FROM_CHARS);
    let mut spelled: HashMap<String, Vec<String>> = HashMap::new();
    if !prefixes.is_empty() {
        // One statement for all of them: `k` is the prefix's place.
        let mut s = Stmt::default();
        let parts: Vec<String> = prefixes
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (from, to) = (s.text(p), s.text(&completions_end(p)));
                let limit = s.int(MAX_SPELLED as i64 + 1);
                format!(
                    "SELECT * FROM (SELECT {k} AS k, term FROM search_terms \
                     WHERE term >= {from} AND term < {to} ORDER BY term LIMIT {limit})"
                )
            })
            .collect();
        let mut words: Vec<Vec<String>> = vec![Vec::new(); prefixes.len()];
        for r in s.rows(&parts.join(" UNION ALL "), reader).await? {
            let k: i64 = r.try_get("k")?;
            let word: String = r.try_get("term")?;
            if let Some(w) = usize::try_from(k).ok().and_then(|k| words.get_mut(k)) {
                w.push(word);
            }
        }
        for (prefix, words) in prefixes.iter().zip(words) {
            if words.len() <= MAX_SPELLED {
                spelled.insert((*prefix).to_owned(), words);
            }
        }
    }
    Ok(q.to_fts5_spelled(&spelled))
}

/// Newest first: batches of matches read in order until the page is full.
async fn newest(
    reader: &AnyPool,
    backend: Backend,
    f: &Find<'_>,
    expr: &str,
) -> AppResult<Vec<Hit>> {
    let want = usize::try_from(f.limit).unwrap_or(0);
    let mut hits: Vec<Hit> = Vec::new();
    if want == 0 {
        return Ok(hits);
    }
    let shown = match f.cursor {
        Some(Cursor::After { pos, n }) => Some((*pos, *n)),
        _ => None,
    };
    let mut seen = HashSet::new();
    let mut below = shown;
    let mut batch = f
        .limit
        .saturating_mul(FIRST_BATCH_PER_RESULT)
        .clamp(64, MAX_BATCH);
    loop {
        let read: Vec<(Hit, bool)> = match backend {
            Backend::Sqlite => {
                let mut s = Stmt::default();
                let mut sql = format!(
                    "SELECT {} {}",
                    SQLITE_HIT_COLUMNS,
                    matching(f, expr, &mut s)
                );
                if let Some((_, n)) = below {
                    sql.push_str(&format!(" AND search_fts.rowid < {}", s.int(n)));
                }
                if let Some((_, n)) = shown {
                    sql.push_str(&on_an_earlier_page(f, expr, &mut s, n));
                }
                let limit = s.int(batch);
                sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", SQLITE_NEWEST_FIRST));
                sqlite_hits(s, &sql, false, reader)
                    .await?
                    .into_iter()
                    .map(|(h, _)| (h, true))
                    .collect()
            }
            Backend::Postgres => {
                let bounds = pg::Bounds { below, shown };
                pg::batch(reader, f, expr, &bounds, batch, false)
                    .await?
                    .into_iter()
                    .map(|r| (r.hit, r.ok))
                    .collect()
            }
        };
        let full = read.len() as i64 == batch;
        for (h, ok) in read {
            below = Some((h.pos, h.n));
            if ok && seen.insert(h.conversation_id.clone()) {
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

/// ` AND NOT EXISTS (…)`: the document's conversation has a match at or
/// above the cursor (`n`), so an earlier page showed it (SQLite; module
/// `pg` has PostgreSQL's). The matches above the cursor are read once per
/// statement.
fn on_an_earlier_page(f: &Find<'_>, expr: &str, s: &mut Stmt, n: i64) -> String {
    let q = s.text(expr);
    let n = s.int(n);
    let filters = doc_filters(Backend::Sqlite, f, s, "e", "e.n");
    format!(
        " AND NOT EXISTS (SELECT 1 FROM search_docs e \
         WHERE e.conversation_id = d.conversation_id AND e.n >= {n}{filters} \
         AND e.n IN (SELECT a.rowid FROM search_fts a WHERE a.search_fts MATCH {q} AND a.rowid >= {n}))"
    )
}

/// By relevance: the newest [`RELEVANCE_CANDIDATES`] matches ranked, one per
/// conversation (its best), from the cursor's offset.
async fn relevance(
    reader: &AnyPool,
    backend: Backend,
    f: &Find<'_>,
    expr: &str,
) -> AppResult<Vec<Hit>> {
    let scored: Vec<(Hit, f64)> = match backend {
        // The candidates' terms, ranked here (core's rank): FTS5's bm25()
        // reads every posting of each word first (25 ms for the commonest
        // word at a million messages, against 1 ms for the candidates).
        Backend::Sqlite => {
            let mut s = Stmt::default();
            let from = matching(f, expr, &mut s);
            let limit = s.int(RELEVANCE_CANDIDATES);
            let inner =
                format!("SELECT {SQLITE_HIT_COLUMNS}, d.terms AS terms {from} ORDER BY {SQLITE_NEWEST_FIRST} LIMIT {limit}");
            let found = sqlite_hits(s, &inner, true, reader).await?;
            let counts: Vec<rank::Counts> = found
                .iter()
                .map(|(_, terms)| {
                    let doc: Vec<&str> = terms.split(' ').collect();
                    rank::counts(&doc, f.query)
                })
                .collect();
            // Lower is better below, as with PostgreSQL's negated rank.
            let scores = rank::scores(&counts).into_iter().map(|s| -s);
            found.into_iter().map(|(h, _)| h).zip(scores).collect()
        }
        // Ranked in the statement (module `pg`), batch by batch until
        // there are enough the caller may see.
        Backend::Postgres => {
            let mut below: Option<(i64, i64)> = None;
            let mut found: Vec<(Hit, f64)> = Vec::new();
            'read: loop {
                let bounds = pg::Bounds { below, shown: None };
                let read = pg::batch(reader, f, expr, &bounds, RELEVANCE_CANDIDATES, true).await?;
                let full = read.len() as i64 == RELEVANCE_CANDIDATES;
                for r in read {
                    below = Some((r.hit.pos, r.hit.n));
                    if r.ok {
                        // Lower is better below.
                        found.push((r.hit, -r.score));
                        if found.len() as i64 == RELEVANCE_CANDIDATES {
                            break 'read found;
                        }
                    }
                }
                if !full {
                    break found;
                }
            }
        }
    };
    // Each conversation's best document (lowest score; the newest on a tie).
    let mut best: HashMap<String, (f64, Hit)> = HashMap::new();
    for (h, score) in scored {
        match best.get(&h.conversation_id) {
            Some((b, _)) if *b <= score => {}
            _ => {
                best.insert(h.conversation_id.clone(), (score, h));
            }
        }
    }
    let mut ranked: Vec<(f64, Hit)> = best.into_values().collect();
    ranked.sort_by(|(a, x), (b, y)| a.total_cmp(b).then(y.pos.cmp(&x.pos)).then(y.n.cmp(&x.n)));
    let skip = match f.cursor {
        Some(Cursor::Offset(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
        _ => 0,
    };
    let take = usize::try_from(f.limit).unwrap_or(0);
    Ok(ranked
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|(_, h)| h)
        .collect())
}
