//! The chatbot channel.
//!
//! - The built-in bot answers widget visitors first, from the questions and
//!   answers admins keep at `/api/v1/bot/answers` ([`answers`]); the matching
//!   and the hand-off decision are `switchboard_core::bot`. While it talks,
//!   the visitor's conversation is not in the queue (it lives in the widget's
//!   session tables); the hand-off creates the conversation, channel `bot`,
//!   with the whole transcript, and its first response time counts from then.
//! - External bots hand a conversation over at `POST /api/v1/bot/handoff`
//!   with the bot token ([`handoff`]).

pub mod answers;
pub mod handoff;

use crate::settings::{value, Setting, Settings};
use switchboard_core::bot::BotSettings;

/// Chatbot settings.
#[derive(Clone)]
pub struct BotConfig {
    /// `SWITCHBOARD_BOT_ENABLED` (default on): the built-in bot answers
    /// widget visitors first when at least one answer is configured.
    pub enabled: bool,
    /// `SWITCHBOARD_BOT_NAME` (default `Bot`): how its messages are signed.
    pub name: String,
    /// `SWITCHBOARD_BOT_TOKEN`: the bearer token of external bots' hand-offs
    /// (unset: the hand-off endpoint refuses everything).
    pub token: Option<String>,
    /// `SWITCHBOARD_BOT_MIN_SCORE` (default 0.5) and
    /// `SWITCHBOARD_BOT_MAX_UNANSWERED` (default 2).
    pub settings: BotSettings,
}

impl Default for BotConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            name: "Bot".into(),
            token: None,
            settings: BotSettings::default(),
        }
    }
}

impl std::fmt::Debug for BotConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotConfig")
            .field("enabled", &self.enabled)
            .field("name", &self.name)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("settings", &self.settings)
            .finish()
    }
}

impl BotConfig {
    /// Reads the `SWITCHBOARD_BOT_*` settings (empty ones count as unset).
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let var = |v: &Option<Setting>| value(v).map(str::to_owned);
        let mut c = Self::default();
        if let Some(v) = var(&s.bot_enabled) {
            c.enabled = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" => true,
                "0" | "false" | "off" | "no" => false,
                _ => anyhow::bail!("SWITCHBOARD_BOT_ENABLED must be on or off"),
            };
        }
        if let Some(v) = var(&s.bot_name) {
            c.name = v.trim().chars().take(60).collect();
        }
        c.token = var(&s.bot_token);
        if let Some(v) = var(&s.bot_min_score) {
            let s: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| (0.0..=1.0).contains(s))
                .ok_or_else(|| {
                    anyhow::anyhow!("SWITCHBOARD_BOT_MIN_SCORE must be a number from 0 to 1")
                })?;
            c.settings.min_score = s;
        }
        if let Some(v) = var(&s.bot_max_unanswered) {
            let n: u32 = v.trim().parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                anyhow::anyhow!("SWITCHBOARD_BOT_MAX_UNANSWERED must be a whole number ≥ 1")
            })?;
            c.settings.max_unanswered = n;
        }
        Ok(c)
    }
}

/// `/api/v1/bot/answers…` (admins) and `/api/v1/bot/handoff` (bot token).
pub fn router(
    state: crate::app::AppState,
    config: BotConfig,
) -> utoipa_axum::router::OpenApiRouter {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(answers::list, answers::create))
        .routes(routes!(answers::update, answers::delete))
        .routes(routes!(handoff::endpoint))
        .layer(axum::Extension(std::sync::Arc::new(config)))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::app::MAX_JSON_BODY,
        ))
        .with_state(state)
}
