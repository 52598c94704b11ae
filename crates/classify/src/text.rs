//! Text to terms: the tokenizer every model and every prediction shares.
//!
//! Lowercase, split on Unicode word boundaries (UAX #29, by
//! `unicode-segmentation`), keep words with at least one letter and at least
//! two characters, drop a short list of English function words, then add
//! the bigrams of neighbouring kept words (`"not working"` says more than
//! `"not"` and `"working"` apart). Only the first [`MAX_INPUT_CHARS`]
//! characters are read, so hostile input costs bounded work.

use unicode_segmentation::UnicodeSegmentation;

/// Characters of input looked at; the rest is ignored.
pub const MAX_INPUT_CHARS: usize = 20_000;

/// Words too common to say anything about a category.
const STOP_WORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "does", "for", "from", "had", "has", "have", "hi", "hello", "how", "i",
    "if", "im", "in", "is", "it", "its", "just", "me", "my", "of", "on", "or", "our", "please",
    "so", "that", "the", "their", "them", "there", "this", "to", "us", "was", "we", "were", "what",
    "when", "which", "will", "with", "would", "you", "your", "thanks", "thank",
];

/// The words of `text` that count, in order (before bigrams are added).
pub fn words(text: &str) -> Vec<String> {
    let head: String = text.chars().take(MAX_INPUT_CHARS).collect();
    head.unicode_words()
        .map(str::to_lowercase)
        .map(|w| w.replace(['\'', '’'], ""))
        .filter(|w| w.chars().count() >= 2 && w.chars().any(char::is_alphabetic))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// The terms of `text`: its [`words`] followed by their bigrams (`"a b"`).
pub fn terms(text: &str) -> Vec<String> {
    let words = words(text);
    let bigrams: Vec<String> = words
        .windows(2)
        .map(|p| format!("{} {}", p[0], p[1]))
        .collect();
    let mut out = words;
    out.extend(bigrams);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_splits_on_unicode_words() {
        assert_eq!(
            words("My INVOICE was wrong—twice! Café-crème?"),
            vec!["invoice", "wrong", "twice", "café", "crème"]
        );
    }

    #[test]
    fn drops_numbers_single_letters_and_stop_words() {
        assert_eq!(words("I paid 42 € on 2024-01-05 x y z"), vec!["paid"]);
        assert_eq!(words("the and of"), Vec::<String>::new());
        assert_eq!(words("error 502"), vec!["error"]);
        assert_eq!(
            words("v2 crashed"),
            vec!["v2", "crashed"],
            "mixed tokens stay"
        );
    }

    #[test]
    fn apostrophes_fold() {
        assert_eq!(
            words("Can't log in, isn’t working"),
            words("cant log in isnt working")
        );
    }

    #[test]
    fn bigrams_follow_the_words() {
        assert_eq!(
            terms("App not working"),
            vec!["app", "not", "working", "app not", "not working"]
        );
        assert!(terms("").is_empty());
        assert!(terms("  \n\t ").is_empty());
    }

    #[test]
    fn long_input_is_cut() {
        let long = "refund ".repeat(MAX_INPUT_CHARS);
        let n = words(&long).len();
        assert!(n <= MAX_INPUT_CHARS / 7 + 1, "{n} words");
    }
}
