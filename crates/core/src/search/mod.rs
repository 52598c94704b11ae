//! Search over conversations: the rules every index follows, with no IO.
//!
//! - [`text`]: how text becomes tokens (case and accents folded, Chinese
//!   and Japanese characters one token each) and what a document indexes.
//! - [`query`]: what a query means, and its FTS5 and `tsquery` forms.
//! - [`snippet`]: where the hits are, for highlighting as text.
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

/// Where the next page of results starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Newest first: after the result at this time (ms) and conversation id.
    After {
        /// Time of the last result shown, in ms.
        at: i64,
        /// Its conversation id.
        id: String,
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
            Cursor::After { at, id } => format!("n.{at}.{id}"),
            Cursor::Offset(n) => format!("r.{n}"),
        }
    }

    /// Reads a cursor given back by a client.
    pub fn parse(s: &str) -> Result<Cursor, BadCursor> {
        if let Some(n) = s.strip_prefix("r.") {
            return n.parse().map(Cursor::Offset).map_err(|_| BadCursor);
        }
        let rest = s.strip_prefix("n.").ok_or(BadCursor)?;
        let (at, id) = rest.split_once('.').ok_or(BadCursor)?;
        let at: i64 = at.parse().map_err(|_| BadCursor)?;
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(BadCursor);
        }
        Ok(Cursor::After {
            at,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_found_by_the_team_only() {
        assert!(may_find_notes(Audience::Team));
        assert!(!may_find_notes(Audience::Customer));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        for c in [
            Cursor::After {
                at: 1_767_225_600_000,
                id: "0192abcdef".into(),
            },
            Cursor::After {
                at: -5,
                id: "x".into(),
            },
            Cursor::Offset(40),
        ] {
            assert_eq!(Cursor::parse(&c.encode()), Ok(c));
        }
        for bad in [
            "", "n.", "n.12", "n.x.abc", "n.1.", "n.1.a b", "r.-1", "r.x", "q.1", "n.1.a'--",
        ] {
            assert_eq!(Cursor::parse(bad), Err(BadCursor), "{bad}");
        }
    }
}
