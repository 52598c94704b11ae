//! The SMS channel, over Twilio (or any service speaking its API).
//!
//! - In: Twilio posts each text to `POST /channels/sms/twilio` (form-encoded,
//!   signed with `X-Twilio-Signature`, checked in [`webhook`] over the public
//!   URL, never the `Host` header). A customer is their phone number: a text
//!   joins the number's latest SMS conversation while it is open, reopens it
//!   (by the inbox's reopen rule) when resolved, and starts a new one,
//!   auto-categorized, when there is none ([`inbound`]). The same
//!   `MessageSid` twice is one message. Media arrive as links in the text.
//! - Out: an agent's public reply is written to `sms_outbox` in the reply's
//!   own transaction, split into requests of at most 1600 characters at word
//!   boundaries (`switchboard_core::sms`), and sent through Twilio's Messages
//!   API by a background job under a fleet-wide lease, retried with
//!   exponential backoff ([`outbound`]). Twilio's status callbacks
//!   (`POST /channels/sms/twilio/status`, signed too) move the message's
//!   delivery to `delivered` or `failed` ([`status`]).
//! - Without Twilio settings both endpoints answer `503 sms_not_configured`
//!   and replies wait in the outbox (`sending`) until an instance with
//!   settings sends them.

pub mod inbound;
pub mod media;
pub mod outbound;
pub mod signature;
pub mod status;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use switchboard_api::{ErrorBody, ErrorDetail};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::settings::{value, Setting, Settings};

/// Webhook bodies larger than this get 413 (Twilio's are a few KiB).
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;

/// Twilio's API, unless `SWITCHBOARD_TWILIO_API_BASE` says otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// SMS settings: all of `SWITCHBOARD_TWILIO_ACCOUNT_SID`, `…_AUTH_TOKEN`,
/// `…_FROM` and `SWITCHBOARD_PUBLIC_URL`, or none of them.
#[derive(Clone)]
pub struct SmsConfig {
    /// The Twilio account (`AC…`): the API path and the Basic-auth user.
    pub account_sid: Option<String>,
    /// The account's auth token: the Basic-auth password and the key that
    /// signs webhooks.
    pub auth_token: Option<String>,
    /// The number (or messaging sender) replies are sent from, e.g. `+15005550006`.
    pub from: Option<String>,
    /// `SWITCHBOARD_PUBLIC_URL`: where Twilio reaches this server, e.g.
    /// `https://support.example.com` (with any path prefix a proxy adds).
    /// Signatures are checked over this URL plus the request's path.
    pub public_url: Option<String>,
    /// `SWITCHBOARD_TWILIO_API_BASE`, default [`DEFAULT_API_BASE`].
    pub api_base: String,
    /// First retry delay of a failed send (doubles each time, capped at an hour).
    pub retry_base: Duration,
    /// Attempts before a reply is marked `failed`.
    pub max_attempts: u32,
    /// Whether the number sends MMS (`SWITCHBOARD_TWILIO_MMS`, default on):
    /// a reply's files go as `MediaUrl`; off, as signed links in the text.
    pub mms: bool,
}

/// The settings once complete.
#[derive(Clone)]
pub struct Twilio {
    /// Account SID.
    pub account_sid: String,
    /// Auth token.
    pub auth_token: String,
    /// Sender.
    pub from: String,
    /// Public URL, without a trailing `/`.
    pub public_url: String,
    /// API base URL, without a trailing `/`.
    pub api_base: String,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SmsConfig {
    /// Defaults: nothing configured.
    pub fn new() -> Self {
        Self {
            account_sid: None,
            auth_token: None,
            from: None,
            public_url: None,
            api_base: DEFAULT_API_BASE.into(),
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            mms: true,
        }
    }

    /// Reads the `SWITCHBOARD_*` SMS settings (empty ones count as unset).
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let var = |v: &Option<Setting>| value(v).map(str::to_owned);
        let mut c = Self::new();
        c.account_sid = var(&s.twilio_account_sid).map(|v| v.trim().to_owned());
        c.auth_token = var(&s.twilio_auth_token).map(|v| v.trim().to_owned());
        c.from = var(&s.twilio_from).map(|v| v.trim().to_owned());
        c.public_url = var(&s.public_url).map(|v| v.trim().to_owned());
        if let Some(base) = var(&s.twilio_api_base) {
            c.api_base = base.trim().to_owned();
        }
        if let Some(mms) = var(&s.twilio_mms) {
            c.mms = match mms.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" | "1" => true,
                "off" | "false" | "no" | "0" => false,
                _ => anyhow::bail!("SWITCHBOARD_TWILIO_MMS must be on or off"),
            };
        }
        c.validate()?;
        Ok(c)
    }

    /// All or nothing; URLs that parse; an account SID fit for a URL path.
    pub fn validate(&self) -> anyhow::Result<()> {
        let twilio = [
            ("SWITCHBOARD_TWILIO_ACCOUNT_SID", &self.account_sid),
            ("SWITCHBOARD_TWILIO_AUTH_TOKEN", &self.auth_token),
            ("SWITCHBOARD_TWILIO_FROM", &self.from),
        ];
        let set: Vec<&str> = twilio
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| *n)
            .collect();
        if set.is_empty() {
            if let Some(u) = &self.public_url {
                http_url("SWITCHBOARD_PUBLIC_URL", u)?;
            }
            return Ok(());
        }
        let missing: Vec<&str> = twilio
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .chain(
                self.public_url
                    .is_none()
                    .then_some("SWITCHBOARD_PUBLIC_URL"),
            )
            .collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "the SMS channel needs {} as well (set: {})",
                missing.join(", "),
                set.join(", ")
            );
        }
        if let Some(sid) = &self.account_sid {
            if !sid.chars().all(|c| c.is_ascii_alphanumeric()) || sid.len() > 64 {
                anyhow::bail!("SWITCHBOARD_TWILIO_ACCOUNT_SID must be letters and digits (AC…)");
            }
        }
        if let Some(from) = &self.from {
            if from.chars().any(char::is_control) || from.len() > 64 {
                anyhow::bail!("SWITCHBOARD_TWILIO_FROM must be a phone number or sender id");
            }
        }
        if let Some(u) = &self.public_url {
            http_url("SWITCHBOARD_PUBLIC_URL", u)?;
        }
        http_url("SWITCHBOARD_TWILIO_API_BASE", &self.api_base)?;
        Ok(())
    }

    /// The complete settings, or `None` when the channel is not configured.
    pub fn twilio(&self) -> Option<Twilio> {
        Some(Twilio {
            account_sid: self.account_sid.clone()?,
            auth_token: self.auth_token.clone()?,
            from: self.from.clone()?,
            public_url: self.public_url.as_deref()?.trim_end_matches('/').to_owned(),
            api_base: self.api_base.trim_end_matches('/').to_owned(),
        })
    }
}

/// The endpoints' answer without settings: `503 sms_not_configured`.
pub fn not_configured() -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "sms_not_configured".into(),
            message: "the SMS channel is not configured on this server \
                      (SWITCHBOARD_TWILIO_ACCOUNT_SID, SWITCHBOARD_TWILIO_AUTH_TOKEN, \
                      SWITCHBOARD_TWILIO_FROM, SWITCHBOARD_PUBLIC_URL)"
                .into(),
            conversation_id: None,
            assignee_id: None,
            retry_after_secs: None,
        },
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

fn http_url(name: &str, u: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(u).map_err(|_| anyhow::anyhow!("{name} is not a URL: {u}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        anyhow::bail!("{name} must be an http:// or https:// URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        anyhow::bail!("{name} may not have a query or fragment");
    }
    Ok(())
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The auth token signs webhooks and sends texts: it never reaches a log.
        f.debug_struct("SmsConfig")
            .field("account_sid", &self.account_sid)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("api_base", &self.api_base)
            .field("mms", &self.mms)
            .finish()
    }
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twilio")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// `/channels/sms/twilio` and `/channels/sms/twilio/status`.
pub fn router(state: AppState, config: SmsConfig) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(inbound::endpoint))
        .routes(routes!(status::endpoint))
        .layer(Extension(Arc::new(config)))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
}

/// This instance's SMS outbox (under a fleet-wide lease). Runs until the
/// store closes or the future is dropped.
pub async fn run_jobs(state: AppState, config: SmsConfig, instance: String) {
    let media = state.media.clone();
    outbound::run(state.store.clone(), Arc::new(config), media, instance).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> SmsConfig {
        SmsConfig {
            account_sid: Some("AC0123456789abcdef0123456789abcdef".into()),
            auth_token: Some("very-secret-token".into()),
            from: Some("+15005550006".into()),
            public_url: Some("https://support.example.com/".into()),
            ..SmsConfig::new()
        }
    }

    #[test]
    fn all_or_nothing() {
        assert!(SmsConfig::new().validate().is_ok());
        assert!(SmsConfig::new().twilio().is_none());
        assert!(full().validate().is_ok());
        let t = full().twilio().unwrap();
        assert_eq!(t.public_url, "https://support.example.com");
        assert_eq!(t.api_base, "https://api.twilio.com");
        let partial = SmsConfig {
            from: None,
            ..full()
        };
        let e = partial.validate().unwrap_err().to_string();
        assert!(e.contains("SWITCHBOARD_TWILIO_FROM"), "{e}");
        let no_url = SmsConfig {
            public_url: None,
            ..full()
        };
        assert!(no_url
            .validate()
            .unwrap_err()
            .to_string()
            .contains("SWITCHBOARD_PUBLIC_URL"));
        let bad_sid = SmsConfig {
            account_sid: Some("AC/../x".into()),
            ..full()
        };
        assert!(bad_sid.validate().is_err());
        let bad_url = SmsConfig {
            public_url: Some("support.example.com".into()),
            ..full()
        };
        assert!(bad_url.validate().is_err());
    }

    #[test]
    fn the_token_is_never_printed() {
        let c = full();
        assert!(!format!("{c:?}").contains("very-secret-token"));
        assert!(!format!("{:?}", c.twilio().unwrap()).contains("very-secret-token"));
        let e = SmsConfig {
            account_sid: None,
            ..full()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(!e.contains("very-secret-token"));
    }
}
