//! TF-IDF features: a vocabulary chosen from the training documents and the
//! weight of each term in a document.
//!
//! A term enters the vocabulary when at least `min_df` training documents
//! contain it; when more than `max_features` qualify, the most widespread
//! are kept (ties by the term, so training is deterministic). A document's
//! vector is sublinear term frequency (`1 + ln tf`) times smoothed inverse
//! document frequency (`ln((1 + n) / (1 + df)) + 1`), scaled to unit length.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The learned vocabulary and its IDF weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vectorizer {
    /// Term → column.
    vocabulary: BTreeMap<String, usize>,
    /// IDF weight per column.
    idf: Vec<f64>,
}

impl Vectorizer {
    /// Learns the vocabulary from tokenized documents.
    pub fn fit(docs: &[Vec<String>], min_df: usize, max_features: usize) -> Self {
        let mut df: HashMap<&str, usize> = HashMap::new();
        for doc in docs {
            let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                *df.entry(t).or_default() += 1;
            }
        }
        let mut kept: Vec<(&str, usize)> = df
            .into_iter()
            .filter(|&(_, n)| n >= min_df.max(1))
            .collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(max_features);
        kept.sort_by(|a, b| a.0.cmp(b.0));
        let n = docs.len() as f64;
        let idf = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + d as f64)).ln() + 1.0)
            .collect();
        let vocabulary = kept
            .into_iter()
            .enumerate()
            .map(|(i, (t, _))| (t.to_owned(), i))
            .collect();
        Self { vocabulary, idf }
    }

    /// Number of features (columns).
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// True when no term was kept.
    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// Whether the stored parts agree (a vector per column, columns in range).
    pub fn is_consistent(&self) -> bool {
        self.vocabulary.len() == self.idf.len()
            && self.vocabulary.values().all(|&c| c < self.idf.len())
            && self.idf.iter().all(|w| w.is_finite())
    }

    /// The unit-length TF-IDF vector of a tokenized document, as
    /// `(column, weight)` pairs sorted by column; empty when no term is known.
    pub fn transform(&self, doc: &[String]) -> Vec<(usize, f64)> {
        let mut tf: BTreeMap<usize, usize> = BTreeMap::new();
        for t in doc {
            if let Some(&col) = self.vocabulary.get(t) {
                *tf.entry(col).or_default() += 1;
            }
        }
        let mut v: Vec<(usize, f64)> = tf
            .into_iter()
            .map(|(col, n)| (col, (1.0 + (n as f64).ln()) * self.idf[col]))
            .collect();
        let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut v {
                *w /= norm;
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn vocabulary_respects_min_df_and_max_features() {
        let docs = vec![doc("a b c"), doc("a b"), doc("a d")];
        let v = Vectorizer::fit(&docs, 2, 10);
        assert_eq!(v.len(), 2, "a and b appear twice or more");
        let v = Vectorizer::fit(&docs, 1, 2);
        assert_eq!(v.len(), 2, "capped: a (3 docs) and b (2 docs)");
        assert!(v.transform(&doc("c d")).is_empty(), "c and d were cut");
        assert!(v.is_consistent());
    }

    #[test]
    fn vectors_have_unit_length_and_rarer_terms_weigh_more() {
        let docs = vec![doc("a b"), doc("a c"), doc("a c")];
        let v = Vectorizer::fit(&docs, 1, 10);
        let x = v.transform(&doc("a b"));
        let len: f64 = x.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        assert!((len - 1.0).abs() < 1e-9);
        assert_eq!(x.len(), 2);
        let (a, b) = (x[0].1, x[1].1);
        assert!(b > a, "b (1 doc) outweighs a (every doc): {b} vs {a}");
    }

    #[test]
    fn unknown_terms_give_an_empty_vector() {
        let v = Vectorizer::fit(&[doc("a b")], 1, 10);
        assert!(v.transform(&doc("zzz yyy")).is_empty());
        assert!(v.transform(&[]).is_empty());
    }

    #[test]
    fn fitting_is_deterministic() {
        let docs = vec![doc("x y z"), doc("z y x w"), doc("w q")];
        assert_eq!(Vectorizer::fit(&docs, 1, 3), Vectorizer::fit(&docs, 1, 3));
    }
}
