//! A real server with the widget and bot configured (`switchboard_testkit`),
//! a visitor client over raw HTTP, and a small SSE reader for the visitor
//! stream.

#![allow(dead_code)]

use std::ops::Deref;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use switchboard_api::Session;
use switchboard_server::channels::bot::BotConfig;
use switchboard_server::channels::widget::WidgetConfig;
use switchboard_testkit::TestServer;

pub const BOT_TOKEN: &str = "bot-token-for-tests-0123456789";

/// A running server (`url`, `clock`, `admin`, `client`, `http`, `advance`
/// of the testkit's server).
pub struct App(TestServer);

impl Deref for App {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.0
    }
}

/// Settings of a test server.
pub struct Setup {
    pub widget: WidgetConfig,
    pub bot: BotConfig,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            widget: WidgetConfig {
                // Generous: most tests are not about limits.
                starts_per_hour: 1000,
                messages_per_minute: 1000,
                ..WidgetConfig::default()
            },
            bot: BotConfig {
                token: Some(BOT_TOKEN.into()),
                ..BotConfig::default()
            },
        }
    }
}

pub async fn spawn() -> App {
    spawn_with(Setup::default()).await
}

/// A server on the testkit's manual clock stopped at `t0`, background jobs off.
pub async fn spawn_with(setup: Setup) -> App {
    App(switchboard_testkit::spawn_with(|c| {
        c.widget = setup.widget;
        c.bot = setup.bot;
    })
    .await)
}

/// A response's status and JSON body.
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

pub async fn read(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

impl App {
    /// An available agent in `general`, logged in.
    pub async fn agent(&self, name: &str) -> Session {
        let email = format!(
            "{}@test.switchboard",
            name.split_whitespace().next().unwrap().to_lowercase()
        );
        self.available_in_general(name, &email).await
    }

    /// A request with an optional bearer token.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.expect("request")).await
    }

    /// Adds a bot answer as the admin.
    pub async fn answer(&self, questions: &[&str], answer: &str) -> Value {
        let r = self
            .call(
                reqwest::Method::POST,
                "/api/v1/bot/answers",
                Some(self.admin.token()),
                Some(json!({"questions": questions, "answer": answer})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    /// Starts a visitor conversation; returns (token, conversation).
    pub async fn visitor(&self, message: &str) -> (String, Value) {
        let r = self
            .call(
                reqwest::Method::POST,
                "/widget/v1/conversations",
                None,
                Some(json!({"message": message, "name": "Vera Visitor"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        (
            r.body["visitor_token"].as_str().unwrap().to_owned(),
            r.body["conversation"].clone(),
        )
    }

    /// A visitor message.
    pub async fn say(&self, token: &str, body: &str) -> Resp {
        self.call(
            reqwest::Method::POST,
            "/widget/v1/messages",
            Some(token),
            Some(json!({ "body": body })),
        )
        .await
    }

    pub async fn history(&self, token: &str) -> Resp {
        self.call(
            reqwest::Method::GET,
            "/widget/v1/conversation",
            Some(token),
            None,
        )
        .await
    }

    /// Opens the visitor stream.
    pub async fn stream(&self, token: &str, last_event_id: Option<i64>) -> Sse {
        let mut req = self
            .http
            .get(format!("{}/widget/v1/events", self.url))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.expect("stream");
        assert_eq!(resp.status().as_u16(), 200);
        Sse {
            body: Box::pin(resp.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            buf: String::new(),
        }
    }
}

type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>;

/// Reads `id:`/`data:` frames of a server-sent event stream.
pub struct Sse {
    body: ByteStream,
    buf: String,
}

/// One frame: its id (if any) and its JSON data.
#[derive(Debug, Clone)]
pub struct Frame {
    pub id: Option<i64>,
    pub data: Value,
}

impl Sse {
    /// The next frame with data, or `None` when nothing comes within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some(Frame {
                    id,
                    data: serde_json::from_str(&data).expect("frame JSON"),
                });
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await;
            match chunk {
                Ok(Some(Ok(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Frames until one matches `pred` (panics after `wait` without one).
    pub async fn until(
        &mut self,
        wait: Duration,
        pred: impl Fn(&Frame) -> bool,
    ) -> (Frame, Vec<Frame>) {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(f) if pred(&f) => return (f, seen),
                Some(f) => seen.push(f),
                None => panic!("no matching frame within {wait:?}; saw {seen:?}"),
            }
        }
    }
}
