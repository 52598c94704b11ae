//! The live-chat widget channel.
//!
//! - `GET /widget.js`: the embeddable script (built from the TypeScript in
//!   the repository's `widget/` directory; the built file is committed at
//!   `crates/server/assets/widget.js` and embedded here). A website adds it
//!   with one `<script src="https://inbox.example.com/widget.js" async>`; the
//!   script talks to the origin it was loaded from.
//! - Visitors: `/widget/v1/…` ([`visitor`]). Starting a conversation returns
//!   a visitor token (random, stored as its SHA-256, bound to that one
//!   conversation); every later call carries it as `Authorization: Bearer`.
//!   Visitors see their own conversation only, and only its customer, agent
//!   and bot messages — never notes, system lines, agent emails or ids.
//! - Live: `GET /widget/v1/events` ([`stream`]) follows the event log of the
//!   visitor's conversation (SSE, resumable with `Last-Event-ID`), mapped to
//!   visitor-safe frames; agents' typing signals
//!   (`POST /api/v1/conversations/{id}/typing`, [`typing`]) are relayed to it
//!   and never stored.
//! - CORS: the visitor endpoints answer any origin, or only
//!   `SWITCHBOARD_WIDGET_ORIGINS`; the agent API sends no CORS headers.
//! - Rate limits ([`limits`]): starts per address, messages per visitor and
//!   per address, bad tokens per address; 429 with `Retry-After`.
//!
//! With the built-in bot on and at least one answer configured, a new
//! visitor talks with the bot first (channel `bot`, not queued until the
//! hand-off); otherwise the conversation enters the queue at once (channel `chat`).

pub mod limits;
pub mod stream;
pub mod typing;
pub mod visitor;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use switchboard_core::ratelimit::FailureLimiter;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bot::BotConfig;
use crate::app::{AppState, MAX_JSON_BODY};
use crate::error::AppError;
use crate::settings::{value, Setting, Settings};

/// The built widget script (see `widget/` at the repository root).
pub const WIDGET_JS: &str = include_str!("../../../assets/widget.js");

/// Widget settings.
#[derive(Clone, Debug)]
pub struct WidgetConfig {
    /// `SWITCHBOARD_WIDGET_ORIGINS`: comma-separated origins
    /// (`https://www.example.com`) allowed to embed the widget; unset or `*`:
    /// any origin.
    pub allowed_origins: Option<Vec<String>>,
    /// `SWITCHBOARD_WIDGET_STARTS_PER_HOUR` (default 20): new conversations per client address.
    pub starts_per_hour: u32,
    /// `SWITCHBOARD_WIDGET_MESSAGES_PER_MINUTE` (default 20): messages per
    /// visitor; five times that per client address.
    pub messages_per_minute: u32,
    /// `SWITCHBOARD_WIDGET_STARTS_PER_MINUTE` (default 120): new
    /// conversations per minute from the whole site, whatever the addresses
    /// (a flood from many addresses cannot fill the queue).
    pub starts_per_minute: u32,
    /// `SWITCHBOARD_WIDGET_VISITOR_IDLE_DAYS` (default 30): a visitor token
    /// stops working after this many days without a message in its
    /// conversation from either side.
    pub visitor_idle_days: u32,
}

impl Default for WidgetConfig {
    fn default() -> Self {
        Self {
            allowed_origins: None,
            starts_per_hour: 20,
            messages_per_minute: 20,
            starts_per_minute: 120,
            visitor_idle_days: 30,
        }
    }
}

impl WidgetConfig {
    /// Reads the `SWITCHBOARD_WIDGET_*` settings (empty ones count as unset).
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let var = |v: &Option<Setting>| value(v).map(str::to_owned);
        let mut c = Self::default();
        if let Some(v) = var(&s.widget_origins) {
            c.allowed_origins = parse_origins(&v)?;
        }
        let num = |name: &str, v: &Option<Setting>, default: u32| -> anyhow::Result<u32> {
            match var(v) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| anyhow::anyhow!("{name} must be a whole number ≥ 1")),
            }
        };
        c.starts_per_hour = num(
            "SWITCHBOARD_WIDGET_STARTS_PER_HOUR",
            &s.widget_starts_per_hour,
            c.starts_per_hour,
        )?;
        c.messages_per_minute = num(
            "SWITCHBOARD_WIDGET_MESSAGES_PER_MINUTE",
            &s.widget_messages_per_minute,
            c.messages_per_minute,
        )?;
        c.starts_per_minute = num(
            "SWITCHBOARD_WIDGET_STARTS_PER_MINUTE",
            &s.widget_starts_per_minute,
            c.starts_per_minute,
        )?;
        c.visitor_idle_days = num(
            "SWITCHBOARD_WIDGET_VISITOR_IDLE_DAYS",
            &s.widget_visitor_idle_days,
            c.visitor_idle_days,
        )?;
        Ok(c)
    }
}

/// `*` → any origin; else a list of `scheme://host[:port]` origins.
pub fn parse_origins(v: &str) -> anyhow::Result<Option<Vec<String>>> {
    let list: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() || list.contains(&"*") {
        return Ok(None);
    }
    let mut out = Vec::new();
    for o in list {
        let u = url::Url::parse(o).map_err(|e| {
            anyhow::anyhow!("SWITCHBOARD_WIDGET_ORIGINS: `{o}` is not an origin: {e}")
        })?;
        if u.host_str().is_none() || !matches!(u.scheme(), "http" | "https") {
            anyhow::bail!("SWITCHBOARD_WIDGET_ORIGINS: `{o}` is not an http(s) origin");
        }
        out.push(u.origin().ascii_serialization());
    }
    Ok(Some(out))
}

/// What the widget's handlers share.
pub struct WidgetState {
    /// Settings.
    pub config: WidgetConfig,
    /// The built-in bot's settings.
    pub bot: BotConfig,
    /// Rate limits.
    pub limits: limits::Limits,
    /// Agents' typing signals, relayed to visitor streams.
    pub typing: typing::TypingHub,
}

impl WidgetState {
    /// State from settings.
    pub fn new(config: WidgetConfig, bot: BotConfig) -> Self {
        let limits = limits::Limits {
            starts_by_address: limits::Bucket::new(
                config.starts_per_hour,
                Duration::from_secs(3600),
            ),
            starts_site_wide: limits::Bucket::new(
                config.starts_per_minute,
                Duration::from_secs(60),
            ),
            messages_by_visitor: limits::Bucket::new(
                config.messages_per_minute,
                Duration::from_secs(60),
            ),
            messages_by_address: limits::Bucket::new(
                config.messages_per_minute.saturating_mul(5),
                Duration::from_secs(60),
            ),
            // 30 bad tokens per address per 15 minutes.
            bad_tokens: Mutex::new(FailureLimiter::new(30, 900)),
        };
        Self {
            config,
            bot,
            limits,
            typing: typing::TypingHub::new(),
        }
    }
}

fn cors(config: &WidgetConfig) -> CorsLayer {
    let origins = match &config.allowed_origins {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(
            list.iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        ),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}

/// Refuses (403) a browser request from an origin that is not allowed, so a
/// site that copied the script tag cannot use the inbox.
async fn check_origin(
    Extension(w): Extension<Arc<WidgetState>>,
    req: Request,
    next: Next,
) -> Response {
    if let (Some(list), Some(origin)) =
        (&w.config.allowed_origins, req.headers().get(header::ORIGIN))
    {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| list.iter().any(|a| a.eq_ignore_ascii_case(o)));
        if !allowed && req.method() != Method::OPTIONS {
            return AppError::forbidden(
                "origin_not_allowed",
                "this website may not use the chat widget (SWITCHBOARD_WIDGET_ORIGINS)",
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// The widget's script, for `<script src=".../widget.js">` on the team's site.
#[utoipa::path(get, path = "/widget.js", tag = "widget",
    responses((status = 200, content_type = "text/javascript", body = String, description = "The widget's script")))]
async fn widget_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

/// `GET /widget.js`, the visitor endpoints under `/widget/v1/…` (with CORS)
/// and the agents' typing signal.
pub fn router(state: AppState, config: WidgetConfig, bot: BotConfig) -> OpenApiRouter {
    let shared = Arc::new(WidgetState::new(config, bot));
    let visitor_api = OpenApiRouter::new()
        .routes(routes!(visitor::start))
        .routes(routes!(visitor::history))
        .routes(routes!(visitor::history_by_id))
        .routes(routes!(visitor::post_message))
        .routes(routes!(visitor::handoff))
        .routes(routes!(visitor::upload))
        .routes(routes!(visitor::download))
        .routes(routes!(stream::events))
        .layer(axum::middleware::from_fn(check_origin))
        .layer(cors(&shared.config));
    OpenApiRouter::new()
        .routes(routes!(widget_js))
        .routes(routes!(typing::agent_typing))
        .merge(visitor_api)
        .layer(Extension(shared))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(state)
}
