//! `spawn_app`: one real server per test (`switchboard_testkit`: a free
//! port, a fresh database, an admin already logged in), and what only this
//! suite's tests use.

use std::ops::{Deref, DerefMut};
use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;
use switchboard_api::{
    AgentStatus, ClientError, ErrorDetail, Event, EventStream, Message, Session,
};
use switchboard_testkit::TestServer;
pub use switchboard_testkit::{sync_all, ADMIN_EMAIL, PASSWORD};

/// A running server (`switchboard_testkit::TestServer`: `url`, `clock`,
/// `admin`, `client`, `http`, `database_url`, categories, agents,
/// conversations, restarts) with this suite's own helpers beside it.
pub struct TestApp(TestServer);

impl Deref for TestApp {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.0
    }
}

impl DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut TestServer {
        &mut self.0
    }
}

/// A server on a manual clock stopped at `switchboard_testkit::t0()`,
/// background jobs off.
pub async fn spawn_app() -> TestApp {
    TestApp(switchboard_testkit::spawn().await)
}

/// [`spawn_app`] with the config changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut switchboard_server::Config)) -> TestApp {
    TestApp(switchboard_testkit::spawn_with(configure).await)
}

impl TestApp {
    /// Many agents at once, for load tests. Each argon2 hash costs ~0.1 s
    /// here, so instead of `POST /agents` + login per agent (two hashes
    /// each), this writes the accounts through the server's own operations
    /// with one shared password hash and mints their tokens the way login
    /// does. Statuses are then set through the API.
    pub async fn agents_fast(
        &self,
        n: usize,
        categories: &[&str],
        status: impl Fn(usize) -> AgentStatus,
    ) -> Vec<Session> {
        use switchboard_server::{auth, ops, store::op};
        let store = self.server().store();
        let hash = auth::hash_password(PASSWORD.to_owned()).await.unwrap();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let insert = ops::AgentInsert {
                name: format!("Load agent {i:02}"),
                email: format!("load{i}.{}@test.switchboard", self.unique()),
                password_hash: hash.clone(),
                role: switchboard_api::Role::Agent,
                categories: categories.iter().map(|c| c.to_string()).collect(),
                capacity: 5,
                status: AgentStatus::Offline,
            };
            let agent = store
                .write(op(move |tx| {
                    Box::pin(async move { ops::create_agent(tx, insert).await })
                }))
                .await
                .unwrap();
            let token = auth::new_token();
            let token_hash = auth::token_hash(&token);
            let id = agent.id.clone();
            store
                .write(op(move |tx| {
                    Box::pin(async move {
                        ops::create_token(tx, &id, &token_hash, Duration::days(1)).await
                    })
                }))
                .await
                .unwrap();
            let mut s = self.client.resume(&token).await.unwrap();
            let st = status(i);
            if st != AgentStatus::Offline {
                s.agent = s.set_status(st).await.unwrap();
            }
            out.push(s);
        }
        out
    }

    /// `POST /api/v1/conversations/{id}/customer_messages` (admin: the API channel).
    pub async fn customer_message(&self, conversation_id: &str, body: &str) -> Message {
        let resp = self
            .http
            .post(self.api(&format!(
                "/conversations/{conversation_id}/customer_messages"
            )))
            .bearer_auth(self.admin.token())
            .json(&serde_json::json!({ "body": body }))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json().await.expect("message json")
    }
}

/// Asserts the call failed with this status and code, and returns the detail.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(
    r: Result<T, ClientError>,
    status: u16,
    code: &str,
) -> ErrorDetail {
    match r {
        Err(ClientError::Api { status: s, detail }) => {
            assert_eq!(s.as_u16(), status, "status of {detail:?}");
            assert_eq!(detail.code, code, "code of {detail:?}");
            assert!(!detail.message.is_empty(), "a message for people");
            detail
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// Reads a raw response and asserts `{"error": {"code", "message"}}` with this status and code.
pub async fn expect_error_body(resp: reqwest::Response, status: u16, code: &str) -> Value {
    let got = resp.status();
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.expect("body");
    assert_eq!(got.as_u16(), status, "status; body: {text}");
    assert!(
        ctype.starts_with("application/json"),
        "error content type `{ctype}`; body: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let err = v
        .get("error")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no error object: {text}"));
    assert_eq!(
        err.get("code").and_then(Value::as_str),
        Some(code),
        "{text}"
    );
    assert!(
        err.get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty()),
        "{text}"
    );
    v
}

/// The next event of a stream, failing the test instead of hanging forever
/// (a guard, not a timing assertion: 20 s is far beyond any real delay).
pub async fn next_event(stream: &mut EventStream) -> Event {
    match tokio::time::timeout(StdDuration::from_secs(20), stream.next()).await {
        Ok(Some(Ok(e))) => e,
        Ok(Some(Err(e))) => panic!("event stream error: {e}"),
        Ok(None) => panic!("event stream ended"),
        Err(_) => panic!("no event within 20 s"),
    }
}

/// Reads events until one matches, returning everything read (the match last).
pub async fn events_until(
    stream: &mut EventStream,
    mut pred: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let e = next_event(stream).await;
        let done = pred(&e);
        seen.push(e);
        if done {
            return seen;
        }
    }
}

/// The `change` of a `conversation.updated` event.
pub fn change_of(e: &Event) -> Option<&str> {
    e.data.get("change").and_then(Value::as_str)
}

/// The assignee in a conversation event's payload.
pub fn assignee_in(e: &Event) -> Option<&str> {
    e.data
        .get("conversation")
        .and_then(|c| c.get("assignee_id"))
        .and_then(Value::as_str)
}
