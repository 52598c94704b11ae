//! Outbound texts: the SMS outbox and Twilio's Messages API.
//!
//! An agent's public reply on an `sms` conversation is written to
//! `sms_outbox` in the reply's own transaction ([`enqueue`]), so it cannot be
//! lost between the reply and the send. Twilio takes up to 1600 characters
//! per request and concatenates the segments itself (160/153 GSM-7 or 70/67
//! UCS-2 characters each, see `switchboard_core::sms`), so a reply up to that
//! length is one request; a longer one is split at word boundaries into
//! parts, one row each, sent strictly in order (a part waits until the one
//! before it left). Replies over [`MAX_PARTS`] requests are refused (422
//! `sms_too_long`).
//!
//! A background job ([`run`]) holding the fleet-wide `sms_outbox` lease
//! sends due parts: `POST {api_base}/2010-04-01/Accounts/{AccountSid}/Messages.json`
//! with Basic auth (account SID and auth token) and the form fields `To`,
//! `From`, `Body` (or `MediaUrl`s: a reply's files ride on parts of their
//! own after the text, see [`media`]) and `StatusCallback` (the public URL's
//! `/channels/sms/twilio/status`, with the part named in its query so a
//! callback finds its part even before the send was recorded). A part is
//! marked in flight while it is sent, so no other instance picks it up.
//! Network errors, timeouts, 401/403/404, 429 and 5xx are retried with
//! exponential backoff; 400/413/422 (Twilio refused this message: a bad
//! number, an opted-out recipient) or too many attempts end as `failed` with
//! Twilio's code and message. A request whose answer was lost may have been
//! accepted: it is sent again (a text twice rather than never). Every change
//! of status is a `message.updated` event.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde::Deserialize;
use switchboard_api::{Delivery, DeliveryStatus, Message};
use switchboard_core::sms::{split_for_requests, MAX_REQUEST_CHARS};

use super::media::{self, Carried};
use super::{SmsConfig, Twilio};
use crate::background::acquire_lease;
use crate::error::{AppError, AppResult};
use crate::outbox::media::MediaConfig;
use crate::rows::ConvRow;
use crate::store::db::{self};
use crate::store::{op, Store, Tx};

/// How often the outbox looks for due parts.
const TICK: Duration = Duration::from_millis(500);
/// The outbox lease outlives one batch of sends.
const LEASE_TTL: ChronoDuration = ChronoDuration::seconds(60);
/// Parts sent per batch (each request may take up to [`REQUEST_TIMEOUT`]).
const BATCH: i64 = 5;
/// One request to Twilio, at most.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A part being sent is not due again for this long (so no other instance
/// sends it meanwhile); if its sender dies, it is retried after that.
const IN_FLIGHT: ChronoDuration = ChronoDuration::minutes(5);
/// Most requests one reply may take (16 000 characters).
pub const MAX_PARTS: usize = 10;

/// Queues a public reply for sending. Called inside the reply's transaction.
pub async fn enqueue(tx: &mut Tx, conv: &ConvRow, msg: &Message) -> AppResult<Delivery> {
    let parts = split_for_requests(&msg.body, MAX_REQUEST_CHARS);
    if parts.len() > MAX_PARTS {
        return Err(AppError::invalid(
            "sms_too_long",
            format!(
                "this reply would take {} text messages; SMS replies are limited to {} (about {} characters)",
                parts.len(),
                MAX_PARTS,
                MAX_PARTS * MAX_REQUEST_CHARS
            ),
        ));
    }
    let now = tx.now.timestamp_millis();
    // The text first, then the files, a few to a part (`media`).
    let rows: Vec<(&str, Option<String>)> = parts
        .iter()
        .map(|p| (p.as_str(), None))
        .chain(
            media::groups(&msg.attachments)
                .into_iter()
                .map(|g| ("", Some(g))),
        )
        .collect();
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    for (i, (body, files)) in rows.iter().enumerate() {
        db::query(
            "INSERT INTO sms_outbox (message_id, part, parts, conversation_id, to_number, body, status, attempts, \
             next_attempt_at, last_error, provider_sid, provider_status, sent_at, updated_at, attachments) \
             VALUES ($1, $2, $3, $4, $5, $6, 'sending', 0, $7, NULL, NULL, NULL, NULL, $7, $8)",
        )
        .bind(&msg.id)
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(count)
        .bind(&conv.id)
        .bind(conv.customer.phone.as_deref())
        .bind(*body)
        .bind(now)
        .bind(files.as_deref())
        .execute(&mut *tx)
        .await?;
    }
    Ok(Delivery {
        status: DeliveryStatus::Sending,
        attempts: 0,
        error: None,
        next_attempt_at: Some(tx.now),
        sent_at: None,
    })
}

/// One due part, as picked for sending.
#[derive(Debug, Clone)]
struct Due {
    message_id: String,
    part: i64,
    to_number: Option<String>,
    body: String,
    attempts: u32,
    /// The upload ids this part carries (`media`).
    attachments: Option<String>,
}

/// What one request came to.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Twilio took it (`201`), with its SID and status when it said them.
    Sent {
        sid: Option<String>,
        status: Option<String>,
    },
    Temporary(String),
    Permanent(String),
}

/// The outbox loop of one instance: sends while it holds the lease.
pub async fn run(store: Store, config: Arc<SmsConfig>, links: Arc<MediaConfig>, instance: String) {
    let Some(twilio) = config.twilio() else {
        // Replies wait in the outbox (`sending`) until an instance with
        // Twilio settings picks them up.
        tracing::info!("SMS outbox idle: the SWITCHBOARD_TWILIO_* settings are not set");
        return;
    };
    let client = match reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "SMS outbox disabled: cannot set up an HTTP client");
            return;
        }
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let holder = instance.clone();
        let picked = store
            .write(op(move |tx| {
                Box::pin(async move {
                    if !acquire_lease(tx, "sms_outbox", &holder, LEASE_TTL).await? {
                        return Ok(None);
                    }
                    pick_due(tx).await.map(Some)
                })
            }))
            .await;
        let due = match picked {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(AppError::ShuttingDown) => return,
            Err(e) => {
                tracing::warn!(error = %e, "SMS outbox: picking due replies failed; retrying");
                continue;
            }
        };
        for d in due {
            let carried = match &d.attachments {
                Some(ids) => Some(
                    media::carried(
                        store.reader(),
                        &links,
                        &twilio.public_url,
                        config.mms,
                        ids,
                        store.now(),
                    )
                    .await,
                ),
                None => None,
            };
            let outcome = match carried {
                Some(Err(e)) => Outcome::Temporary(e),
                Some(Ok(c)) => send_one(&client, &twilio, &d, Some(&c)).await,
                None => send_one(&client, &twilio, &d, None).await,
            };
            let base = config.retry_base;
            let max = config.max_attempts;
            let recorded = crate::outbox::record_send(&store, "sms", || {
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

/// Due parts whose earlier parts have all left, oldest first; each is marked
/// in flight.
async fn pick_due(tx: &mut Tx) -> AppResult<Vec<Due>> {
    let now = tx.now.timestamp_millis();
    let found = db::query(
        "SELECT o.message_id, o.part, o.to_number, o.body, o.attempts, o.attachments FROM sms_outbox o \
         WHERE o.status = 'sending' AND o.next_attempt_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM sms_outbox e WHERE e.message_id = o.message_id AND e.part < o.part AND e.status = 'sending') \
         ORDER BY o.next_attempt_at, o.message_id, o.part LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        let d = Due {
            message_id: r.try_get("message_id")?,
            part: r.try_get("part")?,
            to_number: r.try_get("to_number")?,
            body: r.try_get("body")?,
            attempts: u32::try_from(r.try_get::<i64, _>("attempts")?.max(0)).unwrap_or(u32::MAX),
            attachments: r.try_get("attachments")?,
        };
        db::query("UPDATE sms_outbox SET next_attempt_at = $1 WHERE message_id = $2 AND part = $3")
            .bind(now + IN_FLIGHT.num_milliseconds())
            .bind(&d.message_id)
            .bind(d.part)
            .execute(&mut *tx)
            .await?;
        out.push(d);
    }
    Ok(out)
}

/// Twilio's answer to a created message (the fields used).
#[derive(Debug, Deserialize)]
struct Created {
    sid: Option<String>,
    status: Option<String>,
}

/// Twilio's error body: `{code, message, more_info, status}`.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

/// `{public_url}/channels/sms/twilio/status?m=MESSAGE&p=PART`.
pub fn status_callback(public_url: &str, message_id: &str, part: i64) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("m", message_id)
        .append_pair("p", &part.to_string())
        .finish();
    format!("{public_url}/channels/sms/twilio/status?{query}")
}

fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

async fn send_one(
    client: &reqwest::Client,
    t: &Twilio,
    d: &Due,
    carried: Option<&Carried>,
) -> Outcome {
    let Some(to) = d.to_number.as_deref().filter(|n| !n.trim().is_empty()) else {
        return Outcome::Permanent("the customer has no phone number".into());
    };
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        t.api_base, t.account_sid
    );
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("To", to).append_pair("From", &t.from);
        match carried {
            None => {
                form.append_pair("Body", &d.body);
            }
            Some(Carried::Links(text)) => {
                form.append_pair("Body", text);
            }
            Some(Carried::Media(urls)) => {
                for u in urls {
                    form.append_pair("MediaUrl", u);
                }
            }
        }
        form.append_pair(
            "StatusCallback",
            &status_callback(&t.public_url, &d.message_id, d.part),
        )
        .finish()
    };
    let resp = client
        .post(&url)
        .basic_auth(&t.account_sid, Some(&t.auth_token))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .body(form)
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "the connection failed"
            };
            return Outcome::Temporary(format!("Twilio {what}: {}", e.without_url()));
        }
    };
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if status.is_success() {
        let created: Option<Created> = serde_json::from_str(&text).ok();
        let (sid, st) = created.map(|c| (c.sid, c.status)).unwrap_or((None, None));
        return Outcome::Sent {
            sid: sid.map(|s| clip(&s, 64)),
            status: st.map(|s| clip(&s, 32)),
        };
    }
    let err: Option<TwilioError> = serde_json::from_str(&text).ok();
    let detail = match err {
        Some(TwilioError {
            code: Some(code),
            message,
        }) => format!(
            "{} (Twilio error {code})",
            clip(message.as_deref().unwrap_or(""), 300)
        ),
        Some(TwilioError {
            code: None,
            message: Some(m),
        }) => clip(&m, 300),
        _ => clip(&text, 200),
    };
    match status.as_u16() {
        400 | 413 | 422 => Outcome::Permanent(format!("Twilio refused it: {detail}")),
        401 | 403 => Outcome::Temporary(format!(
            "Twilio refused the credentials ({status}): {detail}; check SWITCHBOARD_TWILIO_ACCOUNT_SID and SWITCHBOARD_TWILIO_AUTH_TOKEN"
        )),
        _ => Outcome::Temporary(format!("Twilio answered {status}: {detail}")),
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
    let current: Option<String> =
        db::query("SELECT status FROM sms_outbox WHERE message_id = $1 AND part = $2")
            .bind(&d.message_id)
            .bind(d.part)
            .fetch_optional_scalar(&mut *tx)
            .await?;
    let Some(current) = current else {
        return Ok(());
    };
    let (status, error, next, sid, provider_status) = match outcome {
        Outcome::Sent { sid, status } => ("sent", None, now, sid, status),
        Outcome::Permanent(e) => ("failed", Some(e), now, None, None),
        Outcome::Temporary(e) if attempts >= max_attempts => (
            "failed",
            Some(format!("gave up after {attempts} attempts: {e}")),
            now,
            None,
            None,
        ),
        Outcome::Temporary(e) => {
            let wait = i64::try_from(
                crate::outbox::backoff(base, attempts, crate::outbox::MAX_BACKOFF).as_millis(),
            )
            .unwrap_or(i64::MAX);
            ("sending", Some(e), now.saturating_add(wait), None, None)
        }
    };
    if current != "sending" {
        // A status callback settled it while the request was under way:
        // keep what Twilio said, note the SID.
        if let Some(sid) = sid {
            db::query(
                "UPDATE sms_outbox SET provider_sid = COALESCE(provider_sid, $1), attempts = $2, \
                 sent_at = COALESCE(sent_at, $3), updated_at = $3 WHERE message_id = $4 AND part = $5",
            )
            .bind(sid)
            .bind(i64::from(attempts))
            .bind(now)
            .bind(&d.message_id)
            .bind(d.part)
            .execute(&mut *tx)
            .await?;
        }
        return Ok(());
    }
    match &error {
        Some(e) => {
            tracing::warn!(message_id = %d.message_id, part = d.part, attempts, status, error = %e, "SMS reply not sent")
        }
        None => tracing::info!(message_id = %d.message_id, part = d.part, "SMS reply sent"),
    }
    db::query(
        "UPDATE sms_outbox SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4, \
         sent_at = $5, provider_sid = COALESCE(provider_sid, $6), provider_status = COALESCE(provider_status, $7), \
         updated_at = $8 WHERE message_id = $9 AND part = $10 AND status = 'sending'",
    )
    .bind(status)
    .bind(i64::from(attempts))
    .bind(error.as_deref())
    .bind(next)
    .bind((status == "sent").then_some(now))
    .bind(sid)
    .bind(provider_status)
    .bind(now)
    .bind(&d.message_id)
    .bind(d.part)
    .execute(&mut *tx)
    .await?;
    if status == "failed" {
        fail_later_parts(tx, &d.message_id, d.part).await?;
    }
    crate::outbox::announce(tx, &d.message_id).await
}

/// When a part failed, the parts after it are not sent: the customer would
/// read the end of a reply without its beginning.
pub async fn fail_later_parts(tx: &mut Tx, message_id: &str, part: i64) -> AppResult<()> {
    db::query(
        "UPDATE sms_outbox SET status = 'failed', last_error = $1, updated_at = $2 \
         WHERE message_id = $3 AND part > $4 AND status = 'sending'",
    )
    .bind(format!("not sent: part {} of this reply failed", part + 1))
    .bind(tx.now.timestamp_millis())
    .bind(message_id)
    .bind(part)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_names_the_part() {
        assert_eq!(
            status_callback("https://s.example.com", "0190abc", 2),
            "https://s.example.com/channels/sms/twilio/status?m=0190abc&p=2"
        );
    }
}
