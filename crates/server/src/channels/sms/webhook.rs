//! One Twilio webhook request, checked: the body read as the list of posted
//! pairs (all of them, in order, for the signature), and `X-Twilio-Signature`
//! verified over `SWITCHBOARD_PUBLIC_URL` + the request's path and query —
//! never over the `Host` header, which the sender controls.
//!
//! Refusals: no signature or a wrong one → 403 `invalid_signature`; a body
//! that is not a form → 400 `unsupported_media_type`; over 256 KiB → 413.
//! Nothing is stored before all of these pass.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode, Uri};

use super::signature;
use super::Twilio;
use crate::error::{AppError, AppResult};

/// The signature header.
pub const HEADER: &str = "x-twilio-signature";

/// The posted parameters of a verified request.
#[derive(Debug, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first value of `name`, if posted.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, which must be posted and not blank: else 422 `missing_field`.
    pub fn required(&self, name: &str) -> AppResult<&str> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                AppError::invalid("missing_field", format!("the `{name}` field is missing"))
            })
    }
}

/// The body, or 413 / 400.
pub fn body(body: Result<Bytes, BytesRejection>) -> AppResult<Bytes> {
    body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(super::MAX_WEBHOOK_BODY)
        } else {
            AppError::bad_request("invalid_body", rej.body_text())
        }
    })
}

/// The URL Twilio signed for this request.
pub fn signed_url(public_url: &str, uri: &Uri) -> String {
    let mut url = format!("{}{}", public_url.trim_end_matches('/'), uri.path());
    if let Some(q) = uri.query() {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// Checks the request and returns its parameters.
pub fn verify(twilio: &Twilio, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> AppResult<Params> {
    let given = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            AppError::forbidden(
                "invalid_signature",
                "the X-Twilio-Signature header is missing",
            )
        })?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(AppError::bad_request(
            "unsupported_media_type",
            "send the parameters form-encoded (Content-Type: application/x-www-form-urlencoded), as Twilio does",
        ));
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let url = signed_url(&twilio.public_url, uri);
    if !signature::verify(&twilio.auth_token, &url, &params, given) {
        tracing::warn!(%url, "SMS webhook refused: the signature does not match");
        return Err(AppError::forbidden(
            "invalid_signature",
            "X-Twilio-Signature does not match this request; check SWITCHBOARD_PUBLIC_URL \
             (it must be the address configured in Twilio) and the auth token",
        ));
    }
    Ok(Params(params))
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_url_is_the_public_url_plus_path_and_query() {
        let uri: Uri = "/channels/sms/twilio?x=1&y=2".parse().unwrap();
        assert_eq!(
            signed_url("https://support.example.com/", &uri),
            "https://support.example.com/channels/sms/twilio?x=1&y=2"
        );
        let uri: Uri = "/channels/sms/twilio".parse().unwrap();
        assert_eq!(
            signed_url("https://example.com/switchboard", &uri),
            "https://example.com/switchboard/channels/sms/twilio"
        );
    }
}
