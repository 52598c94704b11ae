//! A typed async client for `/api/v1`, built on reqwest.

use std::pin::Pin;

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::*;

mod customers;
mod presence;
mod snooze;
mod tags;

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{status}: {} ({})", .detail.message, .detail.code)]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The error body.
        detail: ErrorDetail,
    },
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered something that is not the expected JSON.
    #[error("unexpected answer from the server ({status}): {message}")]
    Decode {
        /// HTTP status.
        status: StatusCode,
        /// What failed.
        message: String,
    },
    /// The base URL is not usable.
    #[error("invalid server address `{0}`")]
    InvalidUrl(String),
}

impl ClientError {
    /// The API error code, if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { detail, .. } => Some(&detail.code),
            _ => None,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Decode { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status(),
            ClientError::InvalidUrl(_) => None,
        }
    }
}

/// An unauthenticated client for one server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        Self::with_http(http, base)
    }

    /// A client sharing an existing reqwest client (connection pool).
    pub fn with_http(http: reqwest::Client, base: &str) -> Result<Self, ClientError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::InvalidUrl(base));
        }
        Ok(Self { http, base })
    }

    /// The server's base address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /api/v1/auth/login`, returning a session holding the token.
    pub async fn login(&self, email: &str, password: &str) -> Result<Session, ClientError> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        let resp: LoginResponse =
            send(self.http.post(self.url("/api/v1/auth/login")).json(&body)).await?;
        Ok(Session {
            client: self.clone(),
            token: resp.token,
            agent: resp.agent,
        })
    }

    /// `POST /api/v1/auth/login`, returning the raw answer.
    pub async fn login_raw(
        &self,
        email: &str,
        password: &str,
    ) -> Result<LoginResponse, ClientError> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        send(self.http.post(self.url("/api/v1/auth/login")).json(&body)).await
    }

    /// `GET /api/v1/health` (no auth).
    pub async fn health(&self) -> Result<Health, ClientError> {
        send(self.http.get(self.url("/api/v1/health"))).await
    }

    /// A session from a token saved earlier (checked with `GET /api/v1/me`).
    pub async fn resume(&self, token: &str) -> Result<Session, ClientError> {
        let mut s = Session {
            client: self.clone(),
            token: token.to_owned(),
            agent: placeholder_agent(),
        };
        s.agent = s.me().await?;
        Ok(s)
    }

    /// A session from a saved token and the agent as last known, without
    /// asking the server (which may be unreachable): for starting offline
    /// from a local cache. The first request that needs the server tells
    /// whether the token is still good.
    pub fn session(&self, token: &str, agent: Agent) -> Session {
        Session {
            client: self.clone(),
            token: token.to_owned(),
            agent,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

fn placeholder_agent() -> Agent {
    Agent {
        id: String::new(),
        name: String::new(),
        email: String::new(),
        role: Role::Agent,
        status: AgentStatus::Offline,
        categories: vec![],
        capacity: 0,
        open_conversations: 0,
    }
}

async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, ClientError> {
    let resp = req.send().await?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            status,
            message: e.to_string(),
        })
    } else {
        Err(error_of(status, &bytes))
    }
}

/// Sends a request whose success has no body (`204 No Content`).
async fn send_no_content(req: RequestBuilder) -> Result<(), ClientError> {
    let resp = req.send().await?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let bytes = resp.bytes().await?;
    Err(error_of(status, &bytes))
}

/// The error an unsuccessful answer carries.
fn error_of(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ClientError::Api {
            status,
            detail: body.error,
        },
        Err(_) => ClientError::Decode {
            status,
            message: String::from_utf8_lossy(bytes).chars().take(200).collect(),
        },
    }
}

/// An authenticated session: a client plus a bearer token.
#[derive(Debug, Clone)]
pub struct Session {
    client: Client,
    token: String,
    /// The agent as of login (refresh with [`Session::me`]).
    pub agent: Agent,
}

impl Session {
    /// The bearer token (save it in the keychain, never in the clear).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .http
            .request(method, self.client.url(path))
            .bearer_auth(&self.token)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        send(self.req(Method::GET, path)).await
    }

    async fn with_body<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        send(self.req(method, path).json(body)).await
    }

    async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        send(self.req(Method::POST, path)).await
    }

    /// `POST /api/v1/auth/logout`: revokes this token.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let _: serde_json::Value = self.post_empty("/api/v1/auth/logout").await?;
        Ok(())
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Result<Agent, ClientError> {
        self.get("/api/v1/me").await
    }

    /// `PUT /api/v1/me/status`.
    pub async fn set_status(&self, status: AgentStatus) -> Result<Agent, ClientError> {
        self.with_body(Method::PUT, "/api/v1/me/status", &StatusUpdate { status })
            .await
    }

    /// `GET /api/v1/agents`.
    pub async fn agents(&self) -> Result<Vec<Agent>, ClientError> {
        self.get("/api/v1/agents").await
    }

    /// `POST /api/v1/agents` (admin).
    pub async fn create_agent(&self, agent: &NewAgent) -> Result<Agent, ClientError> {
        self.with_body(Method::POST, "/api/v1/agents", agent).await
    }

    /// `PATCH /api/v1/agents/{id}` (admin).
    pub async fn patch_agent(&self, id: &str, patch: &AgentPatch) -> Result<Agent, ClientError> {
        self.with_body(Method::PATCH, &format!("/api/v1/agents/{}", enc(id)), patch)
            .await
    }

    /// `GET /api/v1/categories`.
    pub async fn categories(&self) -> Result<Vec<Category>, ClientError> {
        self.get("/api/v1/categories").await
    }

    /// `POST /api/v1/categories` (admin).
    pub async fn create_category(&self, c: &NewCategory) -> Result<Category, ClientError> {
        self.with_body(Method::POST, "/api/v1/categories", c).await
    }

    /// `PATCH /api/v1/categories/{id}` (admin).
    pub async fn patch_category(
        &self,
        id: &str,
        patch: &CategoryPatch,
    ) -> Result<Category, ClientError> {
        self.with_body(
            Method::PATCH,
            &format!("/api/v1/categories/{}", enc(id)),
            patch,
        )
        .await
    }

    /// `POST /api/v1/conversations`: the API channel.
    pub async fn create_conversation(
        &self,
        c: &NewConversation,
    ) -> Result<Conversation, ClientError> {
        self.with_body(Method::POST, "/api/v1/conversations", c)
            .await
    }

    /// `GET /api/v1/conversations?view=…`.
    pub async fn conversations(&self, view: View) -> Result<Vec<ConversationSummary>, ClientError> {
        self.get(&format!("/api/v1/conversations?view={}", view.as_str()))
            .await
    }

    /// `GET /api/v1/conversations/{id}`.
    pub async fn conversation(&self, id: &str) -> Result<Conversation, ClientError> {
        self.get(&format!("/api/v1/conversations/{}", enc(id)))
            .await
    }

    /// `POST /api/v1/conversations/{id}/claim`.
    pub async fn claim(&self, id: &str) -> Result<ConversationSummary, ClientError> {
        self.post_empty(&format!("/api/v1/conversations/{}/claim", enc(id)))
            .await
    }

    /// `POST /api/v1/conversations/{id}/messages`.
    pub async fn post_message(&self, id: &str, m: &NewMessage) -> Result<Message, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/conversations/{}/messages", enc(id)),
            m,
        )
        .await
    }

    /// A public reply (no idempotency key).
    pub async fn reply(&self, id: &str, body: &str) -> Result<Message, ClientError> {
        self.post_message(
            id,
            &NewMessage {
                body: body.to_owned(),
                internal: false,
                client_id: None,
                attachment_ids: Vec::new(),
            },
        )
        .await
    }

    /// `POST /api/v1/uploads?filename=…`: stores a file to attach to a
    /// reply. The body is sent as given (the server streams it to storage).
    pub async fn upload(
        &self,
        filename: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<Upload, ClientError> {
        send(
            self.req(Method::POST, "/api/v1/uploads")
                .query(&[("filename", filename)])
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(body),
        )
        .await
    }

    /// A public reply with uploads attached (no idempotency key).
    pub async fn reply_with(
        &self,
        id: &str,
        body: &str,
        attachment_ids: &[&str],
    ) -> Result<Message, ClientError> {
        self.post_message(
            id,
            &NewMessage {
                body: body.to_owned(),
                internal: false,
                client_id: None,
                attachment_ids: attachment_ids.iter().map(|a| (*a).to_owned()).collect(),
            },
        )
        .await
    }

    /// `GET /api/v1/attachments/{id}`: a file's bytes.
    pub async fn download(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        let resp = self
            .req(Method::GET, &format!("/api/v1/attachments/{}", enc(id)))
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if status.is_success() {
            Ok(bytes.to_vec())
        } else {
            Err(error_of(status, &bytes))
        }
    }

    /// An internal note (no idempotency key).
    pub async fn note(&self, id: &str, body: &str) -> Result<Message, ClientError> {
        self.post_message(
            id,
            &NewMessage {
                body: body.to_owned(),
                internal: true,
                client_id: None,
                attachment_ids: Vec::new(),
            },
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/customer_messages`: a further message
    /// from the customer through the API channel (admins and integrators).
    pub async fn customer_message(&self, id: &str, body: &str) -> Result<Message, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/conversations/{}/customer_messages", enc(id)),
            &serde_json::json!({ "body": body }),
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/transfer`.
    pub async fn transfer(
        &self,
        id: &str,
        t: &TransferRequest,
    ) -> Result<ConversationSummary, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/conversations/{}/transfer", enc(id)),
            t,
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/resolve`.
    pub async fn resolve(&self, id: &str) -> Result<ConversationSummary, ClientError> {
        self.post_empty(&format!("/api/v1/conversations/{}/resolve", enc(id)))
            .await
    }

    /// `POST /api/v1/conversations/{id}/reopen`.
    pub async fn reopen(&self, id: &str) -> Result<ConversationSummary, ClientError> {
        self.post_empty(&format!("/api/v1/conversations/{}/reopen", enc(id)))
            .await
    }

    /// `PATCH /api/v1/conversations/{id}`: re-categorize.
    pub async fn recategorize(
        &self,
        id: &str,
        category_id: &str,
    ) -> Result<ConversationSummary, ClientError> {
        let body = ConversationPatch {
            category_id: category_id.to_owned(),
        };
        self.with_body(
            Method::PATCH,
            &format!("/api/v1/conversations/{}", enc(id)),
            &body,
        )
        .await
    }

    /// `GET /api/v1/classifier`: the learned categorizer's state.
    pub async fn classifier(&self) -> Result<crate::ClassifierStatus, ClientError> {
        self.get("/api/v1/classifier").await
    }

    /// `POST /api/v1/classifier/train` (admin): train now on the labelled conversations.
    pub async fn train_classifier(&self) -> Result<crate::ClassifierStatus, ClientError> {
        self.post_empty("/api/v1/classifier/train").await
    }

    /// `GET /api/v1/saved_replies`: the team's replies and the caller's own.
    pub async fn saved_replies(&self) -> Result<Vec<SavedReply>, ClientError> {
        self.get("/api/v1/saved_replies").await
    }

    /// `GET /api/v1/saved_replies/{id}`.
    pub async fn saved_reply(&self, id: &str) -> Result<SavedReply, ClientError> {
        self.get(&format!("/api/v1/saved_replies/{}", enc(id)))
            .await
    }

    /// `POST /api/v1/saved_replies` (team replies: admins).
    pub async fn create_saved_reply(&self, r: &NewSavedReply) -> Result<SavedReply, ClientError> {
        self.with_body(Method::POST, "/api/v1/saved_replies", r)
            .await
    }

    /// `PATCH /api/v1/saved_replies/{id}`.
    pub async fn patch_saved_reply(
        &self,
        id: &str,
        patch: &SavedReplyPatch,
    ) -> Result<SavedReply, ClientError> {
        self.with_body(
            Method::PATCH,
            &format!("/api/v1/saved_replies/{}", enc(id)),
            patch,
        )
        .await
    }

    /// `DELETE /api/v1/saved_replies/{id}`.
    pub async fn delete_saved_reply(&self, id: &str) -> Result<(), ClientError> {
        send_no_content(self.req(
            Method::DELETE,
            &format!("/api/v1/saved_replies/{}", enc(id)),
        ))
        .await
    }

    /// `POST /api/v1/conversations/{id}/saved_replies/{reply_id}/fill`: the
    /// reply filled in for this conversation (and recorded as a use).
    pub async fn fill_saved_reply(
        &self,
        conversation_id: &str,
        reply_id: &str,
    ) -> Result<FilledReply, ClientError> {
        self.post_empty(&format!(
            "/api/v1/conversations/{}/saved_replies/{}/fill",
            enc(conversation_id),
            enc(reply_id)
        ))
        .await
    }

    /// `GET /api/v1/sync?since=…&limit=…`.
    pub async fn sync(&self, since: i64, limit: u32) -> Result<SyncPage, ClientError> {
        self.get(&format!("/api/v1/sync?since={since}&limit={limit}"))
            .await
    }

    /// `GET /api/v1/sync/snapshot?part=…&after=…&limit=…`.
    pub async fn snapshot(
        &self,
        part: SnapshotPart,
        after: Option<&str>,
        limit: u32,
    ) -> Result<SnapshotPage, ClientError> {
        let mut path = format!("/api/v1/sync/snapshot?part={}&limit={limit}", part.as_str());
        if let Some(after) = after {
            path.push_str("&after=");
            path.push_str(&enc(after));
        }
        self.get(&path).await
    }

    /// `GET /api/v1/search?q=…`: conversations found by a word in them.
    pub async fn search(&self, q: &crate::SearchQuery) -> Result<crate::SearchPage, ClientError> {
        send(self.req(Method::GET, "/api/v1/search").query(q)).await
    }

    /// `GET /api/v1/metrics?from=…&to=…`.
    pub async fn metrics(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Metrics, ClientError> {
        let mut q = vec![];
        if let Some(f) = from {
            q.push(("from", f.to_rfc3339()));
        }
        if let Some(t) = to {
            q.push(("to", t.to_rfc3339()));
        }
        send(self.req(Method::GET, "/api/v1/metrics").query(&q)).await
    }

    /// `GET /api/v1/events`, resuming after `last_event_id` when given.
    pub async fn events(&self, last_event_id: Option<i64>) -> Result<EventStream, ClientError> {
        let mut req = self
            .req(Method::GET, "/api/v1/events")
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await?;
        let status = resp.status();
        if !status.is_success() {
            let bytes = resp.bytes().await?;
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => ClientError::Api {
                    status,
                    detail: b.error,
                },
                Err(e) => ClientError::Decode {
                    status,
                    message: e.to_string(),
                },
            });
        }
        use eventsource_stream::Eventsource;
        let stream = resp
            .bytes_stream()
            .eventsource()
            .filter_map(|item| async move {
                let decode = |e: serde_json::Error| ClientError::Decode {
                    status: StatusCode::OK,
                    message: e.to_string(),
                };
                match item {
                    Ok(ev) if ev.event == "message" || ev.event.is_empty() => Some(
                        serde_json::from_str::<Event>(&ev.data)
                            .map(StreamItem::Event)
                            .map_err(decode),
                    ),
                    Ok(ev) if ev.event == "presence" => Some(
                        serde_json::from_str::<Presence>(&ev.data)
                            .map(StreamItem::Presence)
                            .map_err(decode),
                    ),
                    Ok(_) => None,
                    Err(e) => Some(Err(ClientError::Decode {
                        status: StatusCode::OK,
                        message: format!("event stream broke: {e}"),
                    })),
                }
            });
        Ok(EventStream {
            inner: Box::pin(stream),
        })
    }
}

fn enc(id: &str) -> String {
    // Ids are server-made; escape anything that could change the path anyway.
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32 & 0xff)
            }
        })
        .collect()
}

/// Events from `GET /api/v1/events`, in `seq` order.
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = Result<StreamItem, ClientError>> + Send>>,
}

/// What the event stream carries: the log's events, and presence frames
/// (never in the log).
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// An event of the log.
    Event(Event),
    /// Who is looking at or writing in a conversation (`event: presence`).
    Presence(Presence),
}

impl EventStream {
    /// The next event of the log (presence frames skipped); `None` when
    /// the server closed the stream.
    pub async fn next(&mut self) -> Option<Result<Event, ClientError>> {
        loop {
            match self.inner.next().await? {
                Ok(StreamItem::Presence(_)) => continue,
                Ok(StreamItem::Event(e)) => return Some(Ok(e)),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The next event or presence frame; `None` when the server closed the
    /// stream.
    pub async fn next_item(&mut self) -> Option<Result<StreamItem, ClientError>> {
        self.inner.next().await
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStream")
    }
}
