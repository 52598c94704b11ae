//! What a person types into the search box, parsed once and rendered as a
//! match expression for SQLite FTS5 or PostgreSQL `tsquery`.
//!
//! - Words separated by spaces must all be found in the same document
//!   (a conversation's subject and customer fields together, or one message).
//! - Each word is a prefix: `ref` finds `refund`. A word that holds
//!   punctuation is a phrase of its parts (`anna.k@exa` finds
//!   `anna.k@example.com`); a run of Chinese or Japanese characters is a
//!   phrase of its characters (`東京` finds `東京都`).
//! - `"double quotes"` make an exact phrase, with no prefix.
//! - A word that looks like a phone number (digits with `+ - ( ) .` and at
//!   least 4 digits) also matches its digits run together, so `555-010-2030`
//!   finds `+15550102030`.

use std::collections::HashMap;

use super::text::{quote_lexeme, tokens};

/// The longest query taken, in characters.
pub const MAX_QUERY_CHARS: usize = 500;

/// The most words in one query.
pub const MAX_TERMS: usize = 16;

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to search for (blank, or punctuation only).
    #[error("the query has no letters or digits to search for")]
    Empty,
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the query is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
    /// More than [`MAX_TERMS`] words.
    #[error("the query has more than {MAX_TERMS} words")]
    TooManyTerms,
}

/// Tokens that must follow each other; the last one may be a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// Normalised tokens, in order.
    pub tokens: Vec<String>,
    /// Whether the last token matches as a prefix.
    pub prefix: bool,
}

/// One word of the query: found when any of its phrases is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The ways it may be found (usually one).
    pub alternatives: Vec<Phrase>,
}

/// A parsed query: every term must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The terms.
    pub terms: Vec<Term>,
}

fn phone_like(word: &str) -> Option<String> {
    let mut digits = String::new();
    for c in word.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    (digits.len() >= 4).then_some(digits)
}

fn term(word: &str, quoted: bool) -> Option<Term> {
    let toks = tokens(word);
    let last_ideographic = toks.last()?.ideographic;
    let phrase = Phrase {
        prefix: !quoted && !last_ideographic,
        tokens: toks.into_iter().map(|t| t.text).collect(),
    };
    let mut alternatives = vec![phrase];
    if !quoted {
        if let Some(digits) = phone_like(word) {
            let joined = Phrase {
                tokens: vec![digits],
                prefix: true,
            };
            if !alternatives.contains(&joined) {
                alternatives.push(joined);
            }
        }
    }
    Some(Term { alternatives })
}

/// A term that is one letter or digit typed as a prefix.
fn one_letter_prefix(t: &Term) -> bool {
    matches!(t.alternatives.as_slice(),
        [p] if p.prefix && p.tokens.len() == 1 && p.tokens[0].chars().count() == 1)
}

/// Prefixes this long or longer are spelled out as the server's index's
/// words that complete them (shorter ones have FTS5 prefix indexes of their
/// own: 2 and 3 characters): see [`Query::to_fts5_spelled`]. The desktop
/// cache also has a 4-character prefix index and spells from 5.
pub const SPELL_FROM_CHARS: usize = 4;

/// A prefix that completes to more words than this stays a prefix. FTS5
/// reads an `OR` of words at about 25 µs a word before the first row, so
/// 512 words cost about 13 ms; beyond that FTS5's own prefix merge is used
/// (it costs what the prefix's postings are: little for the many rare words
/// — numbers, ids — that make such long lists of completions).
pub const MAX_SPELLED: usize = 512;

/// A phrase of several words (`anna.kavimi`, an email being typed) whose
/// last word completes to more words than this keeps its prefix: each
/// spelled alternative is a phrase FTS5 matches on its own (about 40 µs
/// each: 121 completions of a surname took 4.8 ms at a million messages,
/// the prefix 0.08 ms, `cargo xtask bench --only search`).
pub const MAX_SPELLED_IN_PHRASE: usize = 16;

/// Above every word that starts with `prefix` (in the byte order of UTF-8,
/// SQLite's `BINARY`): the words it completes to are the range `prefix ≤
/// word < completions_end(prefix)`, read without stepping past them.
pub fn completions_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    end
}

impl Query {
    /// Parses what was typed.
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let mut words: Vec<(String, bool)> = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for c in q.chars() {
            if c == '"' {
                words.push((std::mem::take(&mut cur), quoted));
                quoted = !quoted;
            } else if c.is_whitespace() && !quoted {
                words.push((std::mem::take(&mut cur), false));
            } else {
                cur.push(c);
            }
        }
        // An unclosed quote quotes to the end.
        words.push((cur, quoted));
        let mut terms: Vec<Term> = Vec::new();
        for (w, quoted) in words {
            if let Some(t) = term(&w, quoted) {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
        if terms.is_empty() {
            return Err(QueryError::Empty);
        }
        // A one-letter word still being typed (`refund c`) is left out
        // while other words narrow the search: as a prefix it matches a
        // large share of every word, and the next letter comes next.
        if terms.iter().any(|t| !one_letter_prefix(t)) {
            terms.retain(|t| !one_letter_prefix(t));
        }
        if terms.len() > MAX_TERMS {
            return Err(QueryError::TooManyTerms);
        }
        Ok(Query { terms })
    }

    /// The FTS5 `MATCH` expression (tokens are letters and digits only, and
    /// quoted, so no FTS5 operator can come from the query).
    pub fn to_fts5(&self) -> String {
        let phrase = |p: &Phrase| {
            let body = p.tokens.join(" ").replace('"', "\"\"");
            if p.prefix {
                format!("\"{body}\" *")
            } else {
                format!("\"{body}\"")
            }
        };
        self.terms
            .iter()
            .map(|t| match t.alternatives.as_slice() {
                [one] => phrase(one),
                many => format!(
                    "({})",
                    many.iter().map(phrase).collect::<Vec<_>>().join(" OR ")
                ),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The last tokens of the prefix phrases that have at least
    /// `min_chars` characters, each once (see [`Query::to_fts5_spelled`]).
    pub fn prefixes(&self, min_chars: usize) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.terms.iter().flat_map(|t| &t.alternatives) {
            if let (true, Some(last)) = (p.prefix, p.tokens.last()) {
                if last.chars().count() >= min_chars && !out.contains(&last.as_str()) {
                    out.push(last);
                }
            }
        }
        out
    }

    /// The FTS5 `MATCH` expression with prefixes spelled out as the words
    /// they complete to: `spelled` maps a prefix (a prefix phrase's last
    /// token) to every indexed word that starts with it; a prefix it does
    /// not hold stays a prefix (`*`). FTS5 answers a prefix it keeps no
    /// prefix index for by merging the doclists of all its words before
    /// the first row comes out, however few rows are wanted; an `OR` of
    /// words it reads in order, and stops when the caller does. `None` when
    /// a term can match nothing (a prefix that completes to no word).
    pub fn to_fts5_spelled(&self, spelled: &HashMap<String, Vec<String>>) -> Option<String> {
        let quote = |tokens: &[String]| format!("\"{}\"", tokens.join(" ").replace('"', "\"\""));
        let mut terms = Vec::with_capacity(self.terms.len());
        for t in &self.terms {
            let mut alternatives = Vec::new();
            for p in &t.alternatives {
                let words = p
                    .tokens
                    .last()
                    .and_then(|l| spelled.get(l))
                    .filter(|w| p.tokens.len() == 1 || w.len() <= MAX_SPELLED_IN_PHRASE);
                match (p.prefix, words) {
                    (true, Some(words)) => {
                        let mut tokens = p.tokens.clone();
                        for w in words {
                            if let Some(last) = tokens.last_mut() {
                                last.clone_from(w);
                            }
                            alternatives.push(quote(&tokens));
                        }
                    }
                    (true, None) => alternatives.push(format!("{} *", quote(&p.tokens))),
                    (false, _) => alternatives.push(quote(&p.tokens)),
                }
            }
            match alternatives.len() {
                0 => return None,
                1 => terms.extend(alternatives),
                _ => terms.push(format!("({})", alternatives.join(" OR "))),
            }
        }
        Some(terms.join(" AND "))
    }

    /// The PostgreSQL `tsquery` literal, for `$1::tsquery` (no text search
    /// configuration is applied: the lexemes are already normalised).
    pub fn to_tsquery(&self) -> String {
        let phrase = |p: &Phrase| {
            let n = p.tokens.len();
            let parts: Vec<String> = p
                .tokens
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let q = quote_lexeme(t);
                    if p.prefix && i + 1 == n {
                        format!("{q}:*")
                    } else {
                        q
                    }
                })
                .collect();
            if n > 1 {
                format!("({})", parts.join(" <-> "))
            } else {
                parts.join("")
            }
        };
        self.terms
            .iter()
            .map(|t| match t.alternatives.as_slice() {
                [one] => phrase(one),
                many => format!(
                    "({})",
                    many.iter().map(phrase).collect::<Vec<_>>().join(" | ")
                ),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(tokens: &[&str], prefix: bool) -> Phrase {
        Phrase {
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
            prefix,
        }
    }

    #[test]
    fn words_are_folded_prefixes_and_all_required() {
        let q = Query::parse("  Café  REF ").unwrap();
        assert_eq!(q.terms.len(), 2);
        assert_eq!(q.terms[0].alternatives, [p(&["cafe"], true)]);
        assert_eq!(q.to_fts5(), "\"cafe\" * AND \"ref\" *");
        assert_eq!(q.to_tsquery(), "'cafe':* & 'ref':*");
    }

    #[test]
    fn the_completions_of_a_prefix_are_a_range() {
        let end = completions_end("ref");
        for w in ["ref", "refund", "refz", "ref\u{FFFF}x"] {
            assert!(w >= "ref" && w < end.as_str(), "{w}");
        }
        for w in ["reg", "rf", "re"] {
            assert!(!(w >= "ref" && w < end.as_str()), "{w}");
        }
    }

    #[test]
    fn a_one_letter_word_being_typed_waits_for_the_next_letter() {
        let q = Query::parse("refund c").unwrap();
        assert_eq!(q.to_fts5(), "\"refund\" *");
        // Alone, or quoted, or in a script without spaces, it counts.
        assert_eq!(Query::parse("c").unwrap().to_fts5(), "\"c\" *");
        assert_eq!(Query::parse("a b").unwrap().terms.len(), 2);
        assert_eq!(Query::parse("refund \"c\"").unwrap().terms.len(), 2);
        assert_eq!(Query::parse("refund 東").unwrap().terms.len(), 2);
    }

    #[test]
    fn punctuation_quotes_and_scripts_make_phrases() {
        let q = Query::parse("anna.k@exa \"Late Delivery\" 東京 Привет").unwrap();
        assert_eq!(q.terms[0].alternatives, [p(&["anna", "k", "exa"], true)]);
        assert_eq!(q.terms[1].alternatives, [p(&["late", "delivery"], false)]);
        assert_eq!(q.terms[2].alternatives, [p(&["東", "京"], false)]);
        assert_eq!(q.terms[3].alternatives, [p(&["привет"], true)]);
        assert_eq!(
            q.to_fts5(),
            "\"anna k exa\" * AND \"late delivery\" AND \"東 京\" AND \"привет\" *"
        );
        assert_eq!(
            q.to_tsquery(),
            "('anna' <-> 'k' <-> 'exa':*) & ('late' <-> 'delivery') & ('東' <-> '京') & 'привет':*"
        );
    }

    #[test]
    fn phone_numbers_also_match_their_digits() {
        let q = Query::parse("555-010-2030").unwrap();
        assert_eq!(
            q.terms[0].alternatives,
            [p(&["555", "010", "2030"], true), p(&["5550102030"], true)]
        );
        assert_eq!(q.to_fts5(), "(\"555 010 2030\" * OR \"5550102030\" *)");
        assert_eq!(
            q.to_tsquery(),
            "(('555' <-> '010' <-> '2030':*) | '5550102030':*)"
        );
        // A plain number is one alternative.
        assert_eq!(
            Query::parse("12345").unwrap().terms[0].alternatives.len(),
            1
        );
    }

    #[test]
    fn long_prefixes_can_be_spelled_out() {
        let q = Query::parse("refu anna.k@exa ab \"order\"").unwrap();
        assert_eq!(q.prefixes(4), ["refu"]);
        assert_eq!(q.prefixes(3), ["refu", "exa"]);
        let mut spelled = HashMap::new();
        spelled.insert(
            "refu".to_owned(),
            vec!["refund".to_owned(), "refuse".to_owned()],
        );
        spelled.insert("exa".to_owned(), vec!["example".to_owned()]);
        assert_eq!(
            q.to_fts5_spelled(&spelled).as_deref(),
            Some("(\"refund\" OR \"refuse\") AND \"anna k example\" AND \"ab\" * AND \"order\"")
        );
        assert_eq!(q.to_fts5_spelled(&HashMap::new()), Some(q.to_fts5()));
        // A word in quotes is never spelled out; a prefix of no word matches nothing.
        spelled.insert("order".to_owned(), vec!["orders".to_owned()]);
        spelled.insert("refu".to_owned(), vec![]);
        assert_eq!(q.to_fts5_spelled(&spelled), None);
        // In a phrase, a prefix of many words stays a prefix.
        let email = Query::parse("anna.kavi").unwrap();
        let many: Vec<String> = (0..=MAX_SPELLED_IN_PHRASE)
            .map(|i| format!("kavi{i}"))
            .collect();
        let few = HashMap::from([("kavi".to_owned(), many[..2].to_vec())]);
        assert_eq!(
            email.to_fts5_spelled(&few).as_deref(),
            Some("(\"anna kavi0\" OR \"anna kavi1\")")
        );
        let all = HashMap::from([("kavi".to_owned(), many)]);
        assert_eq!(
            email.to_fts5_spelled(&all).as_deref(),
            Some("\"anna kavi\" *")
        );
        // One alternative of a term may be impossible, the term not.
        let phone = Query::parse("555-0102").unwrap();
        let mut spelled = HashMap::new();
        spelled.insert("5550102".to_owned(), vec![]);
        assert_eq!(
            phone.to_fts5_spelled(&spelled).as_deref(),
            Some("\"555 0102\" *")
        );
        // Quotes inside a word cannot end the phrase.
        let mut spelled = HashMap::new();
        spelled.insert("ab".to_owned(), vec!["ab\" OR x".to_owned()]);
        let q = Query::parse("ab").unwrap();
        assert_eq!(
            q.to_fts5_spelled(&spelled).as_deref(),
            Some("\"ab\"\" OR x\"")
        );
    }

    #[test]
    fn operators_cannot_be_injected() {
        let q = Query::parse("a OR b NOT c* NEAR(d) ' \\ :*").unwrap();
        for t in &q.terms {
            for ph in &t.alternatives {
                assert!(ph
                    .tokens
                    .iter()
                    .all(|t| t.chars().all(char::is_alphanumeric)));
            }
        }
        // Every operator word is a quoted token for FTS5.
        assert!(q.to_fts5().contains("\"or\" *"));
    }

    #[test]
    fn empty_long_and_crowded_queries_are_refused() {
        assert_eq!(Query::parse(""), Err(QueryError::Empty));
        assert_eq!(Query::parse("  !!! ... \"\" "), Err(QueryError::Empty));
        assert_eq!(
            Query::parse(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong)
        );
        let many: Vec<String> = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect();
        assert_eq!(Query::parse(&many.join(" ")), Err(QueryError::TooManyTerms));
        // Repeated words count once.
        assert_eq!(Query::parse("a a a A").unwrap().terms.len(), 1);
        // An unclosed quote runs to the end.
        let q = Query::parse("\"late deliv").unwrap();
        assert_eq!(q.terms[0].alternatives, [p(&["late", "deliv"], false)]);
    }
}
