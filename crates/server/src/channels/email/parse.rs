//! Raw RFC 5322 bytes → what the inbox needs, robustly.
//!
//! Whatever arrives, [`parse`] returns a message: broken MIME, unknown
//! charsets, invalid UTF-8 or no body at all never panic and never lose the
//! text — at worst the raw text becomes the body with a note, and the raw
//! message is kept as an `original.eml` attachment.

use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use crate::ops::MAX_BODY_BYTES;

/// Longest subject kept, in characters.
const MAX_SUBJECT_CHARS: usize = 300;
/// Most Message-IDs kept from `References`.
const MAX_REFERENCES: usize = 100;

/// One attachment of an inbound message.
#[derive(Debug, Clone)]
pub struct ParsedAttachment {
    /// File name (sanitized; never empty).
    pub filename: String,
    /// `type/subtype`.
    pub content_type: String,
    /// The decoded bytes.
    pub data: Vec<u8>,
}

/// An inbound message, ready for the inbox.
#[derive(Debug, Clone)]
pub struct ParsedEmail {
    /// Its Message-ID without angle brackets (made up from a hash of the
    /// message when it has none, so a redelivery is still recognised).
    pub message_id: String,
    /// `In-Reply-To` ids, then `References` ids (newest first), deduplicated.
    pub thread_ids: Vec<String>,
    /// Sender's display name.
    pub from_name: Option<String>,
    /// Sender's address.
    pub from_email: Option<String>,
    /// Addresses it was sent to (To, Cc, Delivered-To), for `+sb-token` tags.
    pub recipients: Vec<String>,
    /// Subject (one line; `(no subject)` when missing).
    pub subject: String,
    /// Plain text body (HTML reduced to text), never empty.
    pub body: String,
    /// Attachments.
    pub attachments: Vec<ParsedAttachment>,
}

/// Parses raw message bytes. Never panics.
pub fn parse(raw: &[u8]) -> ParsedEmail {
    match catch_unwind(AssertUnwindSafe(|| parse_mime(raw))) {
        Ok(Some(p)) => p,
        _ => fallback(
            raw,
            "This message could not be read as MIME; its raw text is shown.",
        ),
    }
}

fn parse_mime(raw: &[u8]) -> Option<ParsedEmail> {
    let msg = MessageParser::default().parse(raw)?;
    // Nothing recognisable as a header at all: treat as unparseable.
    if msg.headers().is_empty() {
        return None;
    }
    let message_id = msg
        .message_id()
        .and_then(clean_id)
        .unwrap_or_else(|| synthetic_id(msg.message_id().map(str::as_bytes).unwrap_or(raw)));
    let mut thread_ids: Vec<String> = Vec::new();
    let mut push_ids = |v: &mail_parser::HeaderValue<'_>, newest_first: bool| {
        let mut ids: Vec<String> = match v {
            mail_parser::HeaderValue::Text(t) => {
                t.split_whitespace().filter_map(clean_id).collect()
            }
            mail_parser::HeaderValue::TextList(l) => l.iter().filter_map(|t| clean_id(t)).collect(),
            _ => Vec::new(),
        };
        if newest_first {
            ids.reverse();
        }
        for id in ids {
            if thread_ids.len() < MAX_REFERENCES && !thread_ids.contains(&id) {
                thread_ids.push(id);
            }
        }
    };
    push_ids(msg.in_reply_to(), false);
    push_ids(msg.references(), true);

    let from = msg.from().and_then(|a| a.first());
    let from_email = from.and_then(|a| a.address()).and_then(clean_address);
    let from_name = from
        .and_then(|a| a.name())
        .map(|n| one_line(n, 200))
        .filter(|n| !n.is_empty());
    let mut recipients = Vec::new();
    for list in [msg.to(), msg.cc()].into_iter().flatten() {
        for a in list.iter() {
            if let Some(addr) = a.address().and_then(clean_address) {
                recipients.push(addr);
            }
        }
    }
    if let Some(d) = msg.header_raw("Delivered-To").and_then(clean_address) {
        recipients.push(d);
    }
    let subject = msg
        .subject()
        .map(|s| one_line(s, MAX_SUBJECT_CHARS))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "(no subject)".to_owned());

    let mut texts = Vec::new();
    // Whether a text part was read at all (its text may be blank).
    let mut text_part = false;
    for i in 0..msg.text_body_count() {
        if let Some(t) = msg.body_text(i) {
            text_part = true;
            let t = clean_text(&t);
            if !t.trim().is_empty() {
                texts.push(t.trim().to_owned());
            }
        }
    }
    let mut attachments = Vec::new();
    for part in msg.attachments() {
        // Unnamed inline plain text (a second text part of a mixed message,
        // or one past the parser's nesting limit) is the message's text too.
        let disposed = part
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        if !disposed && part.attachment_name().is_none() && part.is_text() && !part.is_text_html() {
            let t = clean_text(&String::from_utf8_lossy(part.contents()));
            let t = t.trim();
            if !t.is_empty() {
                if !texts.iter().any(|x| x == t) {
                    texts.push(t.to_owned());
                }
                continue;
            }
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(st) => format!("{}/{}", ct.ctype(), st),
                None => ct.ctype().to_owned(),
            })
            .map(|s| one_line(&s, 100).to_ascii_lowercase())
            .filter(|s| is_token_type(s))
            .unwrap_or_else(|| {
                if part.is_message() {
                    "message/rfc822".into()
                } else {
                    "application/octet-stream".into()
                }
            });
        let filename = part
            .attachment_name()
            .map(safe_filename)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| {
                if part.is_message() {
                    "message.eml".into()
                } else {
                    format!("attachment-{}", attachments.len() + 1)
                }
            });
        attachments.push(ParsedAttachment {
            filename,
            content_type,
            data: part.contents().to_vec(),
        });
    }

    let mut body = texts.join("\n\n");
    let mut keep_raw = false;
    if body.trim().is_empty() {
        if attachments.is_empty() && text_part {
            // A text part with nothing to show (blank, or control characters
            // only): not a reason to show its transfer encoding instead.
            body = "(empty message)".into();
        } else if attachments.is_empty() {
            // No text part was found: keep whatever follows the headers.
            let rest = raw_body(raw);
            let rest = clean_text(&String::from_utf8_lossy(rest));
            if rest.trim().is_empty() {
                body = "(empty message)".into();
            } else {
                body = format!(
                    "{}\n\n[Switchboard: no readable text part was found; the raw body is shown.]",
                    rest.trim()
                );
                keep_raw = true;
            }
        } else {
            body = "(no text; see the attachments)".into();
        }
    }
    if body.len() > MAX_BODY_BYTES - 1024 {
        body = truncate(&body, MAX_BODY_BYTES - 1024);
        body.push_str("\n\n[Switchboard: the text was cut here; the whole message is attached as original.eml.]");
        keep_raw = true;
    }
    if keep_raw {
        attachments.push(original(raw));
    }
    Some(ParsedEmail {
        message_id,
        thread_ids,
        from_name,
        from_email,
        recipients,
        subject,
        body,
        attachments,
    })
}

/// The message could not be parsed: its raw text is the body.
fn fallback(raw: &[u8], note: &str) -> ParsedEmail {
    let text = clean_text(&String::from_utf8_lossy(raw));
    let text = truncate(text.trim(), MAX_BODY_BYTES - 1024);
    let body = if text.is_empty() {
        "(empty message)".to_owned()
    } else {
        format!("{text}\n\n[Switchboard: {note}]")
    };
    ParsedEmail {
        message_id: synthetic_id(raw),
        thread_ids: Vec::new(),
        from_name: None,
        from_email: None,
        recipients: Vec::new(),
        subject: "(no subject)".into(),
        body,
        attachments: if raw.is_empty() {
            Vec::new()
        } else {
            vec![original(raw)]
        },
    }
}

fn original(raw: &[u8]) -> ParsedAttachment {
    ParsedAttachment {
        filename: "original.eml".into(),
        content_type: "message/rfc822".into(),
        data: raw.to_vec(),
    }
}

/// What follows the first blank line (or everything, if there is none).
fn raw_body(raw: &[u8]) -> &[u8] {
    for sep in [&b"\r\n\r\n"[..], &b"\n\n"[..]] {
        if let Some(i) = raw.windows(sep.len()).position(|w| w == sep) {
            return &raw[i + sep.len()..];
        }
    }
    raw
}

/// A Message-ID we are willing to store and echo in headers: printable ASCII
/// without spaces or angle brackets, of a sane length.
pub fn clean_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let ok = !id.is_empty()
        && id.len() <= 250
        && id
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'<' && b != b'>');
    ok.then(|| id.to_owned())
}

fn synthetic_id(seed: &[u8]) -> String {
    let h = Sha256::digest(seed);
    format!(
        "sb-{}@no-message-id.switchboard.invalid",
        hex::encode(&h[..16])
    )
}

/// A plausible address: one `@`, no spaces or control characters.
pub fn clean_address(a: &str) -> Option<String> {
    let a = a
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let ok = a.len() <= 254
        && a.matches('@').count() == 1
        && !a.starts_with('@')
        && !a.ends_with('@')
        && a.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != ',');
    ok.then(|| a.to_owned())
}

/// Text safe to store: `\n` line ends, no NUL or other control characters
/// (tabs and newlines kept).
pub fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// One line of at most `max` characters: every control character (CR and LF
/// included) becomes a space, runs of spaces collapse.
pub fn one_line(s: &str, max: usize) -> String {
    let spaced: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

fn truncate(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn is_token_type(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/+-.!#$&^_".contains(&b))
}

/// A file name without path parts or control characters, at most 150 chars.
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    cleaned.chars().take(150).collect()
}

/// The reply token in a subject (`[#SB-token]`) or a `+sb-token` address tag.
pub fn reply_token(subject: &str, recipients: &[String]) -> Option<String> {
    let lower = subject.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("[#sb-") {
        let after = &rest[i + 5..];
        if let Some(end) = after.find(']') {
            let t = &after[..end];
            if is_token(t) {
                return Some(t.to_owned());
            }
        }
        rest = after;
    }
    for r in recipients {
        let r = r.to_ascii_lowercase();
        if let Some(i) = r.find("+sb-") {
            let after = &r[i + 4..];
            if let Some(end) = after.find('@') {
                if is_token(&after[..end]) {
                    return Some(after[..end].to_owned());
                }
            }
        }
    }
    None
}

fn is_token(t: &str) -> bool {
    (6..=32).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Drops the quoted history a mail client appends under a reply (`> …`
/// lines and the `On … wrote:` line above them). Returns the text unchanged
/// when nothing would be left.
pub fn strip_quoted(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut end = lines.len();
    // Trailing quoted lines (and blank lines between them).
    while end > 0
        && (lines[end - 1].trim_start().starts_with('>') || lines[end - 1].trim().is_empty())
    {
        end -= 1;
    }
    if end == lines.len() {
        return body.to_owned();
    }
    // The attribution line, possibly wrapped over two lines.
    for back in 1..=2 {
        if end >= back {
            let joined = lines[end - back..end].join(" ");
            let t = joined.trim();
            if t.ends_with("wrote:") || t.ends_with("a écrit :") || t.ends_with("schrieb:") {
                end -= back;
                break;
            }
        }
    }
    let kept = lines[..end].join("\n");
    if kept.trim().is_empty() {
        body.to_owned()
    } else {
        kept.trim_end().to_owned()
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_subjects_and_address_tags() {
        assert_eq!(
            reply_token("Re: Help [#SB-abc123xyz]", &[]),
            Some("abc123xyz".into())
        );
        assert_eq!(
            reply_token("Re: [#sb-ABC123XYZ] x", &[]),
            Some("abc123xyz".into())
        );
        assert_eq!(reply_token("Re: [#SB-a b]", &[]), None);
        assert_eq!(
            reply_token("hi", &["support+sb-k2k2k2k2@example.com".into()]),
            Some("k2k2k2k2".into())
        );
    }

    #[test]
    fn quoted_history_is_dropped() {
        let body = "Thanks, that worked.\n\nOn Mon, 2 Mar 2026, Support wrote:\n> Try turning it off\n> and on again.\n";
        assert_eq!(strip_quoted(body), "Thanks, that worked.");
        assert_eq!(strip_quoted("> only quote"), "> only quote");
    }

    /// Found at random by `proptest_email_almost_valid_messages`: a
    /// `message/rfc822` part in another one inside a multipart makes
    /// mail-parser 0.11 panic. The guard answers with the raw text.
    #[test]
    fn a_message_that_panics_the_mime_parser_is_kept_as_raw_text() {
        let raw = b"Content-Type: multipart/mixed; boundary=\"=_\"\r\n\r\n--=_\r\n\
Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n\
Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\r\n--=_--\r\n";
        let direct = std::panic::catch_unwind(|| parse_mime(raw));
        let p = parse(raw);
        assert!(!p.message_id.is_empty());
        assert!(
            direct.is_err(),
            "mail-parser no longer panics here: {direct:?}"
        );
        assert!(p.body.contains("multipart/mixed"), "{}", p.body);
    }

    #[test]
    fn ids_and_names_are_sanitized() {
        assert_eq!(clean_id("<abc@x>"), Some("abc@x".into()));
        assert_eq!(clean_id("a b@x"), None);
        assert_eq!(clean_id("a\r\nBcc: x@y"), None);
        assert_eq!(one_line("Hello\r\nBcc: evil@x", 100), "Hello Bcc: evil@x");
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_address("a@b.c"), Some("a@b.c".into()));
        assert_eq!(clean_address("a@b.c\r\nX: y"), None);
    }
}
