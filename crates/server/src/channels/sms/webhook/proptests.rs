//! Property tests of what Twilio posts: the form body and its signature
//! ([`verify`], [`super::signature`]) and the inbound text read from the
//! fields ([`InboundText::from_params`]).
//!
//! - A form encoded from any pairs decodes to the same pairs, and a request
//!   signed as Twilio signs it always verifies (parameters in any order, the
//!   default port written or not).
//! - Any single changed byte never verifies: of the signature, the auth
//!   token or the URL; of the body, exactly unless Twilio's signed text of
//!   the decoded pairs stays the same. Twilio signs the distinct decoded
//!   pairs, sorted, names and values joined with nothing between them, so
//!   `%4a` for `%4A`, a repeat of a pair already there, and (found by this
//!   property at 100,000 cases) `Name=value` turned into `Name&value` when
//!   `value` sorts right after `Name`, all sign alike: a limit of Twilio's
//!   scheme, which the server must follow as it is.
//! - Arbitrary bodies, signatures and content types: a clear refusal, never
//!   a panic.
//! - Any fields: a text that keeps its promises or a 422 that names its
//!   code; well-formed fields give back what they were made of.
//!
//! See `crate::settings::proptests` for how to run more cases.

use std::collections::BTreeSet;

use axum::http::{HeaderMap, HeaderValue, Uri};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::super::inbound::InboundText;
use super::super::signature;
use super::*;
use crate::ops::MAX_BODY_BYTES;
use crate::settings::proptests::check;

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Parameter names: Twilio's own, repeated ones, anything.
fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia",
            "MediaUrl0", "MediaContentType0", "MessageStatus", "ErrorCode", "FromCity",
        ])
        .prop_map(str::to_owned),
        2 => text(12),
        1 => Just(String::new()),
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((param_name(), text(40)), 0..10)
}

/// What a Twilio signature covers of the pairs: the distinct pairs, sorted,
/// each name followed by its value, with nothing between them.
fn signed_text(p: &[(String, String)]) -> String {
    let distinct: BTreeSet<(&str, &str)> =
        p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    distinct.into_iter().flat_map(|(k, v)| [k, v]).collect()
}

fn form(p: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p)
        .finish()
}

fn decode(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A signed webhook request.
#[derive(Debug, Clone)]
struct Request {
    token: String,
    public_url: String,
    path_and_query: String,
    params: Vec<(String, String)>,
    content_type: String,
}

fn request() -> impl Strategy<Value = Request> {
    let public_url = (
        prop::sample::select(vec!["https", "http"]),
        "[a-z0-9-]{1,12}(\\.[a-z]{2,6}){0,2}",
        prop::option::of(prop_oneof![Just(443u16), Just(80), any::<u16>()]),
        "(/[a-zA-Z0-9._~-]{1,8}){0,2}/?",
    )
        .prop_map(|(scheme, host, port, prefix)| match port {
            Some(p) => format!("{scheme}://{host}:{p}{prefix}"),
            None => format!("{scheme}://{host}{prefix}"),
        });
    let path_and_query = (
        prop_oneof![
            Just("/channels/sms/twilio".to_owned()),
            Just("/channels/sms/twilio/status".to_owned()),
            "(/[a-zA-Z0-9._~%-]{1,10}){1,3}",
        ],
        prop::option::of(prop::collection::vec(("[a-z]{1,4}", text(8)), 0..3)),
    )
        .prop_map(|(path, query)| match query {
            Some(q) => format!("{path}?{}", form(&q)),
            None => path,
        });
    (
        text(30).prop_filter("a token", |t| !t.is_empty()),
        public_url,
        path_and_query,
        params(),
        prop::sample::select(vec![
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "Application/X-WWW-Form-Urlencoded",
            " application/x-www-form-urlencoded ;charset=UTF-8",
        ]),
    )
        .prop_map(
            |(token, public_url, path_and_query, params, content_type)| Request {
                token,
                public_url,
                path_and_query,
                params,
                content_type: content_type.to_owned(),
            },
        )
}

impl Request {
    fn twilio(&self) -> Twilio {
        Twilio {
            account_sid: "AC0".into(),
            auth_token: self.token.clone(),
            from: "+15005550006".into(),
            public_url: self.public_url.clone(),
            api_base: "http://127.0.0.1:9".into(),
        }
    }

    fn uri(&self) -> Uri {
        self.path_and_query.parse().expect("a generated URI parses")
    }

    fn url(&self) -> String {
        signed_url(&self.public_url, &self.uri())
    }

    fn signature(&self) -> String {
        signature::compute(&self.token, &self.url(), &self.params)
    }

    fn headers(&self, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&self.content_type).expect("a content type"),
        );
        if let Ok(v) = HeaderValue::from_str(signature) {
            h.insert(HEADER, v);
        }
        h
    }
}

/// Which byte of what is changed.
#[derive(Debug, Clone)]
enum Change {
    Body(usize, u8),
    Signature(usize, char),
    Token(usize, char),
    Url(usize, char),
}

fn change() -> impl Strategy<Value = Change> {
    let printable = any::<u8>().prop_map(|b| char::from(0x20 + b % 0x5f));
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Change::Body(i, b)),
        3 => (any::<usize>(), printable.clone()).prop_map(|(i, c)| Change::Signature(i, c)),
        1 => (any::<usize>(), any::<char>()).prop_map(|(i, c)| Change::Token(i, c)),
        1 => (any::<usize>(), printable).prop_map(|(i, c)| Change::Url(i, c)),
    ]
}

/// `s` with its `i`-th character (modulo its length) replaced by `c`, if
/// that changes it.
fn replace_char(s: &str, i: usize, c: char) -> Option<String> {
    let n = s.chars().count();
    if n == 0 {
        return None;
    }
    let i = i % n;
    let old = s.chars().nth(i)?;
    (old != c).then(|| {
        s.chars()
            .enumerate()
            .map(|(j, x)| if j == i { c } else { x })
            .collect()
    })
}

#[test]
fn proptest_twilio_signed_requests_verify_and_changed_ones_never() {
    check(
        "twilio_signature",
        3000,
        (request(), change(), prop::bool::ANY),
        |(req, change, shuffle)| {
            let body = form(&req.params);
            // The form round trip: what is encoded decodes to the same pairs.
            prop_assert_eq!(decode(body.as_bytes()), req.params.clone());
            let sig = req.signature();
            let twilio = req.twilio();
            let uri = req.uri();
            let got = verify(&twilio, &uri, &req.headers(&sig), body.as_bytes())
                .map_err(|e| TestCaseError::fail(format!("a signed request refused: {e}")))?;
            prop_assert_eq!(&got.0, &req.params);
            // Twilio sorts the pairs: their order on the wire does not matter.
            let mut reordered = req.params.clone();
            if shuffle {
                reordered.reverse();
            } else {
                let by = reordered.len().min(1);
                reordered.rotate_left(by);
            }
            prop_assert!(signature::verify(&req.token, &req.url(), &reordered, &sig));
            let spaced = format!(" {sig}\t");
            prop_assert!(signature::verify(
                &req.token,
                &req.url(),
                &req.params,
                &spaced
            ));
            match change {
                Change::Body(i, b) => {
                    let mut changed = body.clone().into_bytes();
                    if changed.is_empty() || changed[i % changed.len()] == b {
                        return Ok(());
                    }
                    let at = i % changed.len();
                    changed[at] = b;
                    let same = signed_text(&decode(&changed)) == signed_text(&req.params);
                    let r = verify(&twilio, &uri, &req.headers(&sig), &changed);
                    prop_assert_eq!(
                        r.is_ok(),
                        same,
                        "body {:?}",
                        String::from_utf8_lossy(&changed)
                    );
                    if let Ok(p) = r {
                        prop_assert_eq!(p.0, decode(&changed));
                    }
                }
                Change::Signature(i, c) => {
                    if let Some(s) = replace_char(&sig, i, c) {
                        prop_assert!(
                            verify(&twilio, &uri, &req.headers(&s), body.as_bytes()).is_err(),
                            "signature {:?} for {:?}",
                            s,
                            sig
                        );
                    }
                }
                Change::Token(i, c) => {
                    if let Some(t) = replace_char(&req.token, i, c) {
                        prop_assert!(!signature::verify(&t, &req.url(), &req.params, &sig));
                    }
                }
                Change::Url(i, c) => {
                    if let Some(u) = replace_char(&req.url(), i, c) {
                        prop_assert!(!signature::verify(&req.token, &u, &req.params, &sig));
                    }
                }
            }
            Ok(())
        },
    );
}

/// Anything as body, signature and content type: a refusal that says why
/// (403 or 400), never a panic.
#[test]
fn proptest_twilio_webhook_arbitrary_requests() {
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ];
    let sig = prop_oneof![
        Just(None),
        "[A-Za-z0-9+/=]{0,40}".prop_map(Some),
        "[ -~]{0,40}".prop_map(Some),
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        params().prop_map(|p| form(&p).into_bytes()),
    ];
    check(
        "twilio_webhook_arbitrary",
        3000,
        (content_type, sig, body, text(10)),
        |(content_type, sig, body, token)| {
            let twilio = Twilio {
                account_sid: "AC0".into(),
                auth_token: token,
                from: "+1".into(),
                public_url: "https://support.example.com".into(),
                api_base: "http://127.0.0.1:9".into(),
            };
            let uri: Uri = "/channels/sms/twilio".parse().expect("a URI");
            let mut headers = HeaderMap::new();
            if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                headers.insert(header::CONTENT_TYPE, ct);
            }
            if let Some(s) = sig.and_then(|s| HeaderValue::from_str(&s).ok()) {
                headers.insert(HEADER, s);
            }
            match verify(&twilio, &uri, &headers, &body) {
                Ok(p) => prop_assert!(false, "verified without a signature: {:?}", p),
                Err(AppError::Forbidden { code, .. }) => {
                    prop_assert_eq!(code, "invalid_signature")
                }
                Err(AppError::BadRequest { code, .. }) => {
                    prop_assert_eq!(code, "unsupported_media_type")
                }
                Err(e) => prop_assert!(false, "unexpected refusal {:?}", e),
            }
            Ok(())
        },
    );
}

// ---- the inbound text's fields ---------------------------------------------

/// Fields as Twilio might post them, and as nobody should.
fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = prop_oneof![
        4 => text(30),
        2 => "(SM|MM)[0-9a-f]{32}",
        2 => "\\+[0-9]{6,15}",
        1 => (0usize..14).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            "http://example.com/a.png", "javascript:alert(1)", "ftp://x/y", "https://",
            "  https://example.com/ spaced  ", "", " ", "\0", "-1", "99999999999999999999",
        ])
        .prop_map(str::to_owned),
        // A body near and over the limit.
        1 => (MAX_BODY_BYTES - 8..MAX_BODY_BYTES + 8).prop_map(|n| "x".repeat(n)),
    ];
    let name = prop_oneof![
        6 => prop::sample::select(vec![
            "MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaUrl1",
            "MediaUrl2", "MediaContentType0", "MediaContentType1", "MediaUrl10",
        ])
        .prop_map(str::to_owned),
        1 => text(10),
    ];
    prop::collection::vec((name, value), 0..12)
}

/// Refusals name one of these codes.
const CODES: &[&str] = &[
    "missing_field",
    "invalid_field",
    "empty_message",
    "body_too_long",
];

#[test]
fn proptest_twilio_inbound_fields() {
    check("twilio_inbound_fields", 3000, fields(), |pairs| {
        let params = Params(pairs.clone());
        match InboundText::from_params(&params) {
            Ok(t) => {
                prop_assert!(!t.message_sid.is_empty() && t.message_sid.len() <= 64);
                prop_assert!(t.message_sid.chars().all(|c| c.is_ascii_alphanumeric()));
                prop_assert!(!t.from.is_empty() && t.from.len() <= 64);
                prop_assert!(!t.from.chars().any(|c| c.is_control() || c.is_whitespace()));
                prop_assert_eq!(Some(t.from.as_str()), params.get("From").map(str::trim));
                if let Some(to) = &t.to {
                    prop_assert!(!to.is_empty() && to.trim() == to);
                }
                prop_assert!(!t.text.trim().is_empty());
                prop_assert!(t.text.len() <= MAX_BODY_BYTES);
                prop_assert!(!t.text.contains('\0'), "NUL is never stored");
                let media = t.text.matches("[Media: ").count();
                let declared: usize = params
                    .get("NumMedia")
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map_or(Ok(0), str::parse)
                    .map_err(|_| TestCaseError::fail("NumMedia accepted unread"))?;
                let in_body = params.get("Body").unwrap_or("").matches("[Media: ").count();
                prop_assert_eq!(media, declared + in_body);
            }
            Err(AppError::Invalid { code, message }) => {
                prop_assert!(CODES.contains(&code), "code {}", code);
                prop_assert!(!message.is_empty());
            }
            Err(e) => prop_assert!(false, "not a 422: {:?}", e),
        }
        Ok(())
    });
}

/// Well-formed fields (any body text, media with http(s) links) read back
/// as what they were.
#[test]
fn proptest_twilio_inbound_round_trip() {
    let media = prop::collection::vec(
        (
            "https?://[a-z]{1,10}\\.[a-z]{2,3}(/[A-Za-z0-9._-]{1,8}){0,3}",
            prop::option::of("[a-z]{1,10}/[a-z0-9.+-]{1,10}"),
        ),
        0..4,
    );
    let strategy = (
        "(SM|MM)[0-9a-f]{32}",
        "\\+[0-9]{6,15}",
        prop::option::of("\\+[0-9]{6,15}"),
        text(200),
        media,
        prop::bool::ANY,
    );
    check(
        "twilio_inbound_round_trip",
        3000,
        strategy,
        |(sid, from, to, body, media, shuffled)| {
            let mut pairs = vec![
                ("MessageSid".to_owned(), sid.clone()),
                ("From".to_owned(), from.clone()),
                ("Body".to_owned(), body.clone()),
                ("NumMedia".to_owned(), media.len().to_string()),
            ];
            if let Some(to) = &to {
                pairs.push(("To".to_owned(), to.clone()));
            }
            for (i, (url, kind)) in media.iter().enumerate() {
                pairs.push((format!("MediaUrl{i}"), url.clone()));
                if let Some(k) = kind {
                    pairs.push((format!("MediaContentType{i}"), k.clone()));
                }
            }
            if shuffled {
                pairs.reverse();
            }
            let mut want = body.replace('\0', "\u{FFFD}").trim_end().to_owned();
            let lines: Vec<String> = media
                .iter()
                .map(|(url, kind)| format!("[Media: {} {url}]", kind.as_deref().unwrap_or("media")))
                .collect();
            if !lines.is_empty() {
                if !want.is_empty() {
                    want.push_str("\n\n");
                }
                want.push_str(&lines.join("\n"));
            }
            match InboundText::from_params(&Params(pairs)) {
                Ok(t) => {
                    prop_assert_eq!(t.message_sid, sid);
                    prop_assert_eq!(t.from, from);
                    prop_assert_eq!(t.to, to);
                    prop_assert_eq!(t.text, want);
                }
                Err(AppError::Invalid { code, .. }) => {
                    prop_assert_eq!(code, "empty_message");
                    prop_assert!(want.trim().is_empty());
                }
                Err(e) => prop_assert!(false, "refused: {:?}", e),
            }
            Ok(())
        },
    );
}
