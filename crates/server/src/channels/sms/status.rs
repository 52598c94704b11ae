//! Delivery reports: `POST /channels/sms/twilio/status`, Twilio's status
//! callback for the texts we sent (signed like every webhook).
//!
//! The part is found by the `m`/`p` query the outbox put in the callback URL
//! (covered by the signature), else by `MessageSid`. Twilio's
//! `MessageStatus` moves its state forward only — callbacks can arrive out of
//! order, and a late `sent` never undoes `delivered`:
//!
//! | Twilio | delivery |
//! |---|---|
//! | `accepted`, `scheduled`, `queued`, `sending`, `sent` | `sent` |
//! | `delivered`, `read` | `delivered` |
//! | `undelivered`, `failed`, `canceled` | `failed`, with `ErrorCode`/`ErrorMessage` |
//!
//! Any other status is recorded as the provider's status and changes
//! nothing. The answer is 204; 404 `not_found` when no part matches.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use switchboard_api::DeliveryStatus;

use super::outbound::fail_later_parts;
use super::webhook::{self, Params};
use super::SmsConfig;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::outbox::announce;
use crate::store::db::{self};
use crate::store::{op, Tx};

/// What a Twilio `MessageStatus` means for the delivery.
pub fn delivery_for(twilio_status: &str) -> Option<DeliveryStatus> {
    match twilio_status {
        "accepted" | "scheduled" | "queued" | "sending" | "sent" => Some(DeliveryStatus::Sent),
        "delivered" | "read" => Some(DeliveryStatus::Delivered),
        "undelivered" | "failed" | "canceled" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

fn rank(s: DeliveryStatus) -> u8 {
    match s {
        DeliveryStatus::Sending => 0,
        DeliveryStatus::Sent => 1,
        DeliveryStatus::Delivered | DeliveryStatus::Failed => 2,
    }
}

/// Whether a part in state `from` moves to `to`.
pub fn moves(from: DeliveryStatus, to: DeliveryStatus) -> bool {
    rank(to) > rank(from)
}

/// One status report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The part named in the callback URL, if any.
    pub part: Option<(String, i64)>,
    /// `MessageSid`.
    pub sid: String,
    /// `MessageStatus`.
    pub status: String,
    /// `ErrorCode`, `ErrorMessage`.
    pub error: Option<String>,
}

impl Report {
    fn from_request(uri: &Uri, params: &Params) -> AppResult<Self> {
        let sid = params.required("MessageSid")?.trim();
        let status = params
            .required("MessageStatus")?
            .trim()
            .to_ascii_lowercase();
        if sid.len() > 64
            || status.len() > 32
            || !status.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(AppError::invalid(
                "invalid_field",
                "`MessageSid` or `MessageStatus` is not a valid value",
            ));
        }
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let part = match (q("m"), q("p").and_then(|p| p.parse::<i64>().ok())) {
            (Some(m), Some(p)) => Some((m, p)),
            _ => None,
        };
        let code = params
            .get("ErrorCode")
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let message = params
            .get("ErrorMessage")
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let error = match (code, message) {
            (None, None) => None,
            (Some(c), None) => Some(format!("Twilio error {}", clip(c))),
            (None, Some(m)) => Some(clip(m)),
            (Some(c), Some(m)) => Some(format!("{} (Twilio error {})", clip(m), clip(c))),
        };
        Ok(Self {
            part,
            sid: sid.to_owned(),
            status,
            error,
        })
    }
}

fn clip(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// `POST /channels/sms/twilio/status`: 204 once recorded; 403
/// `invalid_signature`, 404 `not_found`, 422 for missing fields, 503
/// `sms_not_configured`.
#[utoipa::path(
    post,
    path = "/channels/sms/twilio/status",
    tag = "channels",
    request_body(content = TwilioStatusForm, content_type = "application/x-www-form-urlencoded",
        description = "Twilio's status callback for a text we sent"),
    params(("X-Twilio-Signature" = String, Header, description = "As for /channels/sms/twilio")),
    responses(
        (status = 204, description = "Recorded on the message's `delivery`"),
        (status = 403, description = "`invalid_signature`", body = switchboard_api::ErrorBody),
        (status = 404, description = "`not_found`: no text of ours has this SID", body = switchboard_api::ErrorBody),
        (status = 422, description = "`missing_field`, `invalid_field`", body = switchboard_api::ErrorBody),
        (status = 503, description = "`sms_not_configured`", body = switchboard_api::ErrorBody),
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
    let result = async {
        let body = webhook::body(body)?;
        let params = webhook::verify(&twilio, &uri, &headers, &body)?;
        let report = Report::from_request(&uri, &params)?;
        // Twilio does not retry a status callback either: spooled when the
        // database cannot take it.
        let record = crate::channels::spooled::sms_status_record(&report);
        let write = st.store.write(op(move |tx| {
            Box::pin(async move { apply(tx, report).await })
        }));
        crate::channels::spooled::store_or_spool(&st, record, write).await
    }
    .await;
    match result {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Records one report on its part.
pub async fn apply(tx: &mut Tx, report: Report) -> AppResult<()> {
    let mut found = None;
    if let Some((m, p)) = &report.part {
        found = db::query(
            "SELECT message_id, part, status FROM sms_outbox WHERE message_id = $1 AND part = $2",
        )
        .bind(m)
        .bind(p)
        .fetch_optional(&mut *tx)
        .await?;
    }
    if found.is_none() {
        found =
            db::query("SELECT message_id, part, status FROM sms_outbox WHERE provider_sid = $1")
                .bind(&report.sid)
                .fetch_optional(&mut *tx)
                .await?;
    }
    let row = found.ok_or(AppError::NotFound("message"))?;
    let message_id: String = row.try_get("message_id")?;
    let part: i64 = row.try_get("part")?;
    let current: String = row.try_get("status")?;
    let current = DeliveryStatus::parse(&current).ok_or_else(|| {
        AppError::Internal(format!("stored delivery status `{current}` is invalid"))
    })?;
    let now = tx.now.timestamp_millis();
    let target = delivery_for(&report.status).filter(|t| moves(current, *t));
    tracing::info!(%message_id, part, twilio_status = %report.status, "SMS status reported");
    match target {
        None => {
            db::query(
                "UPDATE sms_outbox SET provider_status = $1, provider_sid = COALESCE(provider_sid, $2), updated_at = $3 \
                 WHERE message_id = $4 AND part = $5",
            )
            .bind(&report.status)
            .bind(&report.sid)
            .bind(now)
            .bind(&message_id)
            .bind(part)
            .execute(&mut *tx)
            .await?;
            Ok(())
        }
        Some(to) => {
            let error = (to == DeliveryStatus::Failed).then(|| {
                let why = report
                    .error
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                format!("Twilio reported it {}: {why}", report.status)
            });
            db::query(
                "UPDATE sms_outbox SET status = $1, provider_status = $2, provider_sid = COALESCE(provider_sid, $3), \
                 last_error = $4, sent_at = COALESCE(sent_at, $5), updated_at = $5 WHERE message_id = $6 AND part = $7",
            )
            .bind(to.as_str())
            .bind(&report.status)
            .bind(&report.sid)
            .bind(error.as_deref())
            .bind(now)
            .bind(&message_id)
            .bind(part)
            .execute(&mut *tx)
            .await?;
            if to == DeliveryStatus::Failed {
                fail_later_parts(tx, &message_id, part).await?;
            }
            announce(tx, &message_id).await
        }
    }
}

/// The fields of Twilio's status callback that are read, for the OpenAPI document.
#[allow(non_snake_case, dead_code)]
#[derive(utoipa::ToSchema)]
pub struct TwilioStatusForm {
    /// The SID of the message we sent.
    MessageSid: String,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed`, …
    MessageStatus: String,
    /// Twilio's error code for `undelivered`/`failed`.
    ErrorCode: Option<String>,
    /// Twilio's error text, when it sends one.
    ErrorMessage: Option<String>,
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::*;

    #[test]
    fn twilio_statuses_map_and_only_move_forward() {
        assert_eq!(delivery_for("queued"), Some(Sent));
        assert_eq!(delivery_for("delivered"), Some(Delivered));
        assert_eq!(delivery_for("undelivered"), Some(Failed));
        assert_eq!(delivery_for("received"), None);
        assert!(moves(Sending, Sent));
        assert!(moves(Sent, Delivered));
        assert!(moves(Sent, Failed));
        assert!(
            !moves(Delivered, Sent),
            "a late `sent` does not undo `delivered`"
        );
        assert!(!moves(Sent, Sent));
        assert!(!moves(Failed, Delivered));
    }

    #[test]
    fn the_part_comes_from_the_signed_query() {
        let uri: Uri = "/channels/sms/twilio/status?m=0190ab&p=1".parse().unwrap();
        let params = Params(vec![
            ("MessageSid".into(), "SM1".into()),
            ("MessageStatus".into(), "undelivered".into()),
            ("ErrorCode".into(), "30003".into()),
        ]);
        let r = Report::from_request(&uri, &params).unwrap();
        assert_eq!(r.part, Some(("0190ab".into(), 1)));
        assert_eq!(r.error.as_deref(), Some("Twilio error 30003"));
        let missing = Params(vec![("MessageSid".into(), "SM1".into())]);
        assert!(matches!(
            Report::from_request(&uri, &missing),
            Err(AppError::Invalid {
                code: "missing_field",
                ..
            })
        ));
    }
}
