//! Property tests of the email intake's MIME parser ([`parse`]): arbitrary
//! bytes, and generated almost-valid messages (random headers, encoded
//! words in every charset, nested multiparts with wrong or missing
//! boundaries, broken base64 and quoted-printable, invalid UTF-8, huge
//! header lines, CRLF/LF mixes). Whatever arrives, [`parse`] gives a message
//! that keeps its own promises (see [`invariants`]) and never panics; the
//! MIME parser underneath ([`parse_mime`]) never panics either, so the
//! `catch_unwind` in [`parse`] is a guard, not a path. A well-formed
//! message gives back what it was made of.
//!
//! See `crate::settings::proptests` for how to run more cases.

use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::*;
use crate::settings::proptests::check;

/// Every promise of [`ParsedEmail`], checked on what `raw` parsed to.
fn invariants(raw: &[u8], p: &ParsedEmail) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        clean_id(&p.message_id),
        Some(p.message_id.clone()),
        "the Message-ID is one we may store and echo"
    );
    prop_assert!(p.thread_ids.len() <= MAX_REFERENCES);
    for (i, id) in p.thread_ids.iter().enumerate() {
        prop_assert_eq!(clean_id(id), Some(id.clone()));
        prop_assert!(!p.thread_ids[..i].contains(id), "ids are deduplicated");
    }
    if let Some(a) = &p.from_email {
        prop_assert_eq!(clean_address(a), Some(a.clone()));
    }
    for a in &p.recipients {
        prop_assert_eq!(clean_address(a), Some(a.clone()));
    }
    if let Some(n) = &p.from_name {
        prop_assert!(!n.is_empty() && n.chars().count() <= 200);
        prop_assert!(!n.chars().any(char::is_control), "one line: {:?}", n);
    }
    prop_assert!(!p.subject.is_empty());
    prop_assert!(p.subject.chars().count() <= MAX_SUBJECT_CHARS);
    prop_assert!(
        !p.subject.chars().any(char::is_control),
        "one line: {:?}",
        p.subject
    );
    prop_assert!(!p.body.trim().is_empty(), "the body is never empty");
    prop_assert!(p.body.len() <= MAX_BODY_BYTES, "{} bytes", p.body.len());
    prop_assert!(
        !p.body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "no control characters but newlines and tabs"
    );
    for a in &p.attachments {
        prop_assert!(!a.filename.is_empty() && a.filename.chars().count() <= 150);
        prop_assert!(
            !a.filename
                .chars()
                .any(|c| c.is_control() || matches!(c, '/' | '\\' | '"')),
            "a safe file name: {:?}",
            a.filename
        );
        prop_assert!(!a.filename.starts_with('.'), "{:?}", a.filename);
        prop_assert!(
            is_token_type(&a.content_type) && a.content_type == a.content_type.to_ascii_lowercase(),
            "a content type fit for a header: {:?}",
            a.content_type
        );
    }
    // Kept whole whenever the text shown is not all of it.
    if let Some(orig) = p.attachments.iter().find(|a| a.filename == "original.eml") {
        if orig.content_type == "message/rfc822" && orig.data.len() == raw.len() {
            prop_assert!(orig.data == raw);
        }
    }
    if p.body.contains("[Switchboard: ") && !raw.is_empty() {
        prop_assert!(
            p.attachments.iter().any(|a| a.data == raw),
            "a note about the text comes with the raw message attached"
        );
    }
    Ok(())
}

/// Parses `raw` through the guard and without it: the guard never panics,
/// the same answer twice (a redelivery is recognised), the promises kept.
/// Without the guard, mail-parser itself may panic: a `message/rfc822` part
/// nested in another one inside a multipart panics mail-parser 0.11
/// ("Invalid part ID, could not find multipart"), which a run found at
/// random. That is what the guard is for: then `parse` must still answer
/// (with the raw text) and keep every promise.
fn parses_well(raw: &[u8]) -> Result<(), TestCaseError> {
    let direct = std::panic::catch_unwind(|| parse_mime(raw));
    let p = parse(raw);
    invariants(raw, &p)?;
    if let Ok(Some(d)) = direct {
        prop_assert_eq!(&d.message_id, &p.message_id);
        prop_assert_eq!(&d.body, &p.body);
    }
    prop_assert_eq!(parse(raw).message_id, p.message_id, "deterministic");
    Ok(())
}

#[test]
fn proptest_email_arbitrary_bytes() {
    let bytes = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..2048),
        // Bytes that look a little like mail: header-ish text, colons,
        // newlines, boundaries and encoded-word markers among junk.
        4 => prop::collection::vec(
            prop_oneof![
                3 => any::<u8>().prop_map(|b| vec![b]),
                2 => prop::sample::select(vec![
                    &b"\r\n"[..], b"\n", b": ", b"From", b"Subject", b"Content-Type",
                    b"multipart/mixed; boundary=", b"--", b"=?utf-8?B?", b"=?", b"?=",
                    b"\r\n\r\n", b"<", b">", b"@", b"Content-Transfer-Encoding: base64",
                    b"text/plain", b"message/rfc822", b"\t", b";", b"\"", b"=\r\n", b"=",
                ])
                .prop_map(<[u8]>::to_vec),
            ],
            0..200,
        )
        .prop_map(|v| v.concat()),
    ];
    check("email_arbitrary_bytes", 5000, bytes, |raw| {
        parses_well(&raw)
    });
}

// ---- almost-valid messages ----------------------------------------------

/// How a part's content is transfer-encoded.
#[derive(Debug, Clone)]
enum Enc {
    /// Valid base64 with lines of this length (0: one line).
    Base64(usize),
    /// Base64 with junk inserted, or cut short.
    BrokenBase64(usize, Vec<u8>),
    /// Valid quoted-printable.
    Qp,
    /// Quoted-printable with a broken escape at this position.
    BrokenQp(usize),
    /// As is, under this label (7bit, 8bit, binary, an unknown one, none).
    Raw(Option<String>),
}

/// One MIME entity's body.
#[derive(Debug, Clone)]
enum Node {
    Leaf {
        ctype: String,
        disposition: Option<String>,
        enc: Enc,
        content: Vec<u8>,
    },
    Multi {
        subtype: String,
        /// The boundary used between parts.
        boundary: String,
        /// The boundary the header declares (sometimes not the same, or none).
        declared: Option<String>,
        parts: Vec<Node>,
        preamble: Vec<u8>,
        /// Whether the closing delimiter is written.
        closed: bool,
    },
    Embedded(Vec<(String, Vec<u8>)>, Box<Node>),
}

#[derive(Debug, Clone)]
struct Mail {
    headers: Vec<(String, Vec<u8>)>,
    body: Node,
    /// 0: CRLF, 1: LF, 2: both at random.
    newline: u8,
    /// Whether the body's Content-Type header is written at all.
    typed: bool,
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

fn charset() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "utf-8", "UTF-8", "us-ascii", "iso-8859-1", "iso-8859-15", "windows-1252",
            "windows-1251", "koi8-r", "shift_jis", "euc-jp", "iso-2022-jp", "gb2312", "gbk",
            "big5", "utf-16", "utf-16le", "utf-7", "x-unknown", "",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z0-9_-]{0,12}",
    ]
}

/// An RFC 2047 encoded word, valid or not.
fn encoded_word() -> impl Strategy<Value = Vec<u8>> {
    (
        charset(),
        prop::sample::select(vec!["B", "Q", "b", "q", "X", ""]),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::bool::ANY,
    )
        .prop_map(|(cs, kind, payload, valid)| {
            let data = if !valid {
                payload
            } else if kind.eq_ignore_ascii_case("b") {
                base64::engine::general_purpose::STANDARD
                    .encode(&payload)
                    .into_bytes()
            } else {
                payload
                    .iter()
                    .flat_map(|b| match b {
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => vec![*b],
                        b' ' => vec![b'_'],
                        _ => format!("={b:02X}").into_bytes(),
                    })
                    .collect()
            };
            [format!("=?{cs}?{kind}?").into_bytes(), data, b"?=".to_vec()].concat()
        })
}

/// A header value: text, encoded words, addresses, ids, raw bytes, huge.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    let address = (
        prop::option::of(prop_oneof![
            "[A-Za-z ]{1,20}".prop_map(String::into_bytes),
            "[A-Za-z ,]{1,20}".prop_map(|n| format!("\"{n}\"").into_bytes()),
            encoded_word(),
        ]),
        "[a-z0-9.+_-]{1,16}",
        "[a-z0-9-]{1,12}\\.[a-z]{2,4}",
    )
        .prop_map(|(name, local, domain)| match name {
            Some(n) => [n, format!(" <{local}@{domain}>").into_bytes()].concat(),
            None => format!("{local}@{domain}").into_bytes(),
        });
    let id = ("[A-Za-z0-9.$_-]{1,30}", "[a-z0-9.-]{1,20}")
        .prop_map(|(l, d)| format!("<{l}@{d}>").into_bytes());
    prop_oneof![
        4 => text(60).prop_map(String::into_bytes),
        3 => prop::collection::vec(
            prop_oneof![encoded_word(), text(10).prop_map(String::into_bytes)],
            1..5,
        )
        .prop_map(|v| v.join(&b" "[..])),
        3 => prop::collection::vec(address, 1..4).prop_map(|v| v.join(&b", "[..])),
        2 => prop::collection::vec(id, 1..6).prop_map(|v| v.join(&b" "[..])),
        2 => prop::collection::vec(any::<u8>(), 0..80),
        1 => Just(b"undisclosed-recipients:;".to_vec()),
        // Folded over several lines.
        1 => prop::collection::vec("[ -~]{0,30}", 1..5)
            .prop_map(|v| v.join("\r\n\t").into_bytes()),
        // A huge header line (up to 100 KiB).
        1 => (any::<u8>(), 1000usize..100_000).prop_map(|(b, n)| {
            let c = if b.is_ascii_graphic() { b } else { b'x' };
            vec![c; n]
        }),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References",
            "Delivered-To", "Date", "MIME-Version", "Reply-To", "Sender", "Return-Path",
            "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "X-Mailer",
            "subject", "FROM", "message-id",
        ])
        .prop_map(str::to_owned),
        1 => "[A-Za-z][A-Za-z0-9-]{0,20}",
        1 => "[ -~]{0,10}",
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec((header_name(), header_value()), 0..10)
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => text(300).prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..300),
        1 => Just(Vec::new()),
        1 => "(<p>[a-z ]{0,20}</p>|<br>|&amp;|<b>|<script>x</script>){0,10}"
            .prop_map(String::into_bytes),
    ]
}

fn enc() -> impl Strategy<Value = Enc> {
    prop_oneof![
        3 => prop_oneof![Just(0usize), Just(76), 1usize..100].prop_map(Enc::Base64),
        1 => (0usize..400, prop::collection::vec(any::<u8>(), 0..6))
            .prop_map(|(at, junk)| Enc::BrokenBase64(at, junk)),
        2 => Just(Enc::Qp),
        1 => (0usize..400).prop_map(Enc::BrokenQp),
        3 => prop::option::of(prop::sample::select(vec![
            "7bit", "8bit", "binary", "x-uuencode", "BASE64", "quoted-printable", "bogus",
        ]))
        .prop_map(|e| Enc::Raw(e.map(str::to_owned))),
    ]
}

fn leaf() -> impl Strategy<Value = Node> {
    let ctype = prop_oneof![
        4 => charset().prop_map(|cs| format!("text/plain; charset=\"{cs}\"")),
        2 => charset().prop_map(|cs| format!("text/html; charset={cs}")),
        1 => Just("text/plain".to_owned()),
        2 => prop::sample::select(vec![
            "application/octet-stream", "image/png", "application/pdf", "text/calendar",
            "application/pdf; name=\"../../etc/passwd\"", "image/jpeg; name=\"\\\"x\\\".jpg\"",
        ])
        .prop_map(str::to_owned),
        1 => "[ -~]{0,30}",
    ];
    let disposition = prop::option::of(prop_oneof![
        Just("inline".to_owned()),
        Just("attachment".to_owned()),
        text(20).prop_map(|n| format!(
            "attachment; filename=\"{}\"",
            n.replace(['"', '\r', '\n'], "")
        )),
        "[ -~]{0,30}".prop_map(|d| format!("attachment; filename*=UTF-8''{d}")),
    ]);
    (ctype, disposition, enc(), content()).prop_map(|(ctype, disposition, enc, content)| {
        Node::Leaf {
            ctype,
            disposition,
            enc,
            content,
        }
    })
}

fn boundary() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9'()+_,./:=?-]{1,70}",
        1 => "[ -~]{0,20}",
        1 => Just("=_".to_owned()),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            4 => (
                prop::sample::select(vec!["mixed", "alternative", "related", "digest", "signed", "x-foo"]),
                boundary(),
                prop_oneof![
                    4 => Just(None),
                    1 => boundary().prop_map(Some),
                    1 => Just(Some(String::new())),
                ],
                prop::collection::vec(inner.clone(), 0..5),
                prop::collection::vec(any::<u8>(), 0..20),
                prop::bool::weighted(0.8),
            )
                .prop_map(|(subtype, boundary, declared, parts, preamble, closed)| {
                    let declared = declared.or_else(|| Some(boundary.clone()));
                    Node::Multi {
                        subtype: subtype.to_owned(),
                        boundary,
                        declared,
                        parts,
                        preamble,
                        closed,
                    }
                }),
            1 => (headers(), inner).prop_map(|(h, n)| Node::Embedded(h, Box::new(n))),
        ]
    })
}

fn mail() -> impl Strategy<Value = Mail> {
    (headers(), node(), 0u8..3, prop::bool::weighted(0.9)).prop_map(
        |(headers, body, newline, typed)| Mail {
            headers,
            body,
            newline,
            typed,
        },
    )
}

/// Quoted-printable: printable ASCII as is, the rest escaped, soft breaks.
fn qp(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut col = 0;
    for &b in data {
        let piece = if (b.is_ascii_graphic() && b != b'=') || b == b' ' {
            vec![b]
        } else {
            format!("={b:02X}").into_bytes()
        };
        if col + piece.len() > 75 {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        col += piece.len();
        out.extend(piece);
    }
    out
}

fn base64_lines(data: &[u8], width: usize) -> Vec<u8> {
    let b = base64::engine::general_purpose::STANDARD.encode(data);
    if width == 0 {
        return b.into_bytes();
    }
    b.as_bytes()
        .chunks(width)
        .collect::<Vec<_>>()
        .join(&b"\r\n"[..])
}

/// Writes a body's headers (the Content-* ones) and its content.
fn render(node: &Node, typed: bool, out: &mut Vec<u8>) {
    match node {
        Node::Leaf {
            ctype,
            disposition,
            enc,
            content,
        } => {
            if typed {
                out.extend_from_slice(format!("Content-Type: {ctype}\r\n").as_bytes());
            }
            if let Some(d) = disposition {
                out.extend_from_slice(format!("Content-Disposition: {d}\r\n").as_bytes());
            }
            let (label, data) = match enc {
                Enc::Base64(w) => (Some("base64".to_owned()), base64_lines(content, *w)),
                Enc::BrokenBase64(at, junk) => {
                    let mut d = base64_lines(content, 76);
                    let at = (*at).min(d.len());
                    d.splice(at..at, junk.iter().copied());
                    if junk.is_empty() {
                        d.truncate(at);
                    }
                    (Some("base64".to_owned()), d)
                }
                Enc::Qp => (Some("quoted-printable".to_owned()), qp(content)),
                Enc::BrokenQp(at) => {
                    let mut d = qp(content);
                    let at = (*at).min(d.len());
                    d.splice(at..at, b"=Z".iter().copied());
                    (Some("quoted-printable".to_owned()), d)
                }
                Enc::Raw(label) => (label.clone(), content.clone()),
            };
            if let Some(l) = label {
                out.extend_from_slice(format!("Content-Transfer-Encoding: {l}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend(data);
        }
        Node::Multi {
            subtype,
            boundary,
            declared,
            parts,
            preamble,
            closed,
        } => {
            if typed {
                match declared {
                    Some(d) => out.extend_from_slice(
                        format!("Content-Type: multipart/{subtype}; boundary=\"{d}\"\r\n")
                            .as_bytes(),
                    ),
                    None => out.extend_from_slice(
                        format!("Content-Type: multipart/{subtype}\r\n").as_bytes(),
                    ),
                }
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(preamble);
            for p in parts {
                out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
                render(p, true, out);
            }
            if *closed {
                out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            }
        }
        Node::Embedded(headers, inner) => {
            if typed {
                out.extend_from_slice(b"Content-Type: message/rfc822\r\n");
            }
            out.extend_from_slice(b"\r\n");
            for (name, value) in headers {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value);
                out.extend_from_slice(b"\r\n");
            }
            render(inner, true, out);
        }
    }
}

impl Mail {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
        render(&self.body, self.typed, &mut out);
        match self.newline {
            0 => out,
            1 => lf_only(&out, |_| true),
            // Some line ends LF, some CRLF.
            _ => lf_only(&out, |i| i % 3 == 0),
        }
    }
}

/// `\r\n` → `\n` wherever `which(i)` says so for the i-th line end.
fn lf_only(b: &[u8], which: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            if !which(n) {
                out.push(b'\r');
            }
            n += 1;
            i += 1;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[test]
fn proptest_email_almost_valid_messages() {
    check("email_almost_valid", 3000, mail(), |m| {
        parses_well(&m.bytes())
    });
}

// ---- well-formed messages give back what they were made of ---------------

#[derive(Debug, Clone)]
struct Plain {
    name: String,
    local: String,
    domain: String,
    subject: String,
    id: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    body: String,
    attachment: Option<(String, Vec<u8>)>,
}

fn plain() -> impl Strategy<Value = Plain> {
    let id = ("[A-Za-z0-9.$_-]{1,30}", "[a-z0-9.-]{1,20}").prop_map(|(l, d)| format!("{l}@{d}"));
    (
        (
            "[A-Za-z][A-Za-z ]{0,20}",
            "[a-z0-9][a-z0-9.+_-]{0,15}",
            "[a-z0-9]{1,12}\\.[a-z]{2,4}",
            text(80),
        ),
        (
            id.clone(),
            prop::option::of(id.clone()),
            prop::collection::vec(id, 0..5),
        ),
        text(400),
        prop::option::of((
            "[A-Za-z0-9_-]{1,20}\\.(pdf|png|txt)",
            prop::collection::vec(any::<u8>(), 1..200),
        )),
    )
        .prop_map(
            |((name, local, domain, subject), (id, in_reply_to, references), body, attachment)| {
                Plain {
                    name,
                    local,
                    domain,
                    subject,
                    id,
                    in_reply_to,
                    references,
                    body,
                    attachment,
                }
            },
        )
}

impl Plain {
    /// The message, with the subject and body encoded so any text survives.
    fn bytes(&self) -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut h = format!(
            "From: {} <{}@{}>\r\nTo: support@example.com\r\nSubject: =?utf-8?B?{}?=\r\nMessage-ID: <{}>\r\nMIME-Version: 1.0\r\n",
            self.name.trim(),
            self.local,
            self.domain,
            b64.encode(self.subject.as_bytes()),
            self.id
        );
        if let Some(irt) = &self.in_reply_to {
            h.push_str(&format!("In-Reply-To: <{irt}>\r\n"));
        }
        if !self.references.is_empty() {
            let refs: Vec<String> = self.references.iter().map(|r| format!("<{r}>")).collect();
            h.push_str(&format!("References: {}\r\n", refs.join(" ")));
        }
        let text_part = format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64.encode(self.body.as_bytes())
        );
        match &self.attachment {
            None => format!("{h}{text_part}").into_bytes(),
            Some((name, data)) => format!(
                "{h}Content-Type: multipart/mixed; boundary=\"b0und\"\r\n\r\n--b0und\r\n{text_part}--b0und\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b0und--\r\n",
                b64.encode(data)
            )
            .into_bytes(),
        }
    }
}

#[test]
fn proptest_email_well_formed_round_trip() {
    check("email_round_trip", 3000, plain(), |m| {
        let raw = m.bytes();
        let p = parse(&raw);
        invariants(&raw, &p)?;
        prop_assert_eq!(&p.message_id, &m.id);
        prop_assert_eq!(
            p.from_email.clone(),
            Some(format!("{}@{}", m.local, m.domain))
        );
        let name = m.name.trim();
        prop_assert_eq!(
            p.from_name.clone(),
            (!name.is_empty()).then(|| one_line(name, 200))
        );
        prop_assert_eq!(&p.recipients, &vec!["support@example.com".to_owned()]);
        let subject = one_line(&m.subject, MAX_SUBJECT_CHARS);
        let subject = if subject.is_empty() {
            "(no subject)".to_owned()
        } else {
            subject
        };
        prop_assert_eq!(&p.subject, &subject);
        // In-Reply-To first, then References newest first, deduplicated.
        let mut want: Vec<String> = Vec::new();
        for id in m.in_reply_to.iter().chain(m.references.iter().rev()) {
            if !want.contains(id) {
                want.push(id.clone());
            }
        }
        prop_assert_eq!(&p.thread_ids, &want);
        let body = clean_text(&m.body);
        let body = body.trim();
        let attached: Vec<_> = p
            .attachments
            .iter()
            .filter(|a| a.filename != "original.eml")
            .collect();
        match &m.attachment {
            Some((name, data)) => {
                prop_assert_eq!(attached.len(), 1);
                prop_assert_eq!(&attached[0].filename, name);
                prop_assert_eq!(&attached[0].data, data);
                prop_assert_eq!(&attached[0].content_type, "application/octet-stream");
                if body.is_empty() {
                    prop_assert_eq!(&p.body, "(no text; see the attachments)");
                } else {
                    prop_assert_eq!(p.body.as_str(), body);
                }
            }
            None => {
                prop_assert!(attached.is_empty());
                if !body.is_empty() {
                    prop_assert_eq!(p.body.as_str(), body);
                }
            }
        }
        Ok(())
    });
}
