//! What a file is, from its bytes (never from its name), and the type it
//! may be served as.
//!
//! Known binary formats come from the `infer` crate's signatures; text that
//! is not markup is `text/plain`; anything that a browser could run or
//! render as a page (HTML, SVG, XML, scripts) is named as what it is, and
//! [`served_type`] turns it into `application/octet-stream` for every
//! download, so a file named `invoice.pdf` that is really HTML is never
//! rendered.

/// How many leading bytes are looked at.
pub const HEAD_BYTES: usize = 8 * 1024;

/// The content type of a file whose first bytes are `head` (at most
/// [`HEAD_BYTES`] of them are looked at).
pub fn sniff(head: &[u8]) -> String {
    let head = &head[..head.len().min(HEAD_BYTES)];
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if looks_like_markup(head) {
        return "text/html".to_owned();
    }
    if is_text(head) {
        return "text/plain".to_owned();
    }
    "application/octet-stream".to_owned()
}

/// Tags that make text a page, an image with scripts or XML (lower case).
const MARKUP: &[&str] = &[
    "<!doctype",
    "<html",
    "<head",
    "<body",
    "<script",
    "<svg",
    "<?xml",
    "<iframe",
    "<object",
    "<embed",
    "<meta",
    "<style",
    "<link",
    "<img",
    "<form",
    "<a ",
    "<div",
    "<table",
    "<p>",
];

fn looks_like_markup(head: &[u8]) -> bool {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    MARKUP
        .iter()
        .any(|tag| lower.windows(tag.len()).any(|w| w == tag.as_bytes()))
}

/// UTF-8 (a character cut at the end of the head allowed) without NUL or
/// other control characters than whitespace.
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !head.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// The `Content-Type` a stored type is served with: itself for the types
/// a browser shows without running anything (images but SVG, audio, video,
/// PDF, plain text, archives and office documents), else
/// `application/octet-stream`.
pub fn served_type(stored: &str) -> &str {
    let essence = stored
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let safe = (essence.starts_with("image/") && !essence.contains("svg"))
        || essence.starts_with("audio/")
        || essence.starts_with("video/")
        || matches!(
            essence.as_str(),
            "application/pdf"
                | "text/plain"
                | "application/zip"
                | "application/gzip"
                | "application/x-7z-compressed"
                | "application/msword"
                | "application/rtf"
        )
        || essence.starts_with("application/vnd.openxmlformats-officedocument.")
        || essence.starts_with("application/vnd.oasis.opendocument.")
        || essence.starts_with("application/vnd.ms-");
    if !safe {
        return "application/octet-stream";
    }
    if essence == "text/plain" {
        "text/plain; charset=utf-8"
    } else {
        stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(PNG), "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "application/pdf");
        assert_eq!(sniff(b"Hello,\nplain words.\n"), "text/plain");
        assert_eq!(
            sniff(b"caf\xc3"),
            "text/plain",
            "a character cut at the end"
        );
        assert_eq!(sniff(b"\0\x01\x02\x03binary"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
    }

    #[test]
    fn markup_is_named_and_never_served_as_itself() {
        for page in [
            &b"<!DOCTYPE html><html><script>alert(1)</script></html>"[..],
            b"  <html>\n<body>hi</body>",
            b"Dear customer, <script>alert(1)</script>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
            b"<?xml version=\"1.0\"?><x/>",
        ] {
            let t = sniff(page);
            assert_ne!(t, "text/plain", "{}", String::from_utf8_lossy(page));
            assert_eq!(served_type(&t), "application/octet-stream", "{t}");
        }
    }

    #[test]
    fn only_inert_types_are_served_as_themselves() {
        assert_eq!(served_type("image/png"), "image/png");
        assert_eq!(served_type("application/pdf"), "application/pdf");
        assert_eq!(served_type("text/plain"), "text/plain; charset=utf-8");
        for t in [
            "text/html",
            "image/svg+xml",
            "text/xml",
            "application/javascript",
            "text/x-shellscript",
            "application/x-executable",
            "",
        ] {
            assert_eq!(served_type(t), "application/octet-stream", "{t}");
        }
    }
}
