//! Ranking by relevance: BM25 over a bounded set of candidates (the newest
//! matches of a query), computed from the candidates' own terms.
//!
//! SQLite's `bm25()` needs how many documents of the whole index hold each
//! word of the query, and FTS5 counts that by reading every posting of it:
//! for a common word of a million-message cache that is most of the cost of
//! a search (30–100 ms), whatever the page. Here the counts come from the
//! candidates (at most a thousand documents already read for the page), so
//! the cost is bounded by the page's work. Inside the candidates every
//! document holds every word of the query (that is how they matched), so
//! what orders them is how often each word occurs, in how long a document,
//! and whether a word was typed whole: a word that is exactly a typed word
//! counts fully, a longer word the typing is a prefix of counts
//! [`PREFIX_WEIGHT`] (typing `refund` ranks "refund" above "refunded").
//! Where a query has alternatives (a phone number's digits), the rarer one
//! among the candidates weighs more, as in BM25.

use super::query::{Phrase, Query};

/// BM25's term-frequency saturation.
const K1: f64 = 1.2;
/// BM25's length normalisation.
const B: f64 = 0.75;
/// What an occurrence counts when the document's word only starts with the
/// typed one.
pub const PREFIX_WEIGHT: f64 = 0.75;

/// What ranking needs of one candidate: each query term's weighted
/// occurrences, and the document's length in terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts {
    per_term: Vec<f64>,
    len: usize,
}

/// Occurrences of `p` in `doc` starting at `i`: 1 when whole, the prefix
/// weight when its last word only starts the document's.
fn phrase_at<S: AsRef<str>>(doc: &[S], i: usize, p: &Phrase) -> f64 {
    let n = p.tokens.len();
    let Some(window) = doc.get(i..i + n) else {
        return 0.0;
    };
    let mut weight = 1.0;
    for (k, (have, want)) in window.iter().zip(&p.tokens).enumerate() {
        let have = have.as_ref();
        if have == want {
            continue;
        }
        if p.prefix && k + 1 == n && have.starts_with(want.as_str()) {
            weight = PREFIX_WEIGHT;
        } else {
            return 0.0;
        }
    }
    weight
}

/// The counts of a candidate whose terms (as indexed: `text::terms`, or
/// `DocTerms`) are `doc`.
pub fn counts<S: AsRef<str>>(doc: &[S], query: &Query) -> Counts {
    let per_term = query
        .terms
        .iter()
        .map(|t| {
            (0..doc.len())
                .map(|i| {
                    t.alternatives
                        .iter()
                        .map(|p| phrase_at(doc, i, p))
                        .fold(0.0, f64::max)
                })
                .sum()
        })
        .collect();
    Counts {
        per_term,
        len: doc.len(),
    }
}

/// The BM25 score of each candidate (higher is better), with the document
/// frequencies and the average length taken over `candidates`.
pub fn scores(candidates: &[Counts]) -> Vec<f64> {
    let n = candidates.len() as f64;
    if candidates.is_empty() {
        return Vec::new();
    }
    let avg_len = (candidates.iter().map(|c| c.len).sum::<usize>() as f64 / n).max(1.0);
    let terms = candidates
        .iter()
        .map(|c| c.per_term.len())
        .max()
        .unwrap_or(0);
    let idf: Vec<f64> = (0..terms)
        .map(|t| {
            let df = candidates
                .iter()
                .filter(|c| c.per_term.get(t).is_some_and(|&f| f > 0.0))
                .count() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    candidates
        .iter()
        .map(|c| {
            let norm = K1 * (1.0 - B + B * c.len as f64 / avg_len);
            c.per_term
                .iter()
                .zip(&idf)
                .map(|(&tf, idf)| idf * tf * (K1 + 1.0) / (tf + norm))
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::text::terms;

    fn ranked(query: &str, docs: &[&str]) -> Vec<usize> {
        let q = Query::parse(query).unwrap();
        let counts: Vec<Counts> = docs.iter().map(|d| counts(&terms(d), &q)).collect();
        let s = scores(&counts);
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
        order
    }

    #[test]
    fn more_occurrences_in_a_shorter_text_rank_higher() {
        let docs = [
            "refund please, and a lot of other words around it here",
            "refund refund",
            "refund",
        ];
        assert_eq!(ranked("refund", &docs), [1, 2, 0]);
    }

    #[test]
    fn a_word_typed_whole_ranks_above_a_longer_word_it_starts() {
        let docs = ["we refunded it", "we refund it"];
        assert_eq!(ranked("refund", &docs), [1, 0]);
    }

    #[test]
    fn phrases_count_where_their_words_follow_each_other() {
        let q = Query::parse("\"tracking number\"").unwrap();
        let c = counts(&terms("number tracking, tracking number"), &q);
        assert_eq!(c.per_term, [1.0]);
        assert_eq!(c.len, 4);
    }

    #[test]
    fn accents_and_case_are_folded_as_in_the_index() {
        let q = Query::parse("CAFE").unwrap();
        assert_eq!(counts(&terms("Un café, un Café"), &q).per_term, [2.0]);
    }

    #[test]
    fn a_candidate_without_the_word_scores_nothing() {
        let q = Query::parse("order").unwrap();
        let c = [
            counts(&terms("order"), &q),
            counts(&terms("order"), &q),
            counts(&terms("other"), &q),
        ];
        let s = scores(&c);
        assert!(s[0] > 0.0 && s[0] == s[1]);
        assert_eq!(s[2], 0.0);
    }

    #[test]
    fn no_candidates_no_scores() {
        assert!(scores(&[]).is_empty());
    }
}
