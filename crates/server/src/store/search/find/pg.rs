//! PostgreSQL's statement for one batch of a search: the matching
//! documents newest first, then the checks on their conversations.
//!
//! The documents are read first, on their own, as a materialized list
//! (`WITH m AS MATERIALIZED`): the GIN index's few matches for a rare word,
//! or the `(pos, n)` index walked backwards for a common one, bounded by the
//! batch. Only then is each document's
//! conversation read by its key, for the caller's visibility and the
//! filters, which come back as a flag (`ok`) instead of being part of the
//! match. With the two in one query, PostgreSQL joined every match of a
//! rare word against the whole conversations table (a hash of 100,000 rows
//! built for 120 matches: 48 ms against 1.5 ms this way, at a million
//! messages); a flag keeps the batch's length the length of what was read,
//! so the caller knows where to go on.

use sqlx::AnyPool;

use super::{conversation_checks, doc_filters, hit, Backend, Find, Hit, Stmt};
use crate::error::AppResult;

/// A document read, with whether it counts and its rank (relevance only).
pub(super) struct Read {
    /// The document.
    pub hit: Hit,
    /// The caller may see its conversation, it passes the filters and (after
    /// a cursor) its conversation was not on an earlier page.
    pub ok: bool,
    /// `ts_rank_cd`, when asked for.
    pub score: f64,
}

/// Where a batch reads.
pub(super) struct Bounds {
    /// Below this document (`(pos, n) < below`).
    pub below: Option<(i64, i64)>,
    /// The cursor of a later page: conversations with a match at or above
    /// it were shown already.
    pub shown: Option<(i64, i64)>,
}

/// Up to `limit` matching documents newest first within `b`, each flagged.
pub(super) async fn batch(
    reader: &AnyPool,
    f: &Find<'_>,
    expr: &str,
    b: &Bounds,
    limit: i64,
    rank: bool,
) -> AppResult<Vec<Read>> {
    let mut s = Stmt::default();
    let q = s.text(expr);
    let mut docs = format!("d.terms @@ {q}::tsquery");
    docs.push_str(&doc_filters(Backend::Postgres, f, &mut s, "d", "d.pos"));
    if let Some((pos, n)) = b.below {
        docs.push_str(&format!(
            " AND (d.pos, d.n) < ({}, {})",
            s.int(pos),
            s.int(n)
        ));
    }
    let limit = s.int(limit);
    let terms = if rank { ", d.terms" } else { "" };
    let mut ok: Vec<String> = vec!["c.id IS NOT NULL".to_owned()];
    ok.extend(conversation_checks(f, &mut s));
    if let Some((pos, n)) = b.shown {
        let (pos, n) = (s.int(pos), s.int(n));
        let filters = doc_filters(Backend::Postgres, f, &mut s, "e", "e.pos");
        ok.push(format!(
            "NOT EXISTS (SELECT 1 FROM search_docs e \
             WHERE e.conversation_id = m.cid AND (e.pos, e.n) >= ({pos}, {n}){filters} \
             AND e.terms @@ {q}::tsquery)"
        ));
    }
    let ok = format!("CASE WHEN {} THEN 1 ELSE 0 END", ok.join(" AND "));
    let score = if rank {
        format!("ts_rank_cd(m.terms, {q}::tsquery)::float8")
    } else {
        "0::float8".to_owned()
    };
    let sql = format!(
        "WITH m AS MATERIALIZED (\
           SELECT d.conversation_id AS cid, d.doc_id AS doc_id, d.kind AS kind, d.at AS at, \
                  d.pos AS pos, d.n AS n{terms} \
           FROM search_docs d WHERE {docs} ORDER BY d.pos DESC, d.n DESC LIMIT {limit}) \
         SELECT m.cid, m.doc_id, m.kind, m.at, m.pos, m.n, {ok} AS ok, {score} AS score \
         FROM m LEFT JOIN conversations c ON c.id = m.cid ORDER BY m.pos DESC, m.n DESC"
    );
    s.rows(&sql, reader)
        .await?
        .iter()
        .map(|r| {
            let ok: i64 = r.try_get("ok")?;
            Ok(Read {
                hit: hit(r)?,
                ok: ok == 1,
                score: r.try_get("score")?,
            })
        })
        .collect()
}
