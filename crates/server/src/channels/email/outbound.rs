//! Outbound email: the SMTP outbox.
//!
//! An agent's public reply on an `email` conversation is written to
//! `email_outbox` in the reply's own transaction ([`enqueue`]), so it cannot
//! be lost between the reply and the send. A background job ([`run`]) holding
//! the fleet-wide `email_outbox` lease sends due rows with lettre: a proper
//! `Message-ID` (stored, so the customer's answer threads back), `In-Reply-To`
//! (the customer's last message) and `References` (the thread), the subject
//! `Re: <subject> [#SB-token]`, From = `SWITCHBOARD_SMTP_FROM`, To = the
//! customer; the reply's files as attachment parts (`mime`). Temporary
//! failures are retried with exponential backoff;
//! permanent ones (5xx, a bad address) or too many attempts end as `failed`
//! with the reason. Every change of status is a `message.updated` event.
//!
//! A reply is sent by one instance at a time: picking a row marks it in
//! flight (`next_attempt_at` = now + the in-flight lease, [`IN_FLIGHT`]), so
//! no instance picks it again while its send is under way, even when the
//! outbox lease moves to another instance meanwhile (it is renewed only
//! between sends, and a stalled SMTP server can hold a send longer than the
//! lease lasts). The rows of a batch are sent one after another; just before
//! each send its mark is renewed, only if it is still the one this instance
//! set (a row whose mark ran out and which another instance picked is left
//! to that one). One send is bounded as a whole by [`SEND_TIMEOUT`], well
//! inside the in-flight lease. If the sender dies mid-send, the row is due
//! again when its mark runs out and is sent with the same `Message-ID`
//! (assigned once, on the first attempt): a customer whose mail server had
//! already taken the first copy gets the same message again, never a
//! second, different one.
//!
//! Headers are built with lettre's typed builders from single-line,
//! sanitized values, so a subject or name cannot inject headers.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use switchboard_api::{Delivery, DeliveryStatus, Message};

use super::mime::File;
use super::parse::one_line;
use super::EmailConfig;
use crate::background::acquire_lease;
use crate::error::{AppError, AppResult};
use crate::rows::ConvRow;
use crate::store::db::{self};
use crate::store::{op, Store, Tx};

/// How often the outbox looks for due replies.
const TICK: Duration = Duration::from_millis(500);
/// How long the fleet-wide `email_outbox` lease lasts without renewal. It
/// is renewed between sends only, so a slow send may outlast it and another
/// instance take over: the in-flight mark ([`IN_FLIGHT`]), not this lease,
/// is what keeps two instances from sending the same reply.
pub const LEASE_TTL: Duration = Duration::from_secs(60);
/// Rows picked per batch (each marked in flight, then sent one by one).
const BATCH: i64 = 20;
/// lettre's SMTP timeout. lettre's Tokio transport applies it to the TCP
/// connect only (0.11: no read or write timeout), so a server that accepts
/// the connection and then stalls is bounded by [`SEND_TIMEOUT`] instead.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest one send may take, connect to the last reply. A send still
/// waiting then is given up as a temporary failure and retried later with
/// the same `Message-ID` (the server may have taken it: the customer may
/// get it twice, never two different messages). Longer than the 90 s an
/// SMTP server was seen to stall before answering DATA, so such a send
/// completes once instead of being abandoned and sent again.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a picked row is marked in flight (not due again): longer than
/// [`SEND_TIMEOUT`] with room to record the outcome, so no other instance
/// (nor this one, after the outbox lease moved) sends it while a send is
/// under way. If the sender dies, the reply goes out again after this long.
pub const IN_FLIGHT: Duration = Duration::from_secs(300);

/// Queues a public reply for sending. Called inside the reply's transaction.
pub async fn enqueue(tx: &mut Tx, conv: &ConvRow, msg: &Message) -> AppResult<Delivery> {
    let token = super::inbound::thread_token(tx, &conv.id).await?;
    let ids = db::query(
        "SELECT rfc_id, direction FROM email_messages WHERE conversation_id = $1 ORDER BY created_at, rfc_id",
    )
    .bind(&conv.id)
    .fetch_all(&mut *tx)
    .await?;
    let mut thread = Vec::with_capacity(ids.len());
    let mut in_reply_to = None;
    for r in &ids {
        let id: String = r.try_get("rfc_id")?;
        let dir: String = r.try_get("direction")?;
        if dir == "in" {
            in_reply_to = Some(id.clone());
        }
        thread.push(id);
    }
    // Keep the first and the most recent ids: References stays short.
    if thread.len() > 20 {
        let tail = thread.split_off(thread.len() - 19);
        thread.truncate(1);
        thread.extend(tail);
    }
    let now = tx.now.timestamp_millis();
    db::query(
        "INSERT INTO email_outbox (message_id, conversation_id, rfc_id, to_name, to_addr, subject, in_reply_to, refs, body, \
         status, attempts, next_attempt_at, last_error, sent_at, updated_at) \
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, 'sending', 0, $9, NULL, NULL, $9)",
    )
    .bind(&msg.id)
    .bind(&conv.id)
    .bind(conv.customer.name.as_deref().map(|n| one_line(n, 200)))
    .bind(conv.customer.email.as_deref())
    .bind(reply_subject(&conv.subject, &token))
    .bind(in_reply_to)
    .bind(thread.join(" "))
    .bind(&msg.body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(Delivery {
        status: DeliveryStatus::Sending,
        attempts: 0,
        error: None,
        next_attempt_at: Some(tx.now),
        sent_at: None,
    })
}

/// `Re: <subject> [#SB-token]`, one line, no doubled `Re:` or token.
pub fn reply_subject(subject: &str, token: &str) -> String {
    let s = one_line(subject, 250);
    let tag = format!("[#SB-{token}]");
    let lower = s.to_ascii_lowercase();
    let base = if lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("sv:") {
        s.clone()
    } else {
        format!("Re: {s}")
    };
    if lower.contains(&tag.to_ascii_lowercase()) {
        base
    } else {
        format!("{base} {tag}")
    }
}

/// How `SWITCHBOARD_SMTP_URL` connects.
#[derive(Clone)]
pub struct SmtpSettings {
    host: String,
    port: u16,
    tls: TlsMode,
    credentials: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS or fail.
    Required,
    /// TLS from the first byte (smtps).
    Wrapper,
    /// Never (local test sinks only).
    None,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl SmtpSettings {
    /// `smtp://[user:pass@]host[:port][?tls=required|opportunistic|none]` or `smtps://…`.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        let url =
            url::Url::parse(s).map_err(|_| anyhow::anyhow!("SWITCHBOARD_SMTP_URL is not a URL"))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow::anyhow!("SWITCHBOARD_SMTP_URL has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_ascii_lowercase());
        let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
            ("smtps", _) => (TlsMode::Wrapper, 465),
            ("smtp", None | Some("opportunistic")) => (TlsMode::Opportunistic, 587),
            ("smtp", Some("required" | "starttls")) => (TlsMode::Required, 587),
            ("smtp", Some("none")) => (TlsMode::None, 25),
            ("smtp", Some(other)) => anyhow::bail!(
                "SWITCHBOARD_SMTP_URL: unknown tls={other} (use required, opportunistic or none)"
            ),
            (other, _) => {
                anyhow::bail!("SWITCHBOARD_SMTP_URL: scheme {other}:// is not smtp:// or smtps://")
            }
        };
        let user = percent_decode(url.username());
        let credentials = if user.is_empty() {
            None
        } else {
            Some((user, percent_decode(url.password().unwrap_or(""))))
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            credentials,
        })
    }

    fn transport(&self) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .timeout(Some(SMTP_TIMEOUT));
        b = match self.tls {
            TlsMode::None => b.tls(Tls::None),
            TlsMode::Opportunistic => {
                b.tls(Tls::Opportunistic(TlsParameters::new(self.host.clone())?))
            }
            TlsMode::Required => b.tls(Tls::Required(TlsParameters::new(self.host.clone())?)),
            TlsMode::Wrapper => b.tls(Tls::Wrapper(TlsParameters::new(self.host.clone())?)),
        };
        if let Some((u, p)) = &self.credentials {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(b.build())
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Parses `SWITCHBOARD_SMTP_FROM` (`Name <addr>` or `addr`).
pub fn parse_from(s: &str) -> anyhow::Result<Mailbox> {
    if s.contains(['\r', '\n']) {
        anyhow::bail!("SWITCHBOARD_SMTP_FROM may not contain line breaks");
    }
    Mailbox::from_str(s.trim())
        .map_err(|e| anyhow::anyhow!("SWITCHBOARD_SMTP_FROM is not an address: {e}"))
}

/// One due row, as picked for sending.
#[derive(Debug, Clone)]
struct Due {
    message_id: String,
    /// The in-flight mark this instance set (`next_attempt_at`).
    mark: i64,
    rfc_id: String,
    to_name: Option<String>,
    to_addr: Option<String>,
    subject: String,
    in_reply_to: Option<String>,
    refs: String,
    body: String,
    attempts: u32,
}

#[derive(Debug, Clone)]
enum Outcome {
    Sent,
    Temporary(String),
    Permanent(String),
}

/// The outbox loop of one instance: sends while it holds the lease.
pub async fn run(store: Store, config: Arc<EmailConfig>, instance: String) {
    let smtp = config
        .smtp_url
        .as_deref()
        .map(SmtpSettings::parse)
        .transpose();
    let from = config.smtp_from.as_deref().map(parse_from).transpose();
    if config.in_flight <= config.send_timeout {
        tracing::error!(
            in_flight = ?config.in_flight,
            send_timeout = ?config.send_timeout,
            "email outbox disabled: the in-flight lease must outlast the send timeout"
        );
        return;
    }
    let (smtp, from) = match (smtp, from) {
        (Ok(s), Ok(f)) => (s, f),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "email outbox disabled: bad SMTP settings");
            return;
        }
    };
    let transport = match smtp.as_ref().map(SmtpSettings::transport).transpose() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "email outbox disabled: cannot set up SMTP");
            return;
        }
    };
    let domain = from
        .as_ref()
        .map(|m| m.email.domain().to_owned())
        .unwrap_or_else(|| "switchboard.invalid".into());
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (Some(transport), Some(from)) = (transport, from) else {
        // Nothing to send with: replies wait in the outbox (`sending`) until
        // an instance with SMTP settings picks them up.
        tracing::info!("email outbox idle: SWITCHBOARD_SMTP_URL/SWITCHBOARD_SMTP_FROM not set");
        return;
    };
    let lease = ms(config.outbox_lease);
    let in_flight = ms(config.in_flight);
    loop {
        tick.tick().await;
        let holder = instance.clone();
        let dom = domain.clone();
        let picked = store
            .write(op(move |tx| {
                Box::pin(async move {
                    let ttl = ChronoDuration::milliseconds(lease);
                    if !acquire_lease(tx, "email_outbox", &holder, ttl).await? {
                        return Ok(None);
                    }
                    pick_due(tx, &dom, in_flight).await.map(Some)
                })
            }))
            .await;
        let due = match picked {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(AppError::ShuttingDown) => return,
            Err(e) => {
                tracing::warn!(error = %e, "email outbox: picking due replies failed; retrying");
                continue;
            }
        };
        for mut d in due {
            let (id, mark) = (d.message_id.clone(), d.mark);
            let renewed = store
                .write(op(move |tx| {
                    Box::pin(async move { renew_mark(tx, &id, mark, in_flight).await })
                }))
                .await;
            match renewed {
                Ok(Some(mark)) => d.mark = mark,
                Ok(None) => {
                    tracing::debug!(message_id = %d.message_id, "email reply taken by another instance");
                    continue;
                }
                Err(AppError::ShuttingDown) => return,
                Err(e) => {
                    // Left marked: due again when the mark runs out.
                    tracing::warn!(error = %e, message_id = %d.message_id, "email outbox: renewing an in-flight mark failed");
                    continue;
                }
            }
            let outcome = match super::mime::files_of(store.reader(), &d.message_id).await {
                Ok(files) => send_one(&transport, &from, &d, files, config.send_timeout).await,
                Err(e) => Outcome::Temporary(format!("reading the reply's files: {e}")),
            };
            let base = config.retry_base;
            let max = config.max_attempts;
            let recorded = crate::outbox::record_send(&store, "email", || {
                let (d, outcome) = (d.clone(), outcome.clone());
                op(move |tx| Box::pin(async move { record(tx, &d, outcome, base, max).await }))
            })
            .await;
            if recorded.is_err() {
                return;
            }
        }
    }
}

/// A duration in milliseconds, for the database's times.
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Due rows, each marked in flight (not due again for `in_flight` ms); gives
/// each its Message-ID on the first attempt (and stores it for threading),
/// so every later attempt carries the same one.
async fn pick_due(tx: &mut Tx, domain: &str, in_flight: i64) -> AppResult<Vec<Due>> {
    let now = tx.now.timestamp_millis();
    let mark = now.saturating_add(in_flight);
    let found = db::query(
        "SELECT o.message_id, o.conversation_id, o.rfc_id, o.to_name, o.to_addr, o.subject, o.in_reply_to, o.refs, o.body, o.attempts \
         FROM email_outbox o WHERE o.status = 'sending' AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at, o.message_id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        let message_id: String = r.try_get("message_id")?;
        let conversation_id: String = r.try_get("conversation_id")?;
        let rfc_id = match r.try_get::<Option<String>, _>("rfc_id")? {
            Some(id) => id,
            None => {
                let id = format!("sb.{message_id}@{domain}");
                db::query("UPDATE email_outbox SET rfc_id = $1 WHERE message_id = $2")
                    .bind(&id)
                    .bind(&message_id)
                    .execute(&mut *tx)
                    .await?;
                db::query(
                    "INSERT INTO email_messages (rfc_id, conversation_id, message_id, direction, created_at) VALUES ($1, $2, $3, 'out', $4)",
                )
                .bind(&id)
                .bind(&conversation_id)
                .bind(&message_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        db::query("UPDATE email_outbox SET next_attempt_at = $1 WHERE message_id = $2")
            .bind(mark)
            .bind(&message_id)
            .execute(&mut *tx)
            .await?;
        let attempts: i64 = r.try_get("attempts")?;
        out.push(Due {
            message_id,
            mark,
            rfc_id,
            to_name: r.try_get("to_name")?,
            to_addr: r.try_get("to_addr")?,
            subject: r.try_get("subject")?,
            in_reply_to: r.try_get("in_reply_to")?,
            refs: r.try_get("refs")?,
            body: r.try_get("body")?,
            attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        });
    }
    Ok(out)
}

/// Renews a row's in-flight mark right before its send, if the row is still
/// waiting to be sent and the mark is still `mark` (the one this instance
/// set: another instance that picked the row after the mark ran out set a
/// later one). Returns the new mark, or `None` when the row is not ours.
async fn renew_mark(
    tx: &mut Tx,
    message_id: &str,
    mark: i64,
    in_flight: i64,
) -> AppResult<Option<i64>> {
    let renewed = tx
        .now
        .timestamp_millis()
        .saturating_add(in_flight)
        .max(mark);
    let done = db::query(
        "UPDATE email_outbox SET next_attempt_at = $1 WHERE message_id = $2 AND status = 'sending' AND next_attempt_at = $3",
    )
    .bind(renewed)
    .bind(message_id)
    .bind(mark)
    .execute(&mut *tx)
    .await?;
    Ok((done == 1).then_some(renewed))
}

#[cfg(test)]
fn build(from: &Mailbox, d: &Due) -> Result<lettre::Message, String> {
    build_with(from, d, Vec::new())
}

/// The mail of a reply, its files as attachment parts (`mime`).
fn build_with(from: &Mailbox, d: &Due, files: Vec<File>) -> Result<lettre::Message, String> {
    let addr = d
        .to_addr
        .as_deref()
        .ok_or_else(|| "the customer has no email address".to_owned())?;
    let address = Address::from_str(addr.trim())
        .map_err(|e| format!("the customer's address `{addr}` is not valid: {e}"))?;
    let to = Mailbox::new(
        d.to_name
            .as_deref()
            .map(|n| one_line(n, 200))
            .filter(|n| !n.is_empty()),
        address,
    );
    let angle = |id: &str| format!("<{id}>");
    let mut b = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&d.subject, 300))
        .message_id(Some(angle(&d.rfc_id)));
    let refs: Vec<String> = d
        .refs
        .split_whitespace()
        .filter_map(super::parse::clean_id)
        .map(|id| angle(&id))
        .collect();
    if let Some(irt) = d.in_reply_to.as_deref().and_then(super::parse::clean_id) {
        b = b.in_reply_to(angle(&irt));
    }
    if !refs.is_empty() {
        b = b.references(refs.join(" "));
    }
    if files.is_empty() {
        b.header(ContentType::TEXT_PLAIN).body(d.body.clone())
    } else {
        b.multipart(super::mime::mixed(&d.body, files))
    }
    .map_err(|e| format!("the message could not be built: {e}"))
}

async fn send_one(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    d: &Due,
    files: Vec<File>,
    limit: Duration,
) -> Outcome {
    let email = match build_with(from, d, files) {
        Ok(e) => e,
        Err(reason) => return Outcome::Permanent(reason),
    };
    match tokio::time::timeout(limit, transport.send(email)).await {
        Ok(Ok(_)) => Outcome::Sent,
        Ok(Err(e)) if e.is_permanent() => {
            Outcome::Permanent(format!("the mail server refused it: {e}"))
        }
        Ok(Err(e)) => Outcome::Temporary(format!("{e}")),
        Err(_) => Outcome::Temporary(format!(
            "the mail server did not finish within {} s (it may have taken the message; it is sent again with the same Message-ID)",
            limit.as_secs_f64()
        )),
    }
}

async fn record(
    tx: &mut Tx,
    d: &Due,
    outcome: Outcome,
    base: Duration,
    max_attempts: u32,
) -> AppResult<()> {
    let now = tx.now.timestamp_millis();
    let attempts = d.attempts.saturating_add(1);
    let (status, error, next, sent_at) = match outcome {
        Outcome::Sent => ("sent", None, now, Some(now)),
        Outcome::Permanent(e) => ("failed", Some(e), now, None),
        Outcome::Temporary(e) if attempts >= max_attempts => (
            "failed",
            Some(format!("gave up after {attempts} attempts: {e}")),
            now,
            None,
        ),
        Outcome::Temporary(e) => {
            let wait = i64::try_from(
                crate::outbox::backoff(base, attempts, crate::outbox::MAX_BACKOFF).as_millis(),
            )
            .unwrap_or(i64::MAX);
            ("sending", Some(e), now.saturating_add(wait), None)
        }
    };
    if let Some(e) = &error {
        tracing::warn!(message_id = %d.message_id, attempts, status, error = %e, "email reply not sent");
    } else {
        tracing::info!(message_id = %d.message_id, "email reply sent");
    }
    // A send that went out is recorded whoever holds the row now; a failure
    // only while the row is still ours (its mark unchanged), so it cannot
    // reschedule a row another instance is sending.
    let sql = if sent_at.is_some() {
        "UPDATE email_outbox SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4, sent_at = $5, updated_at = $6 \
         WHERE message_id = $7 AND status = 'sending'"
    } else {
        "UPDATE email_outbox SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4, sent_at = $5, updated_at = $6 \
         WHERE message_id = $7 AND status = 'sending' AND next_attempt_at = $8"
    };
    let mut q = db::query(sql)
        .bind(status)
        .bind(i64::from(attempts))
        .bind(error.as_deref())
        .bind(next)
        .bind(sent_at)
        .bind(now)
        .bind(&d.message_id);
    if sent_at.is_none() {
        q = q.bind(d.mark);
    }
    let done = q.execute(&mut *tx).await?;
    if done == 1 {
        crate::outbox::announce(tx, &d.message_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_get_one_re_and_one_token() {
        assert_eq!(
            reply_subject("Printer broken", "abc123"),
            "Re: Printer broken [#SB-abc123]"
        );
        assert_eq!(
            reply_subject("Re: Printer broken [#SB-abc123]", "abc123"),
            "Re: Printer broken [#SB-abc123]"
        );
        assert_eq!(
            reply_subject("Hi\r\nBcc: evil@example.com", "abc123"),
            "Re: Hi Bcc: evil@example.com [#SB-abc123]"
        );
    }

    #[test]
    fn the_in_flight_lease_outlasts_a_send() {
        assert!(IN_FLIGHT > SEND_TIMEOUT + Duration::from_secs(60));
        assert!(
            SEND_TIMEOUT > Duration::from_secs(90),
            "the issue's 90 s stall"
        );
        let mut c = EmailConfig::new();
        assert!(c.validate().is_ok());
        c.in_flight = c.send_timeout;
        assert!(c.validate().is_err());
    }

    #[test]
    fn smtp_urls_parse() {
        let s = SmtpSettings::parse("smtp://u%40x:p%2Fw@mail.example.com?tls=required").unwrap();
        assert_eq!(s.host, "mail.example.com");
        assert_eq!(s.port, 587);
        assert_eq!(s.tls, TlsMode::Required);
        assert_eq!(s.credentials, Some(("u@x".into(), "p/w".into())));
        assert!(!format!("{s:?}").contains("p/w"));
        let s = SmtpSettings::parse("smtps://mail.example.com").unwrap();
        assert_eq!((s.port, s.tls), (465, TlsMode::Wrapper));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((s.port, s.tls), (2525, TlsMode::Opportunistic));
        assert!(SmtpSettings::parse("http://x").is_err());
        assert!(SmtpSettings::parse("smtp://x?tls=maybe").is_err());
    }
}
