//! Inbound texts: `POST /channels/sms/twilio`.
//!
//! After the signature ([`super::webhook`]), the fields are read into an
//! [`InboundText`] (422 with the field's name when one is missing or
//! malformed, before anything is stored), then stored in one transaction:
//!
//! - a `MessageSid` already stored is answered as before, writing nothing;
//! - the sender's latest SMS conversation takes the text while it is open
//!   (queued or assigned); a resolved one is reopened by the inbox's rule
//!   (back to its last agent if available with room, else the queue), as for
//!   any customer message ([`crate::ops::customer_message`]);
//! - otherwise a new `sms` conversation is started, auto-categorized.
//!
//! Media (`NumMedia`, `MediaUrl0…`, `MediaContentType0…`) become lines
//! `[Media: TYPE URL]` under the text: agents open them at Twilio. The answer
//! is empty TwiML, so Twilio sends nothing back by itself.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Serialize;
use switchboard_api::Customer;
use switchboard_core::categorize::Categorizer;
use switchboard_core::{Channel, MessageKind};

use super::webhook::{self, Params};
use super::SmsConfig;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::ops::{self, Ingest};
use crate::store::db;
use crate::store::{op, Tx};

/// The answer Twilio gets: no reply of its own.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// Twilio attaches at most 10 media to one message.
const MAX_MEDIA: usize = 10;

/// One text as Twilio posted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundText {
    /// `MessageSid` (`SM…`/`MM…`): the idempotency key.
    pub message_sid: String,
    /// `From`: the customer's number.
    pub from: String,
    /// `To`: our number.
    pub to: Option<String>,
    /// `Body`, with media links appended.
    pub text: String,
}

fn short_token(params: &Params, name: &str, max: usize) -> AppResult<String> {
    let v = params.required(name)?.trim();
    if v.len() > max || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(AppError::invalid(
            "invalid_field",
            format!("the `{name}` field is not a valid value"),
        ));
    }
    Ok(v.to_owned())
}

impl InboundText {
    /// Reads and checks the fields.
    pub fn from_params(params: &Params) -> AppResult<Self> {
        let message_sid = short_token(params, "MessageSid", 64)?;
        if !message_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AppError::invalid(
                "invalid_field",
                "the `MessageSid` field is not a Twilio message SID",
            ));
        }
        let from = short_token(params, "From", 64)?;
        let to = params
            .get("To")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        // NUL cannot be stored as text by every backend; nothing else is touched.
        let body = params.get("Body").unwrap_or("").replace('\0', "\u{FFFD}");
        let num_media = match params.get("NumMedia").map(str::trim) {
            None | Some("") => 0,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_MEDIA)
                .ok_or_else(|| {
                    AppError::invalid(
                        "invalid_field",
                        format!("the `NumMedia` field must be a number from 0 to {MAX_MEDIA}"),
                    )
                })?,
        };
        let mut media = Vec::with_capacity(num_media);
        for i in 0..num_media {
            let url = params.required(&format!("MediaUrl{i}"))?.trim();
            let parsed = url::Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"));
            if parsed.is_none() {
                return Err(AppError::invalid(
                    "invalid_field",
                    format!("the `MediaUrl{i}` field is not an http(s) URL"),
                ));
            }
            let kind = params
                .get(&format!("MediaContentType{i}"))
                .map(|t| t.trim().replace(char::is_control, ""))
                .filter(|t| !t.is_empty() && t.len() <= 100)
                .unwrap_or_else(|| "media".into());
            media.push(format!("[Media: {kind} {url}]"));
        }
        let mut text = body.trim_end().to_owned();
        if !media.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&media.join("\n"));
        }
        if text.trim().is_empty() {
            return Err(AppError::invalid(
                "empty_message",
                "the text has neither a `Body` nor media",
            ));
        }
        if text.len() > ops::MAX_BODY_BYTES {
            return Err(AppError::invalid(
                "body_too_long",
                format!("messages are limited to {} bytes", ops::MAX_BODY_BYTES),
            ));
        }
        Ok(Self {
            message_sid,
            from,
            to,
            text,
        })
    }
}

/// What became of an inbound text.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// The conversation it is in.
    pub conversation_id: String,
    /// Our message id.
    pub message_id: String,
    /// A new conversation was started.
    pub created: bool,
    /// This `MessageSid` was already stored: nothing new was written.
    pub duplicate: bool,
}

/// `POST /channels/sms/twilio`: 200 with empty TwiML once stored (or already
/// stored, or kept in the spool while the database is away); 403
/// `invalid_signature`, 400/413 for a body that is no form, 422 for missing
/// or malformed fields, 503 `sms_not_configured`, or `unavailable` when the
/// database is away and the text could not be spooled either.
#[utoipa::path(
    post,
    path = "/channels/sms/twilio",
    tag = "channels",
    request_body(content = TwilioInboundForm, content_type = "application/x-www-form-urlencoded",
        description = "Twilio's incoming-message webhook; every posted field is covered by the signature"),
    params(("X-Twilio-Signature" = String, Header, description = "Base64 HMAC-SHA1 of SWITCHBOARD_PUBLIC_URL + path + query + the sorted fields, keyed with the auth token")),
    responses(
        (status = 200, description = "Stored (or already stored, or spooled on disk while the database is away): empty TwiML", content_type = "text/xml", body = String),
        (status = 400, description = "Not a form", body = switchboard_api::ErrorBody),
        (status = 403, description = "`invalid_signature`: missing or wrong signature; nothing stored", body = switchboard_api::ErrorBody),
        (status = 413, description = "Body over 256 KiB", body = switchboard_api::ErrorBody),
        (status = 422, description = "`missing_field`, `invalid_field`, `empty_message`", body = switchboard_api::ErrorBody),
        (status = 503, description = "`sms_not_configured`; `unavailable` when neither the database nor the spool can take the text", body = switchboard_api::ErrorBody),
    )
)]
pub async fn endpoint(
    State(st): State<AppState>,
    Extension(config): Extension<Arc<SmsConfig>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(twilio) = config.twilio() else {
        return super::not_configured();
    };
    let checked = async {
        let body = webhook::body(body)?;
        let params = webhook::verify(&twilio, &uri, &headers, &body)?;
        InboundText::from_params(&params)
    }
    .await;
    let text = match checked {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    // Twilio never retries an inbound webhook: when the database cannot take
    // the text, the spool does.
    let record = crate::channels::spooled::sms_record(&text);
    match crate::channels::spooled::store_or_spool(&st, record, receive(&st, text)).await {
        Ok(Some(r)) => {
            tracing::info!(conversation_id = %r.conversation_id, created = r.created, duplicate = r.duplicate, "SMS received");
            twiml()
        }
        Ok(None) => twiml(),
        Err(e) => e.into_response(),
    }
}

/// 200 with the empty TwiML document.
pub fn twiml() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        EMPTY_TWIML,
    )
        .into_response()
}

/// Stores one checked text (see the module docs).
pub async fn receive(st: &AppState, text: InboundText) -> AppResult<Received> {
    let categorizer = st.categorizer().await?;
    st.store
        .write(op(move |tx| {
            Box::pin(async move { store(tx, text, &categorizer).await })
        }))
        .await
}

async fn store(tx: &mut Tx, text: InboundText, categorizer: &Categorizer) -> AppResult<Received> {
    if let Some(r) =
        db::query("SELECT conversation_id, message_id FROM sms_inbound WHERE message_sid = $1")
            .bind(&text.message_sid)
            .fetch_optional(&mut *tx)
            .await?
    {
        return Ok(Received {
            conversation_id: r.try_get("conversation_id")?,
            message_id: r.try_get("message_id")?,
            created: false,
            duplicate: true,
        });
    }
    let latest: Option<String> = db::query(
        "SELECT id FROM conversations WHERE customer_phone = $1 AND channel = 'sms' \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(&text.from)
    .fetch_optional_scalar(&mut *tx)
    .await?;
    let (conversation_id, message_id, created) = match latest {
        Some(id) => {
            let msg = ops::customer_message(tx, &id, &text.text).await?;
            (id, msg.id, false)
        }
        None => {
            let conv = ops::create_conversation(
                tx,
                Ingest {
                    channel: Channel::Sms,
                    customer: Customer {
                        name: None,
                        email: None,
                        phone: Some(text.from.clone()),
                    },
                    subject: format!("SMS from {}", text.from),
                    body: text.text.clone(),
                    category_id: None,
                },
                categorizer,
            )
            .await?;
            let first = conv
                .messages
                .iter()
                .find(|m| m.kind == MessageKind::Customer)
                .map(|m| m.id.clone())
                .ok_or_else(|| AppError::Internal("new conversation without its message".into()))?;
            (conv.summary.id, first, true)
        }
    };
    db::query(
        "INSERT INTO sms_inbound (message_sid, conversation_id, message_id, from_number, to_number, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&text.message_sid)
    .bind(&conversation_id)
    .bind(&message_id)
    .bind(&text.from)
    .bind(&text.to)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    Ok(Received {
        conversation_id,
        message_id,
        created,
        duplicate: false,
    })
}

/// The fields of Twilio's incoming-message webhook that are read (others
/// may be posted and are signed too), for the OpenAPI document.
#[allow(non_snake_case, dead_code)]
#[derive(utoipa::ToSchema)]
pub struct TwilioInboundForm {
    /// The message's SID: the same SID twice is one message.
    MessageSid: String,
    /// The sender's number (E.164): the customer.
    From: String,
    /// Our number.
    To: Option<String>,
    /// The text.
    Body: Option<String>,
    /// How many media are attached (0–10).
    NumMedia: Option<String>,
    /// Link to medium 0 (likewise `MediaUrl1`…).
    MediaUrl0: Option<String>,
    /// Its content type (likewise `MediaContentType1`…).
    MediaContentType0: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(p: &[(&str, &str)]) -> Params {
        Params(
            p.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn a_plain_text_reads() {
        let t = InboundText::from_params(&params(&[
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("From", "+14155550100"),
            ("To", "+15005550006"),
            ("Body", "Where is my order?\n"),
            ("NumMedia", "0"),
        ]))
        .unwrap();
        assert_eq!(t.from, "+14155550100");
        assert_eq!(t.to.as_deref(), Some("+15005550006"));
        assert_eq!(t.text, "Where is my order?");
    }

    #[test]
    fn media_become_links() {
        let t = InboundText::from_params(&params(&[
            ("MessageSid", "MM1"),
            ("From", "+14155550100"),
            ("Body", "photo of the damage"),
            ("NumMedia", "2"),
            (
                "MediaUrl0",
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            ),
            ("MediaContentType0", "image/jpeg"),
            (
                "MediaUrl1",
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
            ),
        ]))
        .unwrap();
        assert_eq!(
            t.text,
            "photo of the damage\n\n\
             [Media: image/jpeg https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1]\n\
             [Media: media https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2]"
        );
        // Media alone are a message.
        let t = InboundText::from_params(&params(&[
            ("MessageSid", "MM2"),
            ("From", "+14155550100"),
            ("Body", ""),
            ("NumMedia", "1"),
            ("MediaUrl0", "https://example.com/a.png"),
        ]))
        .unwrap();
        assert_eq!(t.text, "[Media: media https://example.com/a.png]");
    }

    fn refusal(p: &[(&str, &str)]) -> (&'static str, String) {
        match InboundText::from_params(&params(p)) {
            Err(AppError::Invalid { code, message }) => (code, message),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let (code, msg) = refusal(&[("From", "+1"), ("Body", "hi")]);
        assert_eq!(code, "missing_field");
        assert!(msg.contains("MessageSid"));
        let (code, msg) = refusal(&[("MessageSid", "SM1"), ("Body", "hi")]);
        assert_eq!(code, "missing_field");
        assert!(msg.contains("From"));
        let (code, _) = refusal(&[("MessageSid", "SM 1"), ("From", "+1"), ("Body", "hi")]);
        assert_eq!(code, "invalid_field");
        let (code, msg) = refusal(&[("MessageSid", "SM1"), ("From", "+1"), ("NumMedia", "lots")]);
        assert_eq!(code, "invalid_field");
        assert!(msg.contains("NumMedia"));
        let (code, msg) = refusal(&[("MessageSid", "SM1"), ("From", "+1"), ("NumMedia", "1")]);
        assert_eq!(code, "missing_field");
        assert!(msg.contains("MediaUrl0"));
        let (code, _) = refusal(&[
            ("MessageSid", "SM1"),
            ("From", "+1"),
            ("NumMedia", "1"),
            ("MediaUrl0", "javascript:alert(1)"),
        ]);
        assert_eq!(code, "invalid_field");
        let (code, _) = refusal(&[("MessageSid", "SM1"), ("From", "+1"), ("Body", "  ")]);
        assert_eq!(code, "empty_message");
    }

    #[test]
    fn nul_is_replaced_not_refused() {
        let t = InboundText::from_params(&params(&[
            ("MessageSid", "SM1"),
            ("From", "+1"),
            ("Body", "a\0b"),
        ]))
        .unwrap();
        assert_eq!(t.text, "a\u{FFFD}b");
    }
}
