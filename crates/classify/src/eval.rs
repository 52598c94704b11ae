//! Scores of a classifier on labelled texts it was not trained on.
//!
//! - accuracy: the most likely category is right (no prediction counts as
//!   wrong);
//! - macro-F1: the mean over categories of F1 (harmonic mean of precision
//!   and recall), so small categories count as much as big ones;
//! - coverage at a threshold: the share of texts the model dares to
//!   categorize ([`Prediction::confident`]), and its accuracy on those;
//! - with fallback: what the server does — confident prediction, else the
//!   fallback category — scored against the truth.

use std::collections::BTreeSet;

use crate::model::Prediction;

/// Precision and recall of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryScore {
    /// The category.
    pub category: String,
    /// Texts truly in it.
    pub support: usize,
    /// Of the texts predicted as it, the share truly in it.
    pub precision: f64,
    /// Of the texts truly in it, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of the two (0 when both are 0).
    pub f1: f64,
}

/// A classifier's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Texts scored.
    pub n: usize,
    /// Share whose most likely category is right.
    pub accuracy: f64,
    /// Mean F1 over the categories that occur (truth or prediction).
    pub macro_f1: f64,
    /// Per category, by name.
    pub per_category: Vec<CategoryScore>,
    /// The threshold the next three figures are at.
    pub threshold: f64,
    /// Share of texts with a confident prediction.
    pub coverage: f64,
    /// Accuracy on those texts (0 when there are none).
    pub confident_accuracy: f64,
    /// Accuracy of "confident prediction, else the fallback category".
    pub accuracy_with_fallback: f64,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores `(truth, prediction)` pairs at `threshold`, with `fallback` the
/// category used below it.
pub fn evaluate(
    results: &[(String, Option<Prediction>)],
    threshold: f64,
    fallback: &str,
) -> Report {
    let n = results.len();
    let top = |p: &Option<Prediction>| p.as_ref().map(|p| p.category().to_owned());
    let correct = results
        .iter()
        .filter(|(t, p)| top(p).as_deref() == Some(t.as_str()))
        .count();
    let mut cats: BTreeSet<String> = results.iter().map(|(t, _)| t.clone()).collect();
    cats.extend(results.iter().filter_map(|(_, p)| top(p)));
    let per_category: Vec<CategoryScore> = cats
        .into_iter()
        .map(|c| {
            let tp = results
                .iter()
                .filter(|(t, p)| *t == c && top(p).as_deref() == Some(c.as_str()))
                .count();
            let predicted = results
                .iter()
                .filter(|(_, p)| top(p).as_deref() == Some(c.as_str()))
                .count();
            let support = results.iter().filter(|(t, _)| *t == c).count();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            CategoryScore {
                category: c,
                support,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let macro_f1 = if per_category.is_empty() {
        0.0
    } else {
        per_category.iter().map(|c| c.f1).sum::<f64>() / per_category.len() as f64
    };
    let confident: Vec<(&str, &str)> = results
        .iter()
        .filter_map(|(t, p)| Some((t.as_str(), p.as_ref()?.confident(threshold)?)))
        .collect();
    let confident_right = confident.iter().filter(|(t, p)| t == p).count();
    let with_fallback = results
        .iter()
        .filter(|(t, p)| {
            let chosen = p
                .as_ref()
                .and_then(|p| p.confident(threshold))
                .unwrap_or(fallback);
            chosen == t
        })
        .count();
    Report {
        n,
        accuracy: ratio(correct, n),
        macro_f1,
        per_category,
        threshold,
        coverage: ratio(confident.len(), n),
        confident_accuracy: ratio(confident_right, confident.len()),
        accuracy_with_fallback: ratio(with_fallback, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(best: &str, q: f64, other: &str) -> Option<Prediction> {
        Some(Prediction {
            ranked: vec![(best.into(), q), (other.into(), 1.0 - q)],
        })
    }

    #[test]
    fn scores_a_small_known_case() {
        let results = vec![
            ("a".to_string(), p("a", 0.9, "b")),
            ("a".to_string(), p("b", 0.55, "a")),
            ("b".to_string(), p("b", 0.8, "a")),
            ("general".to_string(), None),
        ];
        let r = evaluate(&results, 0.6, "general");
        assert_eq!(r.n, 4);
        assert!((r.accuracy - 0.5).abs() < 1e-12);
        let a = &r.per_category[0];
        assert_eq!((a.category.as_str(), a.support), ("a", 2));
        assert!((a.precision - 1.0).abs() < 1e-12 && (a.recall - 0.5).abs() < 1e-12);
        let b = &r.per_category[1];
        assert!((b.precision - 0.5).abs() < 1e-12 && (b.recall - 1.0).abs() < 1e-12);
        let g = &r.per_category[2];
        assert_eq!((g.category.as_str(), g.f1), ("general", 0.0));
        let f1_a = 2.0 * 0.5 / 1.5;
        assert!((r.macro_f1 - (f1_a + f1_a + 0.0) / 3.0).abs() < 1e-12);
        assert!(
            (r.coverage - 0.5).abs() < 1e-12,
            "two of four are confident"
        );
        assert!((r.confident_accuracy - 1.0).abs() < 1e-12);
        // a✓(confident), a✗(fallback general), b✓, general✓(fallback).
        assert!((r.accuracy_with_fallback - 0.75).abs() < 1e-12);
    }

    #[test]
    fn empty_input_scores_zero_without_dividing_by_zero() {
        let r = evaluate(&[], 0.6, "general");
        assert_eq!(
            (r.n, r.accuracy, r.coverage, r.macro_f1),
            (0, 0.0, 0.0, 0.0)
        );
    }
}
