//! Inbound email: `POST /channels/email/inbound` and [`receive`], the one
//! path every inbound message takes (the IMAP poller uses it too).
//!
//! Mail that threads into an existing conversation but comes from an
//! address other than the conversation's customer's (someone on Cc, a
//! colleague who was forwarded the thread, anyone who saw the token) is
//! stored in that conversation as what it is: its author is the real sender
//! (name and address), it is flagged `from_other_address` with the address
//! in `from_address`, and it is never attributed to the customer. The
//! conversation's customer does not change, so replies still go to them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use base64::Engine;
use rand::Rng;
use serde::Serialize;
use switchboard_api::Customer;
use switchboard_core::categorize::Categorizer;
use switchboard_core::{Channel, MessageKind};

use super::parse::{self, ParsedEmail};
use super::EmailConfig;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::ops::{self, new_id, Ingest, OtherSender};
use crate::store::db::{self};
use crate::store::{op, Tx};

/// What became of an inbound message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Received {
    /// The conversation it is in.
    pub conversation_id: String,
    /// Our message id (absent when the Message-ID is one we sent ourselves).
    pub message_id: Option<String>,
    /// Its Message-ID.
    pub rfc_message_id: String,
    /// True when a new conversation was started.
    pub created: bool,
    /// True when this Message-ID was already stored: nothing new was written.
    pub duplicate: bool,
}

/// `POST /channels/email/inbound`: one raw RFC 5322 message as the body,
/// `X-Switchboard-Secret` must equal the configured secret (403 otherwise,
/// creating nothing). 201 with a new message, 200 for a Message-ID already
/// stored, 413 above 25 MiB.
#[utoipa::path(
    post,
    path = "/channels/email/inbound",
    tag = "channels",
    request_body(content = String, content_type = "message/rfc822",
        description = "One raw RFC 5322 message, as received"),
    params(("X-Switchboard-Secret" = String, Header, description = "SWITCHBOARD_EMAIL_INBOUND_SECRET")),
    responses(
        (status = 201, description = "Stored as a new message", body = Received),
        (status = 200, description = "This Message-ID was already stored: nothing new written", body = Received),
        (status = 400, description = "`empty_body`, `invalid_body`", body = switchboard_api::ErrorBody),
        (status = 403, description = "`invalid_secret`: nothing stored", body = switchboard_api::ErrorBody),
        (status = 413, description = "Over 25 MiB", body = switchboard_api::ErrorBody),
    )
)]
pub async fn endpoint(
    State(st): State<AppState>,
    Extension(config): Extension<Arc<EmailConfig>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Received>), AppError> {
    let given = headers
        .get("x-switchboard-secret")
        .map(|v| v.as_bytes())
        .unwrap_or(b"");
    let expected = config.inbound_secret.as_deref().unwrap_or("").as_bytes();
    if !super::super::secret_matches(given, expected) {
        return Err(AppError::forbidden(
            "invalid_secret",
            "missing or wrong X-Switchboard-Secret",
        ));
    }
    let body = body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(super::MAX_RAW_MESSAGE)
        } else {
            AppError::bad_request("invalid_body", rej.body_text())
        }
    })?;
    if body.is_empty() {
        return Err(AppError::bad_request(
            "empty_body",
            "send the raw RFC 5322 message as the request body",
        ));
    }
    let received = receive(&st, body.to_vec()).await?;
    let status = if received.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(received)))
}

/// Parses and stores one raw message: into its conversation when it is a
/// reply we can place, else as a new `email` conversation.
pub async fn receive(st: &AppState, raw: Vec<u8>) -> AppResult<Received> {
    let categorizer = st.categorizer().await?;
    let parsed = tokio::task::spawn_blocking(move || parse::parse(&raw))
        .await
        .map_err(|e| AppError::Internal(format!("email parser task: {e}")))?;
    st.store
        .write(op(move |tx| {
            Box::pin(async move { store_parsed(tx, parsed, &categorizer).await })
        }))
        .await
}

/// Stores a parsed message inside one transaction.
pub async fn store_parsed(
    tx: &mut Tx,
    mail: ParsedEmail,
    categorizer: &Categorizer,
) -> AppResult<Received> {
    // The same Message-ID again (or one of our own replies coming back): nothing new.
    if let Some(r) = db::query(
        "SELECT conversation_id, message_id, direction FROM email_messages WHERE rfc_id = $1",
    )
    .bind(&mail.message_id)
    .fetch_optional(&mut *tx)
    .await?
    {
        return Ok(Received {
            conversation_id: r.try_get("conversation_id")?,
            message_id: r.try_get("message_id")?,
            rfc_message_id: mail.message_id,
            created: false,
            duplicate: true,
        });
    }
    let existing = find_thread(tx, &mail).await?;
    // What each file is, from its bytes: the sender's word is not taken.
    let mut mail = mail;
    for a in &mut mail.attachments {
        a.content_type = crate::ops::uploads::sniff::sniff(&a.data);
    }
    let attachment_ids: Vec<String> = mail.attachments.iter().map(|_| new_id()).collect();
    let (conversation_id, message_id, created) = match existing {
        Some(conv_id) => {
            let other = other_sender(tx, &conv_id, &mail).await?;
            let body =
                with_attachment_lines(&parse::strip_quoted(&mail.body), &mail, &attachment_ids);
            let msg = ops::customer_message_from(tx, &conv_id, &body, other.as_ref()).await?;
            (conv_id, msg.id, false)
        }
        None => {
            let body = with_attachment_lines(&mail.body, &mail, &attachment_ids);
            let conv = ops::create_conversation(
                tx,
                Ingest {
                    channel: Channel::Email,
                    customer: Customer {
                        name: mail.from_name.clone(),
                        email: mail.from_email.clone(),
                        phone: None,
                    },
                    subject: mail.subject.clone(),
                    body,
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
            thread_token(tx, &conv.summary.id).await?;
            (conv.summary.id, first, true)
        }
    };
    db::query(
        "INSERT INTO email_messages (rfc_id, conversation_id, message_id, direction, created_at) VALUES ($1, $2, $3, 'in', $4)",
    )
    .bind(&mail.message_id)
    .bind(&conversation_id)
    .bind(&message_id)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    for (a, id) in mail.attachments.iter().zip(&attachment_ids) {
        db::query(
            "INSERT INTO attachments (id, conversation_id, message_id, filename, content_type, size, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(&conversation_id)
        .bind(&message_id)
        .bind(&a.filename)
        .bind(&a.content_type)
        .bind(i64::try_from(a.data.len()).unwrap_or(i64::MAX))
        .bind(b64.encode(&a.data))
        .bind(tx.now.timestamp_millis())
        .execute(&mut *tx)
        .await?;
    }
    if !attachment_ids.is_empty() {
        // The message was logged before its files: log it again with them.
        crate::outbox::announce(tx, &message_id).await?;
    }
    Ok(Received {
        conversation_id,
        message_id: Some(message_id),
        rfc_message_id: mail.message_id,
        created,
        duplicate: false,
    })
}

/// The conversation a reply belongs to: by the Message-IDs it answers, else
/// by the reply token.
async fn find_thread(tx: &mut Tx, mail: &ParsedEmail) -> AppResult<Option<String>> {
    for id in &mail.thread_ids {
        let found: Option<String> =
            db::query("SELECT conversation_id FROM email_messages WHERE rfc_id = $1")
                .bind(id)
                .fetch_optional_scalar(&mut *tx)
                .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(token) = parse::reply_token(&mail.subject, &mail.recipients) {
        let found: Option<String> =
            db::query("SELECT conversation_id FROM email_threads WHERE token = $1")
                .bind(&token)
                .fetch_optional_scalar(&mut *tx)
                .await?;
        return Ok(found);
    }
    Ok(None)
}

/// Who sent mail that threaded into `conversation_id`, when it is not the
/// conversation's customer: `None` when its From address is the customer's
/// (compared without regard to case), else the sender as the mail names
/// them. Mail naming no address, or into a conversation whose customer has
/// none, cannot be told to be the customer's, so it counts as another's.
async fn other_sender(
    tx: &mut Tx,
    conversation_id: &str,
    mail: &ParsedEmail,
) -> AppResult<Option<OtherSender>> {
    let conv = crate::rows::conversation(&mut *tx, conversation_id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    if let (Some(from), Some(customer)) = (&mail.from_email, &conv.customer.email) {
        if from.trim().eq_ignore_ascii_case(customer.trim()) {
            return Ok(None);
        }
    }
    Ok(Some(OtherSender {
        author: sender_label(mail.from_name.as_deref(), mail.from_email.as_deref()),
        address: mail.from_email.clone(),
    }))
}

/// `Name <address>`, or what of it the mail gave.
fn sender_label(name: Option<&str>, address: Option<&str>) -> String {
    match (name, address) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.to_owned(),
        (Some(n), None) => format!("{n} (no address)"),
        (None, None) => "Unknown sender (no address)".to_owned(),
    }
}

/// The conversation's reply token, made on first use.
pub async fn thread_token(tx: &mut Tx, conversation_id: &str) -> AppResult<String> {
    if let Some(t) = db::query("SELECT token FROM email_threads WHERE conversation_id = $1")
        .bind(conversation_id)
        .fetch_optional_scalar::<String>(&mut *tx)
        .await?
    {
        return Ok(t);
    }
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    loop {
        let token: String = {
            let mut rng = rand::thread_rng();
            (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect()
        };
        let taken: Option<String> =
            db::query("SELECT conversation_id FROM email_threads WHERE token = $1")
                .bind(&token)
                .fetch_optional_scalar(&mut *tx)
                .await?;
        if taken.is_none() {
            db::query(
                "INSERT INTO email_threads (conversation_id, token, created_at) VALUES ($1, $2, $3)",
            )
            .bind(conversation_id)
            .bind(&token)
            .bind(tx.now.timestamp_millis())
            .execute(&mut *tx)
            .await?;
            return Ok(token);
        }
    }
}

fn with_attachment_lines(body: &str, mail: &ParsedEmail, ids: &[String]) -> String {
    if mail.attachments.is_empty() {
        return body.to_owned();
    }
    let mut out = body.to_owned();
    out.push('\n');
    for (a, id) in mail.attachments.iter().zip(ids) {
        out.push_str(&format!(
            "\n[Attachment: {} ({}, {}) /api/v1/attachments/{}]",
            a.filename,
            a.content_type,
            human_size(a.data.len()),
            id
        ));
    }
    out
}

fn human_size(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::sender_label;

    #[test]
    fn a_sender_is_labelled_with_name_and_address() {
        assert_eq!(
            sender_label(Some("Olga Other"), Some("olga@example.com")),
            "Olga Other <olga@example.com>"
        );
        assert_eq!(
            sender_label(None, Some("olga@example.com")),
            "olga@example.com"
        );
        assert_eq!(sender_label(Some("Olga"), None), "Olga (no address)");
        assert_eq!(sender_label(None, None), "Unknown sender (no address)");
    }
}
