//! Property tests of what a widget visitor sends: the JSON bodies of
//! `POST /widget/v1/conversations` and `POST /widget/v1/messages`, read by
//! the same extractor the handlers use ([`ApiJson`]) and checked as they
//! check them ([`check_body`], [`check_client_id`], [`clean_opt`]), and the
//! query of `GET /widget/v1/events` ([`ApiQuery`]).
//!
//! Whatever the bytes and content type: a value that keeps the handlers'
//! promises (no NUL anywhere, text trimmed and within its limits) or a clear
//! 400/422 with its code, never a panic. Well-formed bodies give back their
//! fields, refused exactly when a field breaks a rule.
//!
//! See `crate::settings::proptests` for how to run more cases.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::Request;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::app::ApiQuery;
use crate::channels::widget::stream::StreamQuery;
use crate::settings::proptests::check;

/// The answer of an extractor future that needs no IO (the whole body is
/// in memory).
fn ready<F: std::future::Future>(f: F) -> F::Output {
    futures_util::FutureExt::now_or_never(f).expect("the extractor waits for nothing")
}

fn request(content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut b = Request::builder().method("POST").uri("/widget/v1/messages");
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(Body::from(body)).expect("a request")
}

/// The start handler's checks, in its order: the text, the client id, the
/// name, the email.
fn start_checks(req: StartRequest) -> AppResult<(String, Option<String>, Option<String>)> {
    let body = check_body(&req.message)?;
    check_client_id(&req.client_id)?;
    let name = clean_opt(req.name, 100, "name")?;
    let email = clean_opt(req.email, 254, "email")?;
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err(AppError::invalid(
            "invalid_email",
            "that is not an email address",
        ));
    }
    Ok((body, name, email))
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Text for a field: anything, blank, with NUL, near the limits.
fn field_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => text(60),
        1 => Just(String::new()),
        1 => Just("  \t\n ".to_owned()),
        1 => text(10).prop_map(|t| format!("{t}\0{t}")),
        1 => (MAX_VISITOR_MESSAGE - 4..MAX_VISITOR_MESSAGE + 4).prop_map(|n| "a".repeat(n)),
        1 => (95usize..135).prop_map(|n| "é".repeat(n / 2)),
        1 => (250usize..260).prop_map(|n| format!("{}@x", "b".repeat(n - 2))),
        1 => "[a-z]{1,10}@[a-z]{1,10}\\.[a-z]{2,3}",
    ]
}

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        field_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(text(6), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object with the request's keys (each most of the time), values
/// mostly text but of every type, now and then another key.
fn json_object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        8 => field_text().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => json_value(),
    ];
    let present = prop::collection::vec(prop::option::weighted(0.8, value), keys.len());
    let extra = prop_oneof![
        6 => Just(Vec::new()),
        1 => prop::collection::vec((text(8), json_value()), 1..3),
    ];
    (present, extra).prop_map(move |(values, extra)| {
        let mut m = serde_json::Map::new();
        for (k, v) in keys.iter().zip(values) {
            if let Some(v) = v {
                m.insert((*k).to_owned(), v);
            }
        }
        m.extend(extra);
        Value::Object(m)
    })
}

/// Bytes of a body: JSON as serde_json writes it, with `\u` escapes, broken
/// by one byte, or not JSON at all; under a JSON content type or not.
fn body(keys: &'static [&'static str]) -> impl Strategy<Value = (Option<String>, Vec<u8>)> {
    let bytes = prop_oneof![
        6 => json_object(keys).prop_map(|v| serde_json::to_vec(&v).expect("JSON")),
        // Escapes written out, as browsers' JSON.stringify does for some.
        2 => json_object(keys).prop_map(|v| {
            let s = serde_json::to_string(&v).expect("JSON");
            s.chars()
                .map(|c| if c.is_ascii() { c.to_string() } else {
                    let mut buf = [0u16; 2];
                    c.encode_utf16(&mut buf).iter().map(|u| format!("\\u{u:04x}")).collect()
                })
                .collect::<String>()
                .into_bytes()
        }),
        2 => (json_object(keys), any::<usize>(), any::<u8>()).prop_map(|(v, i, b)| {
            let mut bytes = serde_json::to_vec(&v).expect("JSON");
            let at = i % bytes.len();
            bytes[at] = b;
            bytes
        }),
        1 => prop::sample::select(vec![
            &b"{\"message\": \"hi\\u0000\"}"[..], b"{\"body\": \"\\ud800\"}", b"{\"body\": \"\\U0000x\"}",
            b"", b"null", b"[]", b"{", b"{\"body\": \"x\", \"body\": \"y\"}", b"\xef\xbb\xbf{}",
            b"{\"message\": \"\xff\"}",
        ])
        .prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..100),
    ];
    let content_type = prop_oneof![
        6 => Just(Some("application/json".to_owned())),
        1 => Just(Some("application/json; charset=utf-8".to_owned())),
        1 => Just(Some("Application/vnd.api+JSON".to_owned())),
        1 => Just(None),
        1 => "[ -~]{0,30}".prop_map(Some),
    ];
    (content_type, bytes)
}

/// A refusal of the extractor or of the checks is one of these, and a 4xx.
fn refusal_ok(e: &AppError) -> Result<(), TestCaseError> {
    let (code, status) = match e {
        AppError::BadRequest { code, .. } | AppError::Invalid { code, .. } => (*code, e.status()),
        AppError::TooLarge(_) => ("too_large", e.status()),
        other => return Err(TestCaseError::fail(format!("unexpected refusal {other:?}"))),
    };
    prop_assert!(status.is_client_error(), "{}", status);
    prop_assert!(
        [
            "unsupported_media_type",
            "malformed_json",
            "invalid_body",
            "invalid_text",
            "empty_body",
            "body_too_long",
            "invalid_client_id",
            "too_long",
            "invalid_email",
            "too_large",
        ]
        .contains(&code),
        "code {}",
        code
    );
    Ok(())
}

fn no_nul(s: &str) -> Result<(), TestCaseError> {
    prop_assert!(!s.contains('\0'), "NUL in {:?}", s);
    Ok(())
}

fn checked_body(body: &str) -> Result<(), TestCaseError> {
    no_nul(body)?;
    prop_assert!(!body.is_empty() && body.len() <= MAX_VISITOR_MESSAGE);
    prop_assert_eq!(body.trim(), body);
    Ok(())
}

#[test]
fn proptest_widget_start_bodies() {
    const KEYS: &[&str] = &["name", "email", "message", "client_id"];
    check("widget_start_bodies", 3000, body(KEYS), |(ct, bytes)| {
        let req = request(ct.as_deref(), bytes);
        let parsed = match ready(ApiJson::<StartRequest>::from_request(req, &())) {
            Ok(ApiJson(r)) => r,
            Err(e) => return refusal_ok(&e),
        };
        for s in [&parsed.name, &parsed.email, &parsed.client_id]
            .into_iter()
            .flatten()
            .chain([&parsed.message])
        {
            no_nul(s)?;
        }
        match start_checks(parsed.clone()) {
            Ok((body, name, email)) => {
                checked_body(&body)?;
                if let Some(n) = name {
                    prop_assert!(!n.is_empty() && n.len() <= 100 && n.trim() == n);
                }
                if let Some(e) = email {
                    prop_assert!(e.contains('@') && e.len() <= 254 && e.trim() == e);
                }
                if let Some(c) = parsed.client_id {
                    prop_assert!(!c.is_empty() && c.len() <= 128);
                }
            }
            Err(e) => refusal_ok(&e)?,
        }
        Ok(())
    });
}

#[test]
fn proptest_widget_message_bodies() {
    const KEYS: &[&str] = &["body", "client_id"];
    check("widget_message_bodies", 3000, body(KEYS), |(ct, bytes)| {
        let req = request(ct.as_deref(), bytes);
        let parsed = match ready(ApiJson::<MessageRequest>::from_request(req, &())) {
            Ok(ApiJson(r)) => r,
            Err(e) => return refusal_ok(&e),
        };
        no_nul(&parsed.body)?;
        if let Some(c) = &parsed.client_id {
            no_nul(c)?;
        }
        match check_body(&parsed.body) {
            Ok(body) => {
                checked_body(&body)?;
                match check_client_id(&parsed.client_id) {
                    Ok(()) => {
                        if let Some(c) = &parsed.client_id {
                            prop_assert!(!c.is_empty() && c.len() <= 128);
                        }
                    }
                    Err(e) => refusal_ok(&e)?,
                }
            }
            Err(e) => refusal_ok(&e)?,
        }
        Ok(())
    });
}

/// Fields without NUL, written as JSON, read back as written; the checks
/// refuse exactly what breaks a rule.
#[test]
fn proptest_widget_start_round_trip() {
    let field = || field_text().prop_map(|t| t.replace('\0', ""));
    let strategy = (
        prop::option::of(field()),
        prop::option::of(field()),
        field(),
        prop::option::of(prop_oneof![
            field(),
            (120usize..140).prop_map(|n| "c".repeat(n))
        ]),
    );
    check(
        "widget_start_round_trip",
        3000,
        strategy,
        |(name, email, message, client_id)| {
            let body = json!({
                "name": name,
                "email": email,
                "message": message,
                "client_id": client_id,
            });
            let req = request(
                Some("application/json"),
                serde_json::to_vec(&body).expect("JSON"),
            );
            let parsed = match ready(ApiJson::<StartRequest>::from_request(req, &())) {
                Ok(ApiJson(r)) => r,
                Err(e) => return Err(TestCaseError::fail(format!("refused {body}: {e:?}"))),
            };
            prop_assert_eq!(&parsed.name, &name);
            prop_assert_eq!(&parsed.email, &email);
            prop_assert_eq!(&parsed.message, &message);
            prop_assert_eq!(&parsed.client_id, &client_id);
            let trimmed = |v: &Option<String>| {
                v.as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            let m = message.trim();
            let want_ok = !m.is_empty()
                && m.len() <= MAX_VISITOR_MESSAGE
                && client_id
                    .as_ref()
                    .is_none_or(|c| !c.is_empty() && c.len() <= 128)
                && trimmed(&name).is_none_or(|n| n.len() <= 100)
                && trimmed(&email).is_none_or(|e| e.len() <= 254 && e.contains('@'));
            match start_checks(parsed) {
                Ok((b, n, e)) => {
                    prop_assert!(want_ok, "accepted");
                    prop_assert_eq!(b.as_str(), m);
                    prop_assert_eq!(n, trimmed(&name));
                    prop_assert_eq!(e, trimmed(&email));
                }
                Err(e) => {
                    prop_assert!(!want_ok, "refused: {:?}", e);
                    refusal_ok(&e)?;
                }
            }
            Ok(())
        },
    );
}

#[test]
fn proptest_widget_events_query() {
    let query = prop_oneof![
        "[ -~]{0,30}",
        any::<i64>().prop_map(|n| format!("since={n}")),
        "[0-9-]{0,25}".prop_map(|n| format!("since={n}")),
        text(10).prop_map(|t| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("since", &t)
                .finish()
        }),
    ];
    check("widget_events_query", 3000, query, |q| {
        let Ok(req) = Request::builder()
            .uri(format!("/widget/v1/events?{q}"))
            .body(Body::empty())
        else {
            // Not a URI at all: no request reaches the extractor.
            return Ok(());
        };
        let (mut parts, _) = req.into_parts();
        match ready(ApiQuery::<StreamQuery>::from_request_parts(&mut parts, &())) {
            Ok(ApiQuery(sq)) => {
                let given: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
                    .filter(|(k, _)| k == "since")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                if let Some(since) = sq.since {
                    prop_assert!(given.iter().any(|(_, v)| v.parse::<i64>() == Ok(since)));
                } else {
                    prop_assert!(given.is_empty(), "{:?}", given);
                }
            }
            Err(AppError::BadRequest { code, .. }) => prop_assert_eq!(code, "invalid_query"),
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
        Ok(())
    });
}
