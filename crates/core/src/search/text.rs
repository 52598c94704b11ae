//! How text becomes search tokens: the one normalisation both the index and
//! the query go through, so that the server's two backends (and any other
//! index built with it) find the same things.
//!
//! - Case is folded, and compatibility forms are unified (NFKD: `ﬁ` → `fi`,
//!   full-width `Ａ` → `a`, half-width `ｱ` → `ア`).
//! - Accents are dropped from Latin, Greek and Cyrillic letters (`café` →
//!   `cafe`, `ё` → `е`), and a few letters that do not decompose are folded
//!   the way people type them (`ß` → `ss`, `ø` → `o`, `ł` → `l`, `æ` → `ae`).
//!   Marks on other scripts are kept (`が` stays `が`, not `か`).
//! - A token is a run of letters and digits. Chinese characters, hiragana and
//!   katakana are written without spaces, so each of them is a token of its
//!   own; a query for `東京` then looks for the two tokens side by side (a
//!   phrase), which finds it inside `東京都` as well.
//! - Everything else (spaces, punctuation, symbols, emoji) separates tokens.
//!
//! Tokens keep their byte span in the original text, for highlighting.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The longest token kept, in characters (longer ones are cut: nobody types
/// a 64-letter word, and a base64 blob should not bloat the index).
pub const MAX_TOKEN_CHARS: usize = 64;

/// The most tokens indexed from one document.
pub const MAX_DOC_TOKENS: usize = 50_000;

/// The most bytes of tokens indexed from one document (PostgreSQL's
/// `tsvector` holds at most 1 MiB; this keeps every document well under).
pub const MAX_DOC_TOKEN_BYTES: usize = 512 * 1024;

/// One token of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Its normalised form (what is indexed and compared).
    pub text: String,
    /// Where it starts in the original text (bytes).
    pub start: usize,
    /// Where it ends in the original text (bytes, exclusive).
    pub end: usize,
    /// A character of a script written without spaces (one per token).
    pub ideographic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Ideographic,
    Mark,
    Separator,
}

/// Chinese characters, hiragana, katakana (and their half-width forms).
fn in_ideographic_block(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F
        | 0x20000..=0x3134F)
}

fn class(c: char) -> Class {
    if is_combining_mark(c) {
        Class::Mark
    } else if c.is_alphanumeric() {
        if in_ideographic_block(c) {
            Class::Ideographic
        } else {
            Class::Word
        }
    } else {
        Class::Separator
    }
}

/// Whether marks on this base letter are accents to drop: Latin, Greek and
/// Cyrillic (everything below the Armenian block).
fn drops_marks(base: char) -> bool {
    (base as u32) < 0x0530
}

/// Appends `c`, folded, to a token being built; `base` is the last base
/// letter seen in this token (marks attach to it).
fn push_folded(c: char, out: &mut String, base: &mut Option<char>) {
    for d in std::iter::once(c).nfkd() {
        if is_combining_mark(d) {
            if base.is_some_and(drops_marks) {
                continue;
            }
            out.push(d);
            continue;
        }
        *base = Some(d);
        for l in d.to_lowercase() {
            match l {
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                'þ' => out.push_str("th"),
                'ø' => out.push('o'),
                'đ' | 'ð' => out.push('d'),
                'ł' => out.push('l'),
                'ı' => out.push('i'),
                other => out.push(other),
            }
        }
    }
}

struct Building {
    text: String,
    start: usize,
    end: usize,
    base: Option<char>,
    ideographic: bool,
}

impl Building {
    fn finish(self) -> Option<Token> {
        // Marks kept (non-Latin scripts) compose again with their letter.
        let mut text: String = if self.text.is_ascii() {
            self.text
        } else {
            self.text.nfc().collect()
        };
        if let Some((cut, _)) = text.char_indices().nth(MAX_TOKEN_CHARS) {
            text.truncate(cut);
        }
        (!text.is_empty()).then_some(Token {
            text,
            start: self.start,
            end: self.end,
            ideographic: self.ideographic,
        })
    }
}

/// The tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut cur: Option<Building> = None;
    let flush = |cur: &mut Option<Building>, out: &mut Vec<Token>| {
        if let Some(t) = cur.take().and_then(Building::finish) {
            out.push(t);
        }
    };
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        match class(c) {
            Class::Mark => {
                if let Some(b) = cur.as_mut() {
                    push_folded(c, &mut b.text, &mut b.base);
                    b.end = end;
                }
            }
            Class::Word if cur.as_ref().is_some_and(|b| !b.ideographic) => {
                if let Some(b) = cur.as_mut() {
                    push_folded(c, &mut b.text, &mut b.base);
                    b.end = end;
                }
            }
            k @ (Class::Word | Class::Ideographic) => {
                flush(&mut cur, &mut out);
                let mut b = Building {
                    text: String::new(),
                    start: i,
                    end,
                    base: None,
                    ideographic: k == Class::Ideographic,
                };
                push_folded(c, &mut b.text, &mut b.base);
                cur = Some(b);
            }
            Class::Separator => flush(&mut cur, &mut out),
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// The normalised tokens of `text`, without their spans.
pub fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.text).collect()
}

/// The extra terms of a phone number: its digits run together, and every
/// tail of them at least 4 digits long, so that `5550102030`, `0102030` or
/// `+1 555 010 2030` find `+15550102030` by prefix. Nothing for fewer than
/// 4 or more than 20 digits.
pub fn phone_terms(phone: &str) -> Vec<String> {
    let digits: String = phone.nfkd().filter(char::is_ascii_digit).collect();
    if !(4..=20).contains(&digits.len()) {
        return Vec::new();
    }
    (0..=digits.len() - 4)
        .map(|i| digits[i..].to_owned())
        .collect()
}

/// A document's terms, as indexed: in order, at most [`MAX_DOC_TOKENS`] of
/// them and [`MAX_DOC_TOKEN_BYTES`] bytes (what lies beyond is not found).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocTerms(Vec<String>);

impl DocTerms {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the terms of a text (a subject, a name, a message body).
    pub fn text(mut self, text: &str) -> Self {
        self.extend(terms(text));
        self
    }

    /// Adds a phone number: its tokens and [`phone_terms`].
    pub fn phone(mut self, phone: &str) -> Self {
        self.extend(terms(phone));
        self.extend(phone_terms(phone));
        self
    }

    /// A conversation's own document: its subject and its customer's name,
    /// email and phone (what the server's index and the desktop's cache
    /// both hold for it).
    pub fn conversation(
        subject: &str,
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Self {
        let mut terms = Self::new().text(subject);
        for field in [name, email].into_iter().flatten() {
            terms = terms.text(field);
        }
        match phone {
            Some(phone) => terms.phone(phone),
            None => terms,
        }
    }

    fn extend(&mut self, more: Vec<String>) {
        let mut bytes: usize = self.0.iter().map(String::len).sum();
        for t in more {
            if self.0.len() >= MAX_DOC_TOKENS || bytes + t.len() > MAX_DOC_TOKEN_BYTES {
                return;
            }
            bytes += t.len();
            self.0.push(t);
        }
    }

    /// The terms.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// SQLite's form: the terms separated by spaces (FTS5's `unicode61`
    /// tokenizer splits them back exactly: every term is letters and digits).
    pub fn to_text(&self) -> String {
        self.0.join(" ")
    }

    /// PostgreSQL's form: a `tsvector` literal with positions
    /// (`'cafe':1 'creme':2`), cast with `::tsvector` so that no text search
    /// configuration or server locale touches it.
    pub fn to_tsvector(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&quote_lexeme(t));
            // PostgreSQL keeps positions up to 16383 (later ones share it).
            out.push_str(&format!(":{}", (i + 1).min(16_383)));
        }
        out
    }
}

/// A lexeme quoted for a `tsvector` or `tsquery` literal.
pub(crate) fn quote_lexeme(t: &str) -> String {
    format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_fold_in_latin_greek_and_cyrillic() {
        assert_eq!(terms("Café CRÈME brûlée"), ["cafe", "creme", "brulee"]);
        assert_eq!(terms("Straße Øresund Łódź"), ["strasse", "oresund", "lodz"]);
        assert_eq!(terms("Ёлка ПРИВЕТ"), ["елка", "привет"]);
        assert_eq!(terms("Ἀθῆναι"), ["αθηναι"]);
        // Decomposed input folds the same as composed.
        assert_eq!(terms("cafe\u{301}"), ["cafe"]);
        assert_eq!(terms("ﬁne Ｈｅｌｌｏ"), ["fine", "hello"]);
    }

    #[test]
    fn chinese_and_japanese_characters_are_one_token_each() {
        let t = tokens("東京都に住んでいます");
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            ["東", "京", "都", "に", "住", "ん", "で", "い", "ま", "す"]
        );
        assert!(t.iter().all(|t| t.ideographic));
        // Voiced kana keep their mark, composed or not.
        assert_eq!(terms("が"), ["が"]);
        assert_eq!(terms("か\u{3099}"), ["が"]);
        // Half-width katakana become full width; mixed runs split.
        assert_eq!(terms("ｱ"), ["ア"]);
        assert_eq!(terms("iPhone対応"), ["iphone", "対", "応"]);
        assert_eq!(
            terms("コーヒー・カップ"),
            ["コ", "ー", "ヒ", "ー", "カ", "ッ", "プ"]
        );
    }

    #[test]
    fn punctuation_separates_and_spans_point_into_the_original() {
        let text = "Hi Zoë, order #A-1234 (ünïcode)!";
        let t = tokens(text);
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["hi", "zoe", "order", "a", "1234", "unicode"]);
        assert_eq!(&text[t[1].start..t[1].end], "Zoë");
        assert_eq!(&text[t[5].start..t[5].end], "ünïcode");
        assert_eq!(terms("anna.k@example.com"), ["anna", "k", "example", "com"]);
        assert!(terms("  ,;!? 🎉 ").is_empty());
    }

    #[test]
    fn long_tokens_are_cut() {
        let long = "x".repeat(500);
        assert_eq!(terms(&long), ["x".repeat(MAX_TOKEN_CHARS)]);
    }

    #[test]
    fn phones_index_their_digits_and_every_tail() {
        assert_eq!(
            phone_terms("+1 (555) 010-2030"),
            [
                "15550102030",
                "5550102030",
                "550102030",
                "50102030",
                "0102030",
                "102030",
                "02030",
                "2030"
            ]
        );
        assert!(phone_terms("123").is_empty());
        let doc = DocTerms::new().phone("+15550102030");
        assert!(doc.as_slice().contains(&"0102030".to_owned()));
    }

    #[test]
    fn documents_render_for_both_backends_and_are_bounded() {
        let doc = DocTerms::new().text("Café au lait").text("O'Brien");
        assert_eq!(doc.to_text(), "cafe au lait o brien");
        assert_eq!(
            doc.to_tsvector(),
            "'cafe':1 'au':2 'lait':3 'o':4 'brien':5"
        );
        assert_eq!(quote_lexeme("it's\\"), "'it''s\\\\'");
        let big = "word ".repeat(MAX_DOC_TOKENS + 10);
        assert_eq!(DocTerms::new().text(&big).as_slice().len(), MAX_DOC_TOKENS);
        let wide = format!("{} ", "y".repeat(60)).repeat(20_000);
        let doc = DocTerms::new().text(&wide);
        assert!(doc.as_slice().iter().map(String::len).sum::<usize>() <= MAX_DOC_TOKEN_BYTES);
    }
}
