//! The built-in chatbot's rules: matching a visitor's message against the
//! admin-configured questions and answers, and deciding when to hand the
//! conversation to a human.
//!
//! Matching works on words: both texts are lower-cased, split on anything
//! that is not a letter or digit, stripped of filler words ("the", "how",
//! "I" …) and of plural/verb endings. Two words match when they are equal or,
//! for words of five letters or more, nearly equal (a typo: Damerau–Levenshtein
//! similarity ≥ 0.8, via `strsim`). A phrasing's score is the Dice
//! coefficient of the two word sets: `2 × matched ÷ (|question| + |message|)`,
//! from 0 (nothing in common) to 1 (the same words). An answer scores the best
//! of its phrasings.
//!
//! The bot hands off when the visitor asks for a person ([`wants_human`]), or
//! after `max_unanswered` messages in a row it could not answer (no phrasing
//! scoring at least `min_score`). Until then an unanswered message gets a
//! "please rephrase" reply.
//!
//! ```
//! use switchboard_core::bot::{decide, BotAnswer, BotSettings, BotTurn};
//!
//! let answers = vec![BotAnswer {
//!     id: "hours".into(),
//!     questions: vec!["What are your opening hours?".into()],
//!     answer: "We are open 9 to 5.".into(),
//! }];
//! let s = BotSettings::default();
//! assert!(matches!(decide(&s, &answers, "when are you open? opening hours", 0), BotTurn::Answer { .. }));
//! assert!(matches!(decide(&s, &answers, "let me talk to a human", 0), BotTurn::HandOff(_)));
//! ```

use std::collections::BTreeSet;

/// One configured answer with the phrasings that lead to it.
#[derive(Debug, Clone, PartialEq)]
pub struct BotAnswer {
    /// Its id.
    pub id: String,
    /// Ways a visitor may ask it.
    pub questions: Vec<String>,
    /// What the bot replies.
    pub answer: String,
}

/// How eager the bot is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BotSettings {
    /// The lowest score that counts as an answer (0–1).
    pub min_score: f64,
    /// Unanswered messages in a row after which the bot hands off (≥ 1).
    pub max_unanswered: u32,
}

impl Default for BotSettings {
    fn default() -> Self {
        Self {
            min_score: 0.5,
            max_unanswered: 2,
        }
    }
}

/// Why the bot gave up the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOffReason {
    /// The visitor asked for a person (words or the widget's button).
    Requested,
    /// Too many messages in a row the bot could not answer.
    NoAnswer,
}

impl HandOffReason {
    /// Stable spelling (`requested`, `no_answer`).
    pub fn as_str(self) -> &'static str {
        match self {
            HandOffReason::Requested => "requested",
            HandOffReason::NoAnswer => "no_answer",
        }
    }
}

/// What the bot does with one visitor message.
#[derive(Debug, Clone, PartialEq)]
pub enum BotTurn {
    /// Reply with this answer.
    Answer {
        /// The answer's id.
        answer_id: String,
        /// Its score (≥ `min_score`).
        score: f64,
    },
    /// Not understood: ask the visitor to rephrase. `unanswered` is the new
    /// count of unanswered messages in a row.
    Rephrase {
        /// Unanswered messages in a row, this one included.
        unanswered: u32,
    },
    /// Give the conversation to a human.
    HandOff(HandOffReason),
}

/// Words that carry no meaning for matching.
const FILLER: &[&str] = &[
    "a", "an", "and", "are", "be", "can", "could", "do", "does", "for", "have", "how", "i", "if",
    "in", "is", "it", "me", "my", "of", "on", "or", "please", "so", "the", "there", "this", "to",
    "we", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
    "hi", "hello", "hey", "thanks", "thank", "get", "am", "any", "at", "by", "our", "us", "want",
    "need", "like",
];

/// Words that, alone or in a short phrase, ask for a person.
const HUMAN_WORDS: &[&str] = &[
    "human",
    "humans",
    "agent",
    "agents",
    "person",
    "people",
    "operator",
    "representative",
    "someone",
    "somebody",
    "staff",
];

fn stem(word: &str) -> String {
    for suffix in ["ing", "ies", "es", "ed", "s"] {
        if let Some(root) = word.strip_suffix(suffix) {
            if root.chars().count() >= 3 {
                return match suffix {
                    "ies" => format!("{root}y"),
                    _ => root.to_owned(),
                };
            }
        }
    }
    word.to_owned()
}

/// The meaningful words of a text, lower-cased and stemmed, deduplicated.
pub fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !FILLER.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

fn same_word(a: &str, b: &str) -> bool {
    a == b
        || (a.chars().count() >= 5
            && b.chars().count() >= 5
            && strsim::normalized_damerau_levenshtein(a, b) >= 0.8)
}

/// How well a message matches one phrasing of a question: 0 to 1 (Dice
/// coefficient over the words, typos forgiven on long words).
pub fn score(question: &str, message: &str) -> f64 {
    let q = words(question);
    let m = words(message);
    if q.is_empty() || m.is_empty() {
        return 0.0;
    }
    let matched = q
        .iter()
        .filter(|qw| m.iter().any(|mw| same_word(qw, mw)))
        .count();
    2.0 * matched as f64 / (q.len() + m.len()) as f64
}

/// The best answer for a message and its score, if any phrasing scores above 0.
pub fn best_match<'a>(answers: &'a [BotAnswer], message: &str) -> Option<(&'a BotAnswer, f64)> {
    let mut best: Option<(&BotAnswer, f64)> = None;
    for a in answers {
        for q in &a.questions {
            let s = score(q, message);
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((a, s));
            }
        }
    }
    best
}

/// Whether the visitor asks for a person: "human", "agent", "talk to someone" …
/// in a short message (a long one that merely mentions an agent is a question).
pub fn wants_human(message: &str) -> bool {
    let all: Vec<String> = message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    all.len() <= 8 && all.iter().any(|w| HUMAN_WORDS.contains(&w.as_str()))
}

/// Decides the bot's turn for `message`, given how many messages in a row it
/// has already failed to answer.
pub fn decide(
    settings: &BotSettings,
    answers: &[BotAnswer],
    message: &str,
    unanswered: u32,
) -> BotTurn {
    if wants_human(message) {
        return BotTurn::HandOff(HandOffReason::Requested);
    }
    if let Some((a, s)) = best_match(answers, message) {
        if s >= settings.min_score {
            return BotTurn::Answer {
                answer_id: a.id.clone(),
                score: s,
            };
        }
    }
    let unanswered = unanswered.saturating_add(1);
    if unanswered >= settings.max_unanswered.max(1) {
        BotTurn::HandOff(HandOffReason::NoAnswer)
    } else {
        BotTurn::Rephrase { unanswered }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faq() -> Vec<BotAnswer> {
        vec![
            BotAnswer {
                id: "hours".into(),
                questions: vec![
                    "What are your opening hours?".into(),
                    "When are you open?".into(),
                ],
                answer: "9 to 5".into(),
            },
            BotAnswer {
                id: "refund".into(),
                questions: vec!["How do I get a refund?".into(), "money back".into()],
                answer: "Use the refund form.".into(),
            },
        ]
    }

    #[test]
    fn words_drop_filler_and_endings() {
        let w = words("How do I get REFUNDS for the orders?");
        assert_eq!(
            w.into_iter().collect::<Vec<_>>(),
            vec!["order".to_owned(), "refund".to_owned()]
        );
        assert!(words("the a of").is_empty());
    }

    #[test]
    fn identical_questions_score_one_and_unrelated_zero() {
        assert_eq!(score("What are your opening hours?", "opening hours"), 1.0);
        assert_eq!(score("opening hours", "my parcel is damaged"), 0.0);
        assert_eq!(score("", "anything"), 0.0);
        let partial = score("opening hours", "opening of the shop");
        assert!(partial > 0.0 && partial < 1.0, "{partial}");
    }

    #[test]
    fn typos_on_long_words_still_match() {
        assert!(score("refund", "refnud please") >= 0.5);
        // Short words must match exactly: "hour" is not "your" / "tour".
        assert_eq!(score("tour", "hour"), 0.0);
    }

    #[test]
    fn picks_the_best_answer_over_every_phrasing() {
        let answers = faq();
        let (a, s) = best_match(&answers, "can I have my money back").unwrap();
        assert_eq!(a.id, "refund");
        assert_eq!(s, 1.0);
        assert!(best_match(&answers, "zzz qqq").is_none());
    }

    #[test]
    fn asking_for_a_person_hands_off_at_once() {
        let s = BotSettings::default();
        for m in [
            "human",
            "Agent please!",
            "can I talk to a real person",
            "someone?",
        ] {
            assert_eq!(
                decide(&s, &faq(), m, 0),
                BotTurn::HandOff(HandOffReason::Requested),
                "{m}"
            );
        }
        // A long question that mentions an agent is still a question.
        assert!(!wants_human(
            "my travel agent booked the wrong dates, what are your opening hours for changes"
        ));
    }

    #[test]
    fn answers_above_the_score_and_hands_off_after_n_misses() {
        let s = BotSettings {
            min_score: 0.5,
            max_unanswered: 2,
        };
        assert!(matches!(
            decide(&s, &faq(), "opening hours?", 0),
            BotTurn::Answer { ref answer_id, .. } if answer_id == "hours"
        ));
        assert_eq!(
            decide(&s, &faq(), "my parcel is damaged", 0),
            BotTurn::Rephrase { unanswered: 1 }
        );
        assert_eq!(
            decide(&s, &faq(), "my parcel is damaged", 1),
            BotTurn::HandOff(HandOffReason::NoAnswer)
        );
        // A weak match below the score counts as a miss.
        let strict = BotSettings {
            min_score: 0.9,
            max_unanswered: 1,
        };
        assert_eq!(
            decide(&strict, &faq(), "opening of the shop", 0),
            BotTurn::HandOff(HandOffReason::NoAnswer)
        );
    }

    #[test]
    fn no_answers_configured_means_every_message_is_a_miss() {
        let s = BotSettings {
            min_score: 0.5,
            max_unanswered: 1,
        };
        assert_eq!(
            decide(&s, &[], "opening hours", 0),
            BotTurn::HandOff(HandOffReason::NoAnswer)
        );
    }
}
