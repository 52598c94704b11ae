//! The HTTP API: router, shared state and extractors.
//!
//! Every rejection (bad JSON, bad path, bad query, body too large, unknown
//! route) is rendered in the one JSON error shape of [`AppError`].

mod agents;
mod auth;
mod categories;
mod classifier;
mod conversations;
mod events;
mod metrics;
pub mod openapi;

use std::sync::{Arc, Mutex, RwLock};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::{get, patch, post, put};
use axum::Router;
use serde::de::DeserializeOwned;
use sqlx::Row;
use switchboard_core::categorize::Categorizer;
use switchboard_core::ratelimit::FailureLimiter;
use switchboard_core::{AgentStatus, Role};

use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::rows;
use crate::store::Store;

/// JSON request bodies larger than this get 413.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    categorizer: Arc<RwLock<Option<Arc<Categorizer>>>>,
    /// This instance's copy of the learned classifier.
    pub classifier: crate::classifier::ModelCache,
    limits: Arc<Mutex<Limits>>,
    trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Claims being decided right now, by conversation (see `conversations::claim`).
    pub(crate) claims_in_flight: Arc<Mutex<std::collections::HashMap<String, ClaimWatch>>>,
}

/// The outcome of an in-flight claim: `Some(winner)` once decided (`None`
/// inside when it was refused for reasons of its own).
pub(crate) type ClaimWatch = tokio::sync::watch::Receiver<Option<Option<String>>>;

struct Limits {
    by_account: FailureLimiter,
    by_address: FailureLimiter,
}

impl AppState {
    /// State over a store.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            categorizer: Arc::new(RwLock::new(None)),
            classifier: crate::classifier::ModelCache::new(Default::default()),
            limits: Arc::new(Mutex::new(Limits {
                // 10 failures per account and 30 per address per 15 minutes.
                by_account: FailureLimiter::new(10, 900),
                by_address: FailureLimiter::new(30, 900),
            })),
            trusted_proxies: Arc::new(Vec::new()),
            claims_in_flight: Arc::new(Mutex::new(std::collections::HashMap::new())),
        }
    }

    /// Uses these classifier settings.
    pub fn with_classifier(mut self, config: crate::classifier::ClassifierConfig) -> Self {
        self.classifier = crate::classifier::ModelCache::new(config);
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = Arc::new(proxies);
        self
    }

    /// The client's address: the peer, or — when the peer is a trusted proxy —
    /// the rightmost `X-Forwarded-For` hop that is not a trusted proxy.
    pub fn client_address(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let hops: Vec<std::net::IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        hops.into_iter()
            .rev()
            .find(|ip| !self.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }

    /// The categorizer for new conversations: the compiled keyword rules
    /// (rebuilt after categories change) with the learned classifier behind
    /// them when a model exists.
    pub async fn categorizer(&self) -> AppResult<Arc<Categorizer>> {
        let rules = self.rules().await?;
        Ok(match self.classifier.learned(self.store.reader()).await {
            Some((learned, min)) => Arc::new(rules.with_learned(learned, min)),
            None => rules,
        })
    }

    async fn rules(&self) -> AppResult<Arc<Categorizer>> {
        if let Ok(guard) = self.categorizer.read() {
            if let Some(c) = guard.as_ref() {
                return Ok(c.clone());
            }
        }
        let mut conn = self.store.reader().acquire().await?;
        let cats = rows::categories(&mut conn).await?;
        let built = Categorizer::new(
            cats.into_iter()
                .map(|c| (c.category.id, c.category.keywords)),
        )
        .map_err(|e| AppError::Internal(format!("stored rule invalid: {e}")))?;
        let built = Arc::new(built);
        if let Ok(mut guard) = self.categorizer.write() {
            *guard = Some(built.clone());
        }
        Ok(built)
    }

    /// Forgets the compiled rules.
    pub fn invalidate_categorizer(&self) {
        if let Ok(mut guard) = self.categorizer.write() {
            *guard = None;
        }
    }
}

/// The router of the whole API.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(auth::health))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/me/status", put(auth::set_status))
        .route("/agents", get(agents::list).post(agents::create))
        .route("/agents/{id}", patch(agents::update))
        .route(
            "/categories",
            get(categories::list).post(categories::create),
        )
        .route("/categories/{id}", patch(categories::update))
        .route(
            "/conversations",
            get(conversations::list).post(conversations::create),
        )
        .route(
            "/conversations/{id}",
            get(conversations::get_one).patch(conversations::recategorize),
        )
        .route("/conversations/{id}/claim", post(conversations::claim))
        .route(
            "/conversations/{id}/messages",
            post(conversations::post_message),
        )
        .route(
            "/conversations/{id}/customer_messages",
            post(conversations::customer_message),
        )
        .route(
            "/conversations/{id}/transfer",
            post(conversations::transfer),
        )
        .route("/conversations/{id}/resolve", post(conversations::resolve))
        .route("/conversations/{id}/reopen", post(conversations::reopen))
        .route("/classifier", get(classifier::status))
        .route("/classifier/train", post(classifier::train))
        .route("/sync", get(events::sync))
        .route("/events", get(events::stream))
        .route("/metrics", get(metrics::metrics))
        // Channel hook: inbound email attachments.
        .route(
            "/attachments/{id}",
            get(crate::channels::email::attachments::download),
        )
        .route("/openapi.json", get(openapi::spec));
    Router::new()
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// A handler panic becomes a 500 in the usual error shape (never a dropped connection).
fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    AppError::Internal("a request handler panicked".into()).into_response()
}

async fn not_found() -> AppError {
    AppError::NotFound("route")
}

async fn method_not_allowed() -> (StatusCode, axum::Json<switchboard_api::ErrorBody>) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(switchboard_api::ErrorBody {
            error: switchboard_api::ErrorDetail {
                code: "method_not_allowed".into(),
                message: "this method is not allowed on this path".into(),
                conversation_id: None,
                assignee_id: None,
                retry_after_secs: None,
            },
        }),
    )
}

/// A JSON body whose rejections become [`AppError`]s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_guess_free::Essence>().ok())
            .is_some_and(|m| m.is_json());
        if !json_type {
            return Err(AppError::bad_request(
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge(MAX_JSON_BODY)
                } else {
                    AppError::bad_request("invalid_body", rej.body_text())
                }
            })?;
        // NUL cannot be stored as text by every backend and never belongs in
        // support text: refuse it clearly instead of failing later.
        if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
            return Err(AppError::invalid(
                "invalid_text",
                "text may not contain NUL characters (\\u0000)",
            ));
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(json_rejection)
    }
}

/// `Content-Type` essence check without pulling in a MIME crate: `application/json`
/// or any `application/*+json`, parameters ignored.
mod mime_guess_free {
    pub struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            Ok(Essence(
                s.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase(),
            ))
        }
    }

    impl Essence {
        pub fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    match &rej {
        JsonRejection::JsonDataError(e) => AppError::invalid("invalid_body", e.body_text()),
        JsonRejection::JsonSyntaxError(e) => AppError::bad_request("malformed_json", e.body_text()),
        JsonRejection::MissingJsonContentType(_) => AppError::bad_request(
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(_) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::TooLarge(MAX_JSON_BODY)
        }
        _ if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(MAX_JSON_BODY),
        _ => AppError::bad_request("invalid_body", rej.body_text()),
    }
}

/// A path parameter whose rejection becomes a 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // No id contains control characters: such a path names nothing.
        if parts.uri.path().contains("%00") || parts.uri.path().chars().any(char::is_control) {
            return Err(AppError::NotFound("resource"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| AppError::bad_request("invalid_path", e.body_text()))
    }
}

/// A query string whose rejection becomes a 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| AppError::bad_request("invalid_query", e.body_text()))
    }
}

/// The authenticated caller: `Authorization: Bearer <token>`.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::Unauthorized("missing bearer token; log in first"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(AppError::Unauthorized(
                "malformed Authorization header; use `Bearer <token>`",
            ))?;
        caller_for_token(state, token).await.map(Auth)
    }
}

/// Looks up the live account behind a token: from this instance's
/// [`crate::caller::CallerCache`] when it has it, else from the database.
pub async fn caller_for_token(state: &AppState, token: &str) -> AppResult<Caller> {
    let hash = crate::auth::token_hash(token);
    let cache = state.store.hub().callers();
    if let Some(caller) = cache.get(&hash, state.store.now().timestamp_millis()) {
        return Ok(caller);
    }
    let generation = cache.generation();
    let (caller, expires_at) = load_caller(state, hash).await?;
    cache.put(generation, caller.clone(), expires_at);
    Ok(caller)
}

/// Reads the account behind a token hash from the database, refusing a
/// revoked or expired session; with the session's expiry.
pub async fn load_caller(state: &AppState, hash: String) -> AppResult<(Caller, i64)> {
    let mut conn = state.store.reader().acquire().await?;
    let row = sqlx::query(
        "SELECT a.id, a.name, a.role, a.status, t.expires_at, t.revoked_at FROM tokens t JOIN agents a ON a.id = t.agent_id WHERE t.hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::Unauthorized("invalid token; log in again"))?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    if revoked_at.is_some() {
        return Err(AppError::Unauthorized(
            "this session was logged out; log in again",
        ));
    }
    if expires_at <= state.store.now().timestamp_millis() {
        return Err(AppError::Unauthorized("this session expired; log in again"));
    }
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    let categories = rows::agent_categories(&mut conn, &id).await?;
    let caller = Caller {
        name: row.try_get("name")?,
        role: Role::parse(&role).map_err(|e| AppError::Internal(e.to_string()))?,
        status: AgentStatus::parse(&status).map_err(|e| AppError::Internal(e.to_string()))?,
        categories,
        token_hash: hash,
        id,
    };
    Ok((caller, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn state(proxies: Vec<std::net::IpAddr>) -> AppState {
        let dir = std::env::temp_dir().join(format!("sb-addr-{}", crate::ops::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = Store::open(&url, crate::Clock::system()).await.unwrap();
        AppState::new(store).with_trusted_proxies(proxies)
    }

    #[tokio::test]
    async fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "10.9.9.9, 203.0.113.7".parse().unwrap());
        let trusting = state(vec![proxy]).await;
        assert_eq!(
            trusting.client_address(proxy, &h),
            "203.0.113.7".parse::<std::net::IpAddr>().unwrap()
        );
        let other: std::net::IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            trusting.client_address(other, &h),
            other,
            "an untrusted peer cannot spoof"
        );
        let plain = state(vec![]).await;
        assert_eq!(plain.client_address(proxy, &h), proxy);
        let empty = axum::http::HeaderMap::new();
        assert_eq!(trusting.client_address(proxy, &empty), proxy);
    }
}
