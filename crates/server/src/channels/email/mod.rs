//! The email channel.
//!
//! - In: `POST /channels/email/inbound` takes one raw RFC 5322 message
//!   (header `X-Switchboard-Secret` must equal `SWITCHBOARD_EMAIL_INBOUND_SECRET`),
//!   and the IMAP poller ([`imap`]) feeds every unseen message of a mailbox's
//!   INBOX through the same path ([`inbound::receive`]). Messages are parsed
//!   with mail-parser ([`parse`]); a reply is threaded into its conversation by
//!   `In-Reply-To`/`References` (Message-IDs we received or sent) or, when
//!   those were stripped, by the reply token `[#SB-…]` in the subject (or a
//!   `+sb-…` tag on the address). The same Message-ID twice is one message.
//!   A threaded message from an address other than the customer's keeps its
//!   real sender as author and is flagged `from_other_address`; replies
//!   still go to the customer.
//! - Out: an agent's public reply is written to an outbox in its own
//!   transaction and sent over SMTP by a background job ([`outbound`]) under
//!   a fleet-wide lease, retried with exponential backoff; its status
//!   (`sending`/`sent`/`failed`) is the message's `delivery`.
//! - Attachments are stored and downloadable at `GET /api/v1/attachments/{id}`
//!   by anyone who can see the conversation (`http::attachments`); an
//!   agent's reply carries its uploads as MIME parts ([`outbound`]).

pub mod imap;
pub mod inbound;
pub mod mime;
pub mod outbound;
pub mod parse;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Extension;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::settings::{value, Setting, Settings};

/// Raw messages larger than this get 413.
pub const MAX_RAW_MESSAGE: usize = 25 * 1024 * 1024;

/// Email settings. Every part is optional: without a secret the inbound
/// endpoint refuses everything; without SMTP replies wait in the outbox
/// (shown as `sending`) until an instance with SMTP settings sends them;
/// without IMAP nothing is polled.
#[derive(Clone, Default)]
pub struct EmailConfig {
    /// `SWITCHBOARD_EMAIL_INBOUND_SECRET`: the `X-Switchboard-Secret` value.
    pub inbound_secret: Option<String>,
    /// `SWITCHBOARD_SMTP_URL`: `smtp://[user:pass@]host[:port][?tls=required|none]`
    /// (STARTTLS when the server offers it; `tls=required` insists on it)
    /// or `smtps://…` (TLS from the first byte, port 465 by default).
    pub smtp_url: Option<String>,
    /// `SWITCHBOARD_SMTP_FROM`: `Support <support@example.com>`.
    pub smtp_from: Option<String>,
    /// `SWITCHBOARD_IMAP_URL`: `imaps://user:pass@host[:port][/MAILBOX]` or
    /// `imap://…` (plain, for local tests).
    pub imap_url: Option<String>,
    /// How often the IMAP poller looks when the server offers no IDLE
    /// (`SWITCHBOARD_IMAP_POLL_SECS`, default 30).
    pub imap_poll: Duration,
    /// First retry delay of a failed send (doubles each time, capped at an hour).
    pub retry_base: Duration,
    /// Attempts before a reply is marked `failed`.
    pub max_attempts: u32,
    /// How long the fleet-wide `email_outbox` lease lasts without renewal
    /// (default [`outbound::LEASE_TTL`], 60 s).
    pub outbox_lease: Duration,
    /// The longest one SMTP send may take as a whole (default
    /// [`outbound::SEND_TIMEOUT`], 2 min).
    pub send_timeout: Duration,
    /// How long a reply being sent is marked in flight, so that no instance
    /// picks it again meanwhile (default [`outbound::IN_FLIGHT`], 5 min;
    /// must exceed `send_timeout`). Tests shorten these three.
    pub in_flight: Duration,
}

impl EmailConfig {
    /// Defaults: nothing configured.
    pub fn new() -> Self {
        Self {
            imap_poll: Duration::from_secs(30),
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            outbox_lease: outbound::LEASE_TTL,
            send_timeout: outbound::SEND_TIMEOUT,
            in_flight: outbound::IN_FLIGHT,
            ..Default::default()
        }
    }

    /// Reads the `SWITCHBOARD_*` email settings (empty ones count as unset).
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let var = |v: &Option<Setting>| value(v).map(str::to_owned);
        let mut c = Self::new();
        c.inbound_secret = var(&s.email_inbound_secret);
        c.smtp_url = var(&s.smtp_url);
        c.smtp_from = var(&s.smtp_from);
        c.imap_url = var(&s.imap_url);
        if let Some(s) = var(&s.imap_poll_secs) {
            let secs: u64 = s.trim().parse().map_err(|_| {
                anyhow::anyhow!("SWITCHBOARD_IMAP_POLL_SECS must be a number of seconds")
            })?;
            c.imap_poll = Duration::from_secs(secs.max(1));
        }
        c.validate()?;
        Ok(c)
    }

    /// Checks that the configured URLs and address parse (without connecting).
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(u) = &self.smtp_url {
            outbound::SmtpSettings::parse(u)?;
            if self.smtp_from.is_none() {
                anyhow::bail!("SWITCHBOARD_SMTP_URL is set but SWITCHBOARD_SMTP_FROM is not");
            }
        }
        if let Some(f) = &self.smtp_from {
            outbound::parse_from(f)?;
        }
        if let Some(u) = &self.imap_url {
            imap::ImapSettings::parse(u)?;
        }
        if self.in_flight <= self.send_timeout {
            anyhow::bail!(
                "the email outbox's in-flight lease ({:?}) must outlast its send timeout ({:?}), or a reply could be sent twice",
                self.in_flight,
                self.send_timeout
            );
        }
        Ok(())
    }
}

fn redact_url(u: &Option<String>) -> String {
    match u.as_deref().map(url::Url::parse) {
        None => "unset".into(),
        Some(Ok(url)) => format!(
            "{}://{}{}",
            url.scheme(),
            if url.username().is_empty() && url.password().is_none() {
                ""
            } else {
                "…@"
            },
            url.host_str().unwrap_or("")
        ),
        Some(Err(_)) => "(invalid)".into(),
    }
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets and passwords never reach a log.
        f.debug_struct("EmailConfig")
            .field(
                "inbound_secret",
                &self.inbound_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("smtp_from", &self.smtp_from)
            .field("imap_url", &redact_url(&self.imap_url))
            .field("imap_poll", &self.imap_poll)
            .field("outbox_lease", &self.outbox_lease)
            .field("send_timeout", &self.send_timeout)
            .field("in_flight", &self.in_flight)
            .finish()
    }
}

/// `/channels/email/inbound`.
pub fn router(state: AppState, config: EmailConfig) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(inbound::endpoint))
        .layer(Extension(Arc::new(config)))
        .layer(DefaultBodyLimit::max(MAX_RAW_MESSAGE))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
}

/// This instance's email jobs (each takes a fleet-wide lease before
/// working): the SMTP outbox when SMTP is configured, the IMAP poller when a
/// mailbox is configured. Runs until
/// the store closes or the future is dropped.
pub async fn run_jobs(state: AppState, config: EmailConfig, instance: String) {
    let config = Arc::new(config);
    let outbox = outbound::run(state.store.clone(), config.clone(), instance.clone());
    if config.imap_url.is_some() {
        tokio::join!(outbox, imap::run(state, config, instance));
    } else {
        outbox.await;
    }
}
