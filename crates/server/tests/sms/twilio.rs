//! A local stand-in for Twilio's Messages API, checking each request as
//! Twilio does before accepting it:
//!
//! - HTTP Basic auth must be the account SID and auth token (else 401 with
//!   Twilio's error body, code 20003), and the account in the path must be
//!   that account (else 404, code 20404);
//! - the body must be a form with `To` (21604), `From` (21603) and `Body`
//!   or at least one `MediaUrl` (21602); `From` must be one of the account's
//!   numbers (21606); `Body` at most 1600 characters (21617); each
//!   `MediaUrl` an absolute http(s) URL (21620), at most 10 of them (21623);
//!   a `StatusCallback` must be an absolute http(s) URL (21609);
//! - accepted: 201 with Twilio's message JSON (`sid` `SM…`, `status: queued`).
//!
//! Failures can be queued: the next request gets a 500, or its connection is
//! closed before any answer. Every response says `Connection: close`, so each
//! request comes on a connection of its own.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// What the next request gets instead of a normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A 500 with Twilio's error body.
    Status500,
    /// The connection is closed once the request headers arrived.
    Close,
}

/// A message Twilio accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
    /// The `MediaUrl`s, in order.
    pub media_urls: Vec<String>,
    pub status_callback: Option<String>,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<Accepted>,
    /// (status, Twilio error code) of every refusal.
    refused: Vec<(u16, i64)>,
    failures: VecDeque<Failure>,
    closed: usize,
    failed_500: usize,
    counter: u64,
}

#[derive(Clone)]
struct Account {
    sid: String,
    token: String,
    numbers: Vec<String>,
    inner: Arc<Mutex<Inner>>,
}

/// The running stand-in.
pub struct FakeTwilio {
    pub url: String,
    account: Account,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeTwilio {
    /// Serves the account `sid`/`token` owning `numbers`, on a free port.
    pub async fn start(sid: &str, token: &str, numbers: &[&str]) -> Self {
        let account = Account {
            sid: sid.into(),
            token: token.into(),
            numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
            inner: Arc::new(Mutex::new(Inner::default())),
        };
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message),
            )
            .layer(axum::middleware::map_response(|mut r: Response| async {
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                r
            }))
            .with_state(account.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let flaky = Flaky {
            inner: listener,
            account: account.clone(),
        };
        let task = tokio::spawn(async move {
            let _ = axum::serve(flaky, app).await;
        });
        Self { url, account, task }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.account.inner.lock().expect("lock"))
    }

    /// Queues failures for the next requests, in order.
    pub fn fail_next(&self, failures: &[Failure]) {
        self.with(|i| i.failures.extend(failures.iter().copied()));
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.with(|i| i.accepted.clone())
    }

    pub fn refused(&self) -> Vec<(u16, i64)> {
        self.with(|i| i.refused.clone())
    }

    /// Connections closed without an answer.
    pub fn closed(&self) -> usize {
        self.with(|i| i.closed)
    }

    /// Requests answered with 500.
    pub fn failed_500(&self) -> usize {
        self.with(|i| i.failed_500)
    }
}

/// A listener that drops a connection when a [`Failure::Close`] is due.
struct Flaky {
    inner: TcpListener,
    account: Account,
}

impl axum::serve::Listener for Flaky {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Ok((stream, addr)) = self.inner.accept().await else {
                continue;
            };
            let close = {
                let mut inner = self.account.inner.lock().expect("lock");
                if inner.failures.front() == Some(&Failure::Close) {
                    inner.failures.pop_front();
                    inner.closed += 1;
                    true
                } else {
                    false
                }
            };
            if !close {
                return (stream, addr);
            }
            tokio::spawn(async move {
                // Take the request's head, then hang up without a word.
                let mut stream = stream;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                drop(stream);
            });
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

fn error(account: &Account, status: StatusCode, code: i64, message: &str) -> Response {
    account
        .inner
        .lock()
        .expect("lock")
        .refused
        .push((status.as_u16(), code));
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

async fn create_message(
    State(account): State<Account>,
    Path(path_account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let due = account.inner.lock().expect("lock").failures.pop_front();
    if due == Some(Failure::Status500) {
        account.inner.lock().expect("lock").failed_500 += 1;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"code": 20500, "message": "Internal Server Error", "status": 500})),
        )
            .into_response();
    }
    // Basic auth: AccountSid:AuthToken.
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", account.sid, account.token))
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return error(&account, StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if path_account != account.sid {
        return error(
            &account,
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21602,
            "Message body is required.",
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let Some(to) = field("To") else {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    let Some(from) = field("From") else {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' phone number is required.",
        );
    };
    let media_urls: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "MediaUrl")
        .map(|(_, v)| v.clone())
        .collect();
    let text = field("Body").unwrap_or_default();
    if text.is_empty() && media_urls.is_empty() {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21602,
            "Message body is required.",
        );
    }
    if media_urls.len() > 10 {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21623,
            "Number of media files exceeds allowed limit.",
        );
    }
    let absolute = |u: &str| {
        url::Url::parse(u)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
    };
    if media_urls.iter().any(|u| !absolute(u)) {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21620,
            "Invalid media URL(s).",
        );
    }
    if !account.numbers.contains(&from) {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21606,
            "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account.",
        );
    }
    if text.chars().count() > 1600 {
        return error(
            &account,
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    let status_callback = field("StatusCallback");
    if let Some(cb) = &status_callback {
        let ok = url::Url::parse(cb).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return error(
                &account,
                StatusCode::BAD_REQUEST,
                21609,
                "Invalid StatusCallback URL.",
            );
        }
    }
    let sid = {
        let mut inner = account.inner.lock().expect("lock");
        inner.counter += 1;
        let sid = format!("SM{:032x}", inner.counter);
        inner.accepted.push(Accepted {
            sid: sid.clone(),
            to: to.clone(),
            from: from.clone(),
            body: text.clone(),
            media_urls: media_urls.clone(),
            status_callback,
        });
        sid
    };
    let answer: Value = json!({
        "account_sid": account.sid,
        "api_version": "2010-04-01",
        "body": text,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": from,
        "num_media": media_urls.len().to_string(),
        "num_segments": "1",
        "sid": sid,
        "status": "queued",
        "to": to,
        "uri": format!("/2010-04-01/Accounts/{}/Messages/{sid}.json", account.sid),
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}
