//! How a text is cut up for SMS: the encoding a phone network uses for it,
//! how many segments it costs, and how a long reply is split into requests to
//! the SMS provider.
//!
//! - Encoding: a text made only of the GSM 03.38 default alphabet (and its
//!   extension table, whose characters take two septets) goes as GSM-7;
//!   anything else (an emoji, a curly quote, Chinese) makes the whole text
//!   UCS-2.
//! - Segments: one SMS carries 160 GSM-7 septets or 70 UCS-2 code units; a
//!   longer text is sent as a concatenated SMS whose segments carry 153 / 67
//!   (the rest is the concatenation header). An escape pair or a surrogate
//!   pair never straddles two segments.
//! - Requests: Twilio takes a body of up to 1600 characters per request and
//!   concatenates the segments itself. Longer replies are split into several
//!   requests of at most [`MAX_REQUEST_CHARS`], at whitespace where there is
//!   some (a word longer than a whole request is cut where it must be).
//!   Lengths are counted in UTF-16 code units, which is never less than the
//!   character count, so every part fits however the provider counts.
//!
//! The GSM 03.38 table is written out here: it is a fixed, 138-character
//! standard, and the one Rust crate that ports Twilio's segment calculator is
//! a young two-release project.
//!
//! ```
//! use switchboard_core::sms::{segments, split_for_requests, Encoding};
//!
//! let s = segments("Your order has shipped.");
//! assert_eq!((s.encoding, s.count), (Encoding::Gsm7, 1));
//! assert_eq!(segments("Danke 🙂").encoding, Encoding::Ucs2);
//! assert_eq!(split_for_requests(&"word ".repeat(400), 1600).len(), 2);
//! ```

/// Longest body of one request to the provider (Twilio's documented limit).
pub const MAX_REQUEST_CHARS: usize = 1600;

/// How the network encodes a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 03.38 7-bit default alphabet: 160 per SMS, 153 per segment.
    Gsm7,
    /// UCS-2 / UTF-16: 70 per SMS, 67 per segment.
    Ucs2,
}

/// What a text costs as SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    /// Its encoding.
    pub encoding: Encoding,
    /// Length in encoding units (septets or UTF-16 code units).
    pub units: usize,
    /// Segments it is sent in (0 for an empty text).
    pub count: usize,
}

/// The GSM 03.38 default alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table (escape + one septet: two each).
const GSM7_EXTENDED: &str = "\u{000C}^{}\\[~]|€";

/// Septets `c` takes in GSM-7, or `None` when GSM-7 cannot carry it.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding `text` is sent in.
pub fn encoding(text: &str) -> Encoding {
    if text.chars().all(|c| gsm7_septets(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The encoding, length and segment count of `text`.
pub fn segments(text: &str) -> Segments {
    let encoding = encoding(text);
    let widths: Vec<usize> = match encoding {
        Encoding::Gsm7 => text.chars().filter_map(gsm7_septets).collect(),
        Encoding::Ucs2 => text.chars().map(char::len_utf16).collect(),
    };
    let (single, per_segment) = match encoding {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    let units: usize = widths.iter().sum();
    let count = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        // Fill segments greedily: a two-unit character that does not fit
        // opens the next segment.
        let mut count = 1;
        let mut used = 0;
        for w in widths {
            if used + w > per_segment {
                count += 1;
                used = 0;
            }
            used += w;
        }
        count
    };
    Segments {
        encoding,
        units,
        count,
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Splits `text` into request bodies of at most `limit` UTF-16 code units
/// (`limit` ≥ 1), cutting at whitespace where possible. The whitespace at a
/// cut is dropped; nothing else is. A text within the limit is returned
/// whole; an empty text gives no parts.
pub fn split_for_requests(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(2);
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if utf16_len(rest) <= limit {
            parts.push(rest.to_owned());
            break;
        }
        // The longest prefix within the limit (a byte index).
        let mut units = 0;
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            if units + c.len_utf16() > limit {
                break;
            }
            units += c.len_utf16();
            end = i + c.len_utf8();
        }
        let window = &rest[..end];
        // Prefer the last whitespace inside the window, or the one just after
        // it (the window then ends exactly at a word's end).
        let next_is_space = rest[end..].starts_with(char::is_whitespace);
        let cut = if next_is_space {
            Some(end)
        } else {
            window
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map(|(i, _)| i)
                .filter(|&i| !window[..i].trim().is_empty())
        };
        let (head, tail) = match cut {
            Some(i) => (window[..i].trim_end(), rest[i..].trim_start()),
            None => (window, &rest[end..]),
        };
        if !head.is_empty() {
            parts.push(head.to_owned());
        }
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_table_is_complete() {
        // 128 positions, one of which is the escape to the extension table.
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENDED.chars().count(), 10);
        assert_eq!(gsm7_septets('€'), Some(2));
        assert_eq!(gsm7_septets('é'), Some(1));
        assert_eq!(gsm7_septets('ç'), None, "only capital Ç is in the table");
        assert_eq!(gsm7_septets('’'), None, "curly quotes force UCS-2");
    }

    #[test]
    fn gsm7_segments_at_160_and_153() {
        let s = segments(&"a".repeat(160));
        assert_eq!((s.encoding, s.units, s.count), (Encoding::Gsm7, 160, 1));
        assert_eq!(segments(&"a".repeat(161)).count, 2);
        assert_eq!(segments(&"a".repeat(306)).count, 2);
        assert_eq!(segments(&"a".repeat(307)).count, 3);
        assert_eq!(segments("").count, 0);
    }

    #[test]
    fn extension_characters_take_two_septets_and_stay_whole() {
        // 80 euro signs: 160 septets, still one SMS.
        let s = segments(&"€".repeat(80));
        assert_eq!((s.encoding, s.units, s.count), (Encoding::Gsm7, 160, 1));
        // 152 'a' then '€': 154 septets, two segments; the pair does not
        // straddle, so segment one holds 152 and segment two the euro.
        let t = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(segments(&t).count, 2);
        // 152 + 2 + 152 = 306 septets would fill two segments of 153 exactly,
        // but the pair cannot be split: three segments.
        let t = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments(&t).units, 306);
        assert_eq!(segments(&t).count, 3);
    }

    #[test]
    fn ucs2_segments_at_70_and_67() {
        let s = segments(&"ж".repeat(70));
        assert_eq!((s.encoding, s.count), (Encoding::Ucs2, 1));
        assert_eq!(segments(&"ж".repeat(71)).count, 2);
        assert_eq!(segments(&"ж".repeat(134)).count, 2);
        assert_eq!(segments(&"ж".repeat(135)).count, 3);
        // One emoji turns a plain text into UCS-2 and is two code units.
        let s = segments(&format!("{}🙂", "a".repeat(68)));
        assert_eq!((s.encoding, s.units, s.count), (Encoding::Ucs2, 70, 1));
        let s = segments(&format!("{}🙂", "a".repeat(69)));
        assert_eq!((s.units, s.count), (71, 2));
    }

    #[test]
    fn short_texts_are_one_request() {
        assert_eq!(split_for_requests("hello", 1600), vec!["hello".to_owned()]);
        let exact = "x".repeat(1600);
        assert_eq!(split_for_requests(&exact, 1600), vec![exact]);
        assert!(split_for_requests("", 1600).is_empty());
    }

    #[test]
    fn long_texts_split_at_word_boundaries() {
        let words: Vec<String> = (0..500).map(|i| format!("word{i}")).collect();
        let text = words.join(" ");
        let parts = split_for_requests(&text, 1600);
        assert!(parts.len() >= 2);
        for p in &parts {
            assert!(utf16_len(p) <= 1600, "part of {} units", utf16_len(p));
            assert_eq!(p.trim(), p, "no whitespace left at a cut");
        }
        // Nothing lost: the words, in order, are exactly the original ones.
        let back: Vec<&str> = parts.iter().flat_map(|p| p.split(' ')).collect();
        assert_eq!(back, words.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn a_cut_exactly_at_a_word_end_keeps_the_word() {
        let text = format!("{} {}", "a".repeat(10), "b".repeat(5));
        assert_eq!(
            split_for_requests(&text, 10),
            vec!["a".repeat(10), "b".repeat(5)]
        );
    }

    #[test]
    fn words_longer_than_a_request_are_cut_and_surrogates_kept_whole() {
        let long = "y".repeat(25);
        assert_eq!(
            split_for_requests(&long, 10),
            vec!["y".repeat(10), "y".repeat(10), "y".repeat(5)]
        );
        // Emoji are two units: a limit of 5 takes two of them, never half.
        let emoji = "🙂".repeat(5);
        let parts = split_for_requests(&emoji, 5);
        assert_eq!(parts, vec!["🙂🙂", "🙂🙂", "🙂"]);
        assert_eq!(parts.concat(), emoji);
    }

    #[test]
    fn newlines_count_as_places_to_cut() {
        let text = format!("{}\n{}", "a".repeat(8), "b".repeat(8));
        assert_eq!(
            split_for_requests(&text, 12),
            vec!["a".repeat(8), "b".repeat(8)]
        );
    }
}
