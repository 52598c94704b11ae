//! Auto-categorization by keyword and regex rules.
//!
//! Each category has a list of rules. A rule written `/pattern/` is a
//! case-insensitive regular expression; anything else is a case-insensitive
//! keyword matched on word boundaries (so `bill` does not match `billiards`).
//! The category with the most matching rules wins; ties go to the category
//! listed first. No match: `None`, and the caller falls back (to the
//! classifier, then to the default category).

use regex::{Regex, RegexBuilder};

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

/// Compiled rules of every category.
#[derive(Debug, Clone, Default)]
pub struct Categorizer {
    categories: Vec<(String, Vec<Regex>)>,
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
        Ok(Self { categories: out })
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

    #[test]
    fn invalid_regex_is_reported() {
        let err = Categorizer::new(vec![("x".to_string(), vec!["/(unclosed/"])]).unwrap_err();
        assert_eq!(err.category_id, "x");
        assert_eq!(err.rule, "/(unclosed/");
    }
}
