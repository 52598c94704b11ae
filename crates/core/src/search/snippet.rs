//! Where a query's hits are in a text, and the short piece of it a result
//! shows. Highlights are offsets, never markup: clients render the snippet
//! as text and mark the ranges themselves.

use super::query::{Phrase, Query};
use super::text::{tokens, Token};

/// A piece of a text around its first hit, with every hit inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The text shown: whitespace runs collapsed to one space, `…` where it
    /// was cut.
    pub text: String,
    /// Hits inside `text` as `[start, end)` in UTF-16 code units (the
    /// indices of JavaScript strings), in order, not overlapping.
    pub highlights: Vec<(usize, usize)>,
    /// How many of the query's terms the whole text contains.
    pub terms_found: usize,
}

fn phrase_at(toks: &[Token], i: usize, p: &Phrase) -> Option<(usize, usize)> {
    let n = p.tokens.len();
    let window = toks.get(i..i + n)?;
    for (k, (tok, want)) in window.iter().zip(&p.tokens).enumerate() {
        let ok = if p.prefix && k + 1 == n {
            tok.text.starts_with(want.as_str())
        } else {
            tok.text == *want
        };
        if !ok {
            return None;
        }
    }
    Some((window[0].start, window[n - 1].end))
}

/// Byte ranges of `text` where a term of `query` is found, merged and in
/// order, and how many terms were found.
pub fn hits(text: &str, query: &Query) -> (Vec<(usize, usize)>, usize) {
    let toks = tokens(text);
    let mut ranges = Vec::new();
    let mut found = 0;
    for term in &query.terms {
        let mut any = false;
        for p in &term.alternatives {
            for i in 0..toks.len() {
                if let Some(r) = phrase_at(&toks, i, p) {
                    ranges.push(r);
                    any = true;
                }
            }
        }
        found += usize::from(any);
    }
    (merge(ranges), found)
}

fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The snippet of `text` for `query`: at most `max_chars` characters of it
/// (plus the `…` marks), starting a little before the first hit.
pub fn snippet(text: &str, query: &Query, max_chars: usize) -> Snippet {
    let (ranges, terms_found) = hits(text, query);
    cut(text, &ranges, terms_found, max_chars)
}

/// Characters of a message shown around its first hit in a result.
pub const SNIPPET_CHARS: usize = 160;

/// A conversation's own field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationField {
    /// The subject.
    Subject,
    /// The customer's name.
    CustomerName,
    /// The customer's email address.
    CustomerEmail,
    /// The customer's phone number.
    CustomerPhone,
}

/// Of a conversation's own fields, the one that holds the most of the
/// query's terms (the subject when none or on a tie), with its snippet:
/// what a result shows when the conversation's own document matched.
pub fn best_field(
    subject: &str,
    name: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    query: &Query,
) -> (ConversationField, Snippet) {
    let mut best = (
        ConversationField::Subject,
        snippet(subject, query, SNIPPET_CHARS),
    );
    let fields = [
        (ConversationField::CustomerName, name),
        (ConversationField::CustomerEmail, email),
        (ConversationField::CustomerPhone, phone),
    ];
    for (field, value) in fields {
        let Some(v) = value else { continue };
        let s = if field == ConversationField::CustomerPhone {
            phone_snippet(v, query)
        } else {
            snippet(v, query, SNIPPET_CHARS)
        };
        if s.terms_found > best.1.terms_found {
            best = (field, s);
        }
    }
    best
}

/// The snippet of a phone number: the whole number, highlighted when a term
/// matches it or its digits contain a term made of digits (`0102030` in
/// `+15550102030`, as the index finds it).
pub fn phone_snippet(phone: &str, query: &Query) -> Snippet {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let (mut ranges, mut terms_found) = hits(phone, query);
    let mut by_digits = 0;
    for term in &query.terms {
        let found = term.alternatives.iter().any(|p| {
            matches!(p.tokens.as_slice(), [t] if t.len() >= 4 && t.chars().all(|c| c.is_ascii_digit()) && digits.contains(t.as_str()))
        });
        by_digits += usize::from(found);
    }
    if by_digits > 0 {
        let trimmed = phone.trim();
        let start = phone.len() - phone.trim_start().len();
        ranges = vec![(start, start + trimmed.len())];
        terms_found = terms_found.max(by_digits);
    }
    cut(phone, &ranges, terms_found, phone.chars().count().max(1))
}

fn cut(text: &str, ranges: &[(usize, usize)], terms_found: usize, max_chars: usize) -> Snippet {
    let max_chars = max_chars.max(1);
    // Start about a quarter of the window before the first hit, at a word
    // boundary if one is near.
    let mut start = 0;
    if let Some(&(first, _)) = ranges.first() {
        let lead = max_chars / 4;
        let before: Vec<(usize, char)> = text[..first].char_indices().collect();
        if before.len() > lead {
            let from = before.len() - lead;
            start = before[from].0;
            if let Some((i, c)) = before[from..].iter().find(|(_, c)| c.is_whitespace()) {
                start = i + c.len_utf8();
            }
        }
    }
    let rest = &text[start..];
    let end = rest
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(i, _)| start + i);
    let mut out = String::new();
    let mut units = 0usize;
    let mut highlights = Vec::new();
    if start > 0 {
        out.push('…');
        units += 1;
    }
    let mut open: Option<usize> = None;
    let mut pending_space = false;
    for (i, c) in text[start..end].char_indices() {
        let at = start + i;
        if let Some(s) = open {
            if ranges.iter().any(|&(_, e)| e == at) {
                highlights.push((s, units));
                open = None;
            }
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty() && !out.ends_with('…');
            continue;
        }
        if pending_space {
            out.push(' ');
            units += 1;
            pending_space = false;
        }
        if open.is_none() && ranges.iter().any(|&(s, _)| s == at) {
            open = Some(units);
        }
        out.push(c);
        units += c.len_utf16();
    }
    if let Some(s) = open {
        highlights.push((s, units));
    }
    if end < text.len() && !text[end..].trim().is_empty() {
        out.push('…');
    }
    Snippet {
        text: out,
        highlights,
        terms_found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(s: &Snippet) -> String {
        // Renders highlights as [..] for reading the tests (UTF-16 aware).
        let units: Vec<u16> = s.text.encode_utf16().collect();
        let mut out = Vec::new();
        let mut last = 0;
        for &(a, b) in &s.highlights {
            out.extend_from_slice(&units[last..a]);
            out.push(u16::from(b'['));
            out.extend_from_slice(&units[a..b]);
            out.push(u16::from(b']'));
            last = b;
        }
        out.extend_from_slice(&units[last..]);
        String::from_utf16(&out).unwrap()
    }

    fn q(s: &str) -> Query {
        Query::parse(s).unwrap()
    }

    #[test]
    fn hits_are_marked_whole_words_in_the_original_spelling() {
        let s = snippet("Un café crème, s'il vous plaît", &q("cafe cr"), 200);
        assert_eq!(marked(&s), "Un [café] [crème], s'il vous plaît");
        assert_eq!(s.terms_found, 2);
        let s = snippet("Привет, мир! 東京都に住んでいます", &q("мир 東京"), 200);
        assert_eq!(marked(&s), "Привет, [мир]! [東京]都に住んでいます");
    }

    #[test]
    fn offsets_count_utf16_units() {
        let s = snippet("🎉🎉 refund now", &q("refund"), 200);
        // Each emoji is two UTF-16 units.
        assert_eq!(s.highlights, [(5, 11)]);
        assert_eq!(marked(&s), "🎉🎉 [refund] now");
    }

    #[test]
    fn long_texts_are_cut_around_the_first_hit_with_whitespace_collapsed() {
        let text = format!(
            "{} the parcel\n\n  never arrived {}",
            "lorem ipsum ".repeat(40),
            "dolor sit ".repeat(40)
        );
        let s = snippet(&text, &q("parcel"), 60);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert!(
            s.text.contains("[parcel] never arrived")
                || marked(&s).contains("[parcel] never arrived")
        );
        assert_eq!(s.highlights.len(), 1);
        assert!(s.text.chars().count() <= 62);
        // No hit: the beginning.
        let s = snippet("nothing to see here", &q("zebra"), 7);
        assert_eq!(s.text, "nothing…");
        assert!(s.highlights.is_empty());
        assert_eq!(s.terms_found, 0);
    }

    #[test]
    fn markup_in_the_text_stays_text() {
        let s = snippet("<b>refund</b> <script>", &q("refund"), 200);
        assert_eq!(marked(&s), "<b>[refund]</b> <script>");
    }

    #[test]
    fn phone_numbers_are_found_by_their_digits() {
        let s = phone_snippet("+15550102030", &q("555-010-2030"));
        assert_eq!(marked(&s), "[+15550102030]");
        assert_eq!(s.terms_found, 1);
        let s = phone_snippet("+15550102030", &q("999"));
        assert!(s.highlights.is_empty());
    }
}
