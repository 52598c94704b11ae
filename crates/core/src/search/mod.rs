//! Search over conversations: the rules every index follows, with no IO.
//!
//! - [`text`]: how text becomes tokens (case and accents folded, Chinese
//!   and Japanese characters one token each) and what a document indexes.
//! - [`query`]: what a query means, and its FTS5 and `tsquery` forms.
//! - [`snippet`]: where the hits are, for highlighting as text.
//! - [`rank`]: relevance among a search's candidates.
//! - [`Cursor`]: the opaque position of a page.
//! - [`may_find_notes`]: internal notes are found by the team only.
//!
//! ```
//! use switchboard_core::search::{query::Query, snippet::snippet};
//!
//! let q = Query::parse("cafe").unwrap();
//! assert_eq!(q.to_fts5(), "\"cafe\" *");
//! let s = snippet("Un café, merci", &q, 100);
//! assert_eq!(s.highlights, [(3, 7)]);
//! ```

pub mod query;
pub mod rank;
pub mod snippet;
pub mod text;

/// Who is searching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// An agent or an admin (anyone with an account).
    Team,
    /// A customer or widget visitor.
    Customer,
}

/// Whether internal notes may be found: they are seen by agents only
/// (DESIGN: "visible to agents only, never sent over any channel, never
/// shown in the widget"), so a search on behalf of a customer never finds
/// one.
pub fn may_find_notes(audience: Audience) -> bool {
    audience == Audience::Team
}

/// Bits of a SQLite document number below its place in time: documents
/// written in the same millisecond are numbered apart in them.
pub const DOC_SEQ_BITS: u32 = 19;

/// The lowest number of a SQLite index document written at `at` (ms since
/// the epoch), if it fits: its place in newest-first order (`at` × 2, + 1
/// for a message, so at the same instant a message comes before its
/// conversation's own fields) shifted left by [`DOC_SEQ_BITS`]. FTS5 reads
/// matches in rowid order, so with these numbers as rowids a newest-first
/// search reads the newest matches first and stops when its page is full.
/// The server's index and the desktop's cache number documents alike.
pub fn doc_number_base(at: i64, message: bool) -> Option<i64> {
    at.checked_mul(2)?
        .checked_add(i64::from(message))?
        .checked_mul(1 << DOC_SEQ_BITS)
}

/// The lowest document number at or after `at` (ms), saturating: a bound
/// on the rowids of a time filter.
pub fn doc_number_from(at: i64) -> i64 {
    doc_number_base(at, false).unwrap_or(if at < 0 { i64::MIN } else { i64::MAX })
}

/// Where the next page of results starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Newest first: after the document that represented the last result
    /// shown, by its place in the index's newest-first order (`pos`: its
    /// time in ms × 2, + 1 for a message, so a message comes before its
    /// conversation's own fields written at the same instant; `n`: its
    /// number, which breaks ties).
    After {
        /// The document's time × 2 (+ 1 for a message).
        pos: i64,
        /// The document's number in the index.
        n: i64,
    },
    /// By relevance: this many results were shown.
    Offset(u64),
}

/// A cursor that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this server gave")]
pub struct BadCursor;

impl Cursor {
    /// Its text form (opaque to clients).
    pub fn encode(&self) -> String {
        match self {
            Cursor::After { pos, n } => format!("p.{pos}.{n}"),
            Cursor::Offset(n) => format!("r.{n}"),
        }
    }

    /// Reads a cursor given back by a client.
    pub fn parse(s: &str) -> Result<Cursor, BadCursor> {
        if let Some(n) = s.strip_prefix("r.") {
            return n.parse().map(Cursor::Offset).map_err(|_| BadCursor);
        }
        let rest = s.strip_prefix("p.").ok_or(BadCursor)?;
        let (pos, n) = rest.split_once('.').ok_or(BadCursor)?;
        let pos: i64 = pos.parse().map_err(|_| BadCursor)?;
        let n: i64 = n.parse().map_err(|_| BadCursor)?;
        Ok(Cursor::After { pos, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_numbers_keep_time_order_and_saturate() {
        let a = doc_number_base(1_700_000_000_000, false).unwrap();
        let b = doc_number_base(1_700_000_000_000, true).unwrap();
        let c = doc_number_base(1_700_000_000_001, false).unwrap();
        assert!(a < b && b + (1 << DOC_SEQ_BITS) - 1 < c);
        assert_eq!(b >> DOC_SEQ_BITS, 1_700_000_000_000 * 2 + 1);
        assert_eq!(doc_number_base(i64::MAX / 2, true), None);
        assert_eq!(doc_number_from(i64::MAX / 2), i64::MAX);
        assert_eq!(doc_number_from(i64::MIN / 2), i64::MIN);
    }

    #[test]
    fn notes_are_found_by_the_team_only() {
        assert!(may_find_notes(Audience::Team));
        assert!(!may_find_notes(Audience::Customer));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        for c in [
            Cursor::After {
                pos: 3_534_451_200_001,
                n: 1_853_058_890_531_028_992,
            },
            Cursor::After { pos: -5, n: 7 },
            Cursor::Offset(40),
        ] {
            assert_eq!(Cursor::parse(&c.encode()), Ok(c));
        }
        for bad in [
            "", "p.", "p.12", "p.x.1", "p.1.", "p.1.a", "p.1.2.3", "r.-1", "r.x", "q.1", "n.1.abc",
            "p.1.2'--",
        ] {
            assert_eq!(Cursor::parse(bad), Err(BadCursor), "{bad}");
        }
    }
}
