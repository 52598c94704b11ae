//! Tags: labels an admin defines (a name and a colour) that agents put on
//! conversations, any number each, and that keyword rules put on new ones.
//!
//! A conversation's tags are a set of tag ids, kept sorted
//! ([`TagSet`]). Auto-tagging uses the rules categories use
//! ([`crate::categorize::compile_rule`]: whole-word keywords or `/regex/`,
//! case-insensitive), but where a new conversation gets the one category
//! with the most hits, it gets *every* tag with at least one.

use regex::Regex;

use crate::categorize::compile_rule;

/// The longest tag name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// The most tags one team defines: a label list, not a second search index.
pub const MAX_TAGS: usize = 200;

/// The colours a new tag gets in turn when the admin gives none: readable
/// as a chip's background with dark text, and told apart by the
/// colour-blind (Okabe–Ito, lightened).
pub const PALETTE: [&str; 8] = [
    "#f5c16c", "#8ecae6", "#95d5b2", "#f4a6a6", "#cdb4db", "#ffd6a5", "#a0c4ff", "#d4d4d4",
];

/// What is wrong with a tag an admin wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Empty or too long.
    #[error("a tag needs a name of 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    /// Not `#rrggbb`.
    #[error("`{0}` is not a colour: write it as #rrggbb (for example #8ecae6)")]
    InvalidColour(String),
    /// A rule that is not a valid pattern.
    #[error("rule `{rule}` is not a valid pattern: {reason}")]
    InvalidRule {
        /// The rule as written.
        rule: String,
        /// What the regex engine said.
        reason: String,
    },
}

/// A tag's name, trimmed, or why it cannot be one.
pub fn name(raw: &str) -> Result<String, TagError> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) {
        return Err(TagError::InvalidName);
    }
    Ok(n.to_owned())
}

/// A colour as `#rrggbb`, lower-cased, or why it is not one.
pub fn colour(raw: &str) -> Result<String, TagError> {
    let c = raw.trim();
    let hex = c.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(TagError::InvalidColour(c.to_owned()))
    }
}

/// The colour for the `n`th tag made without one.
pub fn default_colour(n: usize) -> &'static str {
    PALETTE[n % PALETTE.len()]
}

/// Checks that every rule compiles.
pub fn check_rules(rules: &[String]) -> Result<(), TagError> {
    compile_all(rules).map(|_| ())
}

fn compile_all(rules: &[String]) -> Result<Vec<Regex>, TagError> {
    rules
        .iter()
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            compile_rule(r).map_err(|e| TagError::InvalidRule {
                rule: r.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// A conversation's tags: ids, sorted, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet(Vec<String>);

impl TagSet {
    /// From ids in any order, with repeats.
    pub fn new<I: IntoIterator<Item = String>>(ids: I) -> Self {
        let mut v: Vec<String> = ids.into_iter().collect();
        v.sort();
        v.dedup();
        Self(v)
    }

    /// Adds `id`; `false` when it was there already.
    pub fn insert(&mut self, id: &str) -> bool {
        match self.0.binary_search_by(|t| t.as_str().cmp(id)) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, id.to_owned());
                true
            }
        }
    }

    /// Removes `id`; `false` when it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.0.binary_search_by(|t| t.as_str().cmp(id)) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        self.0.binary_search_by(|t| t.as_str().cmp(id)).is_ok()
    }

    /// The ids, sorted.
    pub fn ids(&self) -> &[String] {
        &self.0
    }

    /// The ids, sorted, owned.
    pub fn into_ids(self) -> Vec<String> {
        self.0
    }
}

/// The auto-tag rules of every tag, compiled.
#[derive(Debug, Clone, Default)]
pub struct AutoTagger {
    tags: Vec<(String, Vec<Regex>)>,
}

impl AutoTagger {
    /// Compiles `(tag id, rules)` pairs.
    pub fn new<I>(tags: I) -> Result<Self, TagError>
    where
        I: IntoIterator<Item = (String, Vec<String>)>,
    {
        let mut out = Vec::new();
        for (id, rules) in tags {
            let compiled = compile_all(&rules)?;
            if !compiled.is_empty() {
                out.push((id, compiled));
            }
        }
        Ok(Self { tags: out })
    }

    /// Every tag with a rule that matches `text`.
    pub fn matching(&self, text: &str) -> TagSet {
        TagSet::new(
            self.tags
                .iter()
                .filter(|(_, rules)| rules.iter().any(|r| r.is_match(text)))
                .map(|(id, _)| id.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  VIP ").as_deref(), Ok("VIP"));
        assert_eq!(name("   "), Err(TagError::InvalidName));
        assert_eq!(name(&"x".repeat(41)), Err(TagError::InvalidName));
        assert_eq!(name("a\nb"), Err(TagError::InvalidName));
        assert!(name(&"é".repeat(40)).is_ok(), "characters, not bytes");
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(colour("#8ECAE6").as_deref(), Ok("#8ecae6"));
        assert!(matches!(colour("red"), Err(TagError::InvalidColour(_))));
        assert!(colour("#fff").is_err());
        assert!(colour("8ecae6").is_err());
        assert!(colour("#8ecaeg").is_err());
        assert_eq!(default_colour(0), PALETTE[0]);
        assert_eq!(default_colour(PALETTE.len() + 1), PALETTE[1]);
        for c in PALETTE {
            assert_eq!(colour(c).as_deref(), Ok(c));
        }
    }

    #[test]
    fn a_set_is_sorted_and_unique() {
        let mut t = TagSet::new(s(&["vip", "bug", "vip"]));
        assert_eq!(t.ids(), &s(&["bug", "vip"])[..]);
        assert!(t.insert("churn"));
        assert!(!t.insert("bug"));
        assert_eq!(t.ids(), &s(&["bug", "churn", "vip"])[..]);
        assert!(t.remove("bug"));
        assert!(!t.remove("bug"));
        assert!(t.contains("vip") && !t.contains("bug"));
        assert_eq!(t.into_ids(), s(&["churn", "vip"]));
    }

    #[test]
    fn every_tag_with_a_matching_rule_applies() {
        let a = AutoTagger::new(vec![
            ("refund".to_string(), s(&["refund", "money back"])),
            ("urgent".to_string(), s(&["/asap|urgent(ly)?/"])),
            ("empty".to_string(), s(&["  "])),
            ("legal".to_string(), s(&["lawyer"])),
        ])
        .unwrap();
        assert_eq!(
            a.matching("URGENT: I want my money back").ids(),
            &s(&["refund", "urgent"])[..]
        );
        assert_eq!(a.matching("refunds").ids(), &[] as &[String], "whole words");
        assert!(a.matching("").ids().is_empty());
    }

    #[test]
    fn a_bad_rule_is_refused_with_its_text() {
        let e = AutoTagger::new(vec![("x".to_string(), s(&["/(/"]))]).unwrap_err();
        assert!(matches!(e, TagError::InvalidRule { ref rule, .. } if rule == "/(/"));
        assert!(check_rules(&s(&["ok", "/fine/"])).is_ok());
        assert!(check_rules(&s(&["/[/"])).is_err());
    }
}
