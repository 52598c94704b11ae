//! Auto-categorization: keyword and regex rules first, then a learned
//! classifier above a confidence threshold, else the default category.
//!
//! Each category has a list of rules. A rule written `/pattern/` is a
//! case-insensitive regular expression; anything else is a case-insensitive
//! keyword matched on word boundaries (so `bill` does not match `billiards`).
//! The category with the most matching rules wins; ties go to the category
//! listed first. No match: [`Categorizer::categorize`] gives `None`, and
//! [`Categorizer::decide`] asks the learned layer (a function from text to
//! its most likely category and probability, see [`Learned`]; the model
//! itself lives in `switchboard-classify`), taking its answer only at or
//! above the threshold; otherwise [`DEFAULT_CATEGORY`].

use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use crate::tags::{AutoTagger, TagSet};

/// Where a conversation goes when neither rules nor the classifier decide.
pub const DEFAULT_CATEGORY: &str = "general";

/// The learned layer: text → its most likely category and that category's
/// probability (0–1), or `None` when it cannot tell (no known words, a tie).
pub type Learned = Arc<dyn Fn(&str) -> Option<(String, f64)> + Send + Sync>;

/// Which layer chose the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// An admin rule matched.
    Rule,
    /// The learned classifier, at or above the threshold.
    Learned,
    /// Neither: [`DEFAULT_CATEGORY`].
    Default,
}

/// A category decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The category id.
    pub category_id: String,
    /// Which layer chose it.
    pub by: DecidedBy,
    /// With [`DecidedBy::Learned`]: the probability.
    pub confidence: Option<f64>,
}

/// A rule that is not a valid regular expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule `{rule}` of category `{category_id}` is not a valid pattern: {reason}")]
pub struct RuleError {
    /// The category it belongs to.
    pub category_id: String,
    /// The rule as written.
    pub rule: String,
    /// What the regex engine said.
    pub reason: String,
}

/// Compiled rules of every category, and optionally the learned layer.
#[derive(Clone, Default)]
pub struct Categorizer {
    categories: Vec<(String, Vec<Regex>)>,
    learned: Option<(Learned, f64)>,
    tags: AutoTagger,
}

impl std::fmt::Debug for Categorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Categorizer")
            .field("categories", &self.categories)
            .field("min_confidence", &self.learned.as_ref().map(|(_, m)| *m))
            .field("tags", &self.tags)
            .finish()
    }
}

/// Compiles one rule, as written by an admin.
pub fn compile_rule(rule: &str) -> Result<Regex, regex::Error> {
    let trimmed = rule.trim();
    let pattern = match trimmed.strip_prefix('/').and_then(|r| r.strip_suffix('/')) {
        Some(re) if !re.is_empty() => re.to_owned(),
        _ => format!(r"\b{}\b", regex::escape(trimmed)),
    };
    RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
}

impl Categorizer {
    /// Compiles `(category id, rules)` pairs, in priority order.
    pub fn new<I, S>(categories: I) -> Result<Self, RuleError>
    where
        I: IntoIterator<Item = (String, Vec<S>)>,
        S: AsRef<str>,
    {
        let mut out = Vec::new();
        for (category_id, rules) in categories {
            let mut compiled = Vec::new();
            for rule in rules {
                let rule = rule.as_ref();
                if rule.trim().is_empty() {
                    continue;
                }
                let re = compile_rule(rule).map_err(|e| RuleError {
                    category_id: category_id.clone(),
                    rule: rule.to_owned(),
                    reason: e.to_string(),
                })?;
                compiled.push(re);
            }
            out.push((category_id, compiled));
        }
        Ok(Self {
            categories: out,
            learned: None,
            tags: AutoTagger::default(),
        })
    }

    /// The same rules, putting tags on new conversations too (by their own
    /// rules, [`crate::tags`]).
    pub fn with_tags(mut self, tags: AutoTagger) -> Self {
        self.tags = tags;
        self
    }

    /// The tags whose rules match `text`.
    pub fn auto_tags(&self, text: &str) -> TagSet {
        self.tags.matching(text)
    }

    /// The same rules with a learned layer asked when no rule matches; its
    /// answer counts at or above `min_confidence`.
    pub fn with_learned(&self, learned: Learned, min_confidence: f64) -> Self {
        Self {
            categories: self.categories.clone(),
            learned: Some((learned, min_confidence)),
            tags: self.tags.clone(),
        }
    }

    /// Rules, then the learned layer above its threshold, then the default.
    pub fn decide(&self, text: &str) -> Decision {
        if let Some(id) = self.categorize(text) {
            return Decision {
                category_id: id.to_owned(),
                by: DecidedBy::Rule,
                confidence: None,
            };
        }
        if let Some((learned, min)) = &self.learned {
            if let Some((id, p)) = learned(text) {
                if p.is_finite() && p >= *min && !id.is_empty() {
                    return Decision {
                        category_id: id,
                        by: DecidedBy::Learned,
                        confidence: Some(p),
                    };
                }
            }
        }
        Decision {
            category_id: DEFAULT_CATEGORY.to_owned(),
            by: DecidedBy::Default,
            confidence: None,
        }
    }

    /// The best-matching category for `text`, if any rule matches.
    pub fn categorize(&self, text: &str) -> Option<&str> {
        let mut best: Option<(&str, usize)> = None;
        for (id, rules) in &self.categories {
            let hits = rules.iter().filter(|r| r.is_match(text)).count();
            if hits > 0 && best.is_none_or(|(_, b)| hits > b) {
                best = Some((id, hits));
            }
        }
        best.map(|(id, _)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Categorizer {
        Categorizer::new(vec![
            ("billing".to_string(), vec!["invoice", "refund", "charged"]),
            (
                "technical".to_string(),
                vec!["error", "/crash(ed|es)?/", "login"],
            ),
        ])
        .unwrap()
    }

    #[test]
    fn keywords_match_whole_words_case_insensitively() {
        let c = rules();
        assert_eq!(c.categorize("Where is my INVOICE?"), Some("billing"));
        assert_eq!(c.categorize("invoices please"), None, "whole words only");
        assert_eq!(c.categorize("nothing to see"), None);
    }

    #[test]
    fn regex_rules_and_most_hits_win() {
        let c = rules();
        assert_eq!(c.categorize("The app crashed"), Some("technical"));
        assert_eq!(
            c.categorize("refund: I was charged after a login error and a crash"),
            Some("technical")
        );
        assert_eq!(
            c.categorize("refund after a crash"),
            Some("billing"),
            "ties go to the first category"
        );
    }

    #[test]
    fn keywords_with_regex_metacharacters_are_literal() {
        let c = Categorizer::new(vec![("x".to_string(), vec!["c++"])]).unwrap();
        assert_eq!(
            c.categorize("I write c++ daily"),
            None,
            "`c++` ends in non-word chars, no boundary after"
        );
        let c = Categorizer::new(vec![("x".to_string(), vec!["a.b"])]).unwrap();
        assert_eq!(c.categorize("axb"), None);
        assert_eq!(c.categorize("see a.b now"), Some("x"));
    }

    fn learned(answer: Option<(&'static str, f64)>) -> Learned {
        Arc::new(move |_: &str| answer.map(|(c, p)| (c.to_owned(), p)))
    }

    #[test]
    fn rules_win_over_the_learned_layer() {
        let c = rules().with_learned(learned(Some(("shipping", 0.99))), 0.6);
        let d = c.decide("my invoice is wrong");
        assert_eq!((d.category_id.as_str(), d.by), ("billing", DecidedBy::Rule));
        assert_eq!(d.confidence, None);
    }

    #[test]
    fn learned_answer_counts_from_the_threshold_up() {
        let sure = rules().with_learned(learned(Some(("shipping", 0.6))), 0.6);
        let d = sure.decide("where is my parcel");
        assert_eq!(d.category_id, "shipping");
        assert_eq!((d.by, d.confidence), (DecidedBy::Learned, Some(0.6)));
        let unsure = rules().with_learned(learned(Some(("shipping", 0.59))), 0.6);
        let d = unsure.decide("where is my parcel");
        assert_eq!(
            (d.category_id.as_str(), d.by),
            ("general", DecidedBy::Default)
        );
        assert_eq!(d.confidence, None);
        let blank = rules().with_learned(learned(None), 0.0);
        assert_eq!(blank.decide("").by, DecidedBy::Default);
        let nan = rules().with_learned(learned(Some(("shipping", f64::NAN))), 0.0);
        assert_eq!(nan.decide("x").by, DecidedBy::Default, "a NaN is no answer");
    }

    #[test]
    fn without_a_learned_layer_no_match_is_the_default() {
        let d = rules().decide("hello there");
        assert_eq!(
            (d.category_id.as_str(), d.by),
            (DEFAULT_CATEGORY, DecidedBy::Default)
        );
    }

    #[test]
    fn invalid_regex_is_reported() {
        let err = Categorizer::new(vec![("x".to_string(), vec!["/(unclosed/"])]).unwrap_err();
        assert_eq!(err.category_id, "x");
        assert_eq!(err.rule, "/(unclosed/");
    }
}
