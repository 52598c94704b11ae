//! Extractors whose rejections become [`AppError`]s, and [`Auth`], the
//! caller behind a bearer token.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::caller::Caller;
use crate::error::AppError;

use super::{caller_for_token, AppState, MAX_JSON_BODY};

/// A JSON body whose rejections become [`AppError`]s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_guess_free::Essence>().ok())
            .is_some_and(|m| m.is_json());
        if !json_type {
            return Err(AppError::bad_request(
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge(MAX_JSON_BODY)
                } else {
                    AppError::bad_request("invalid_body", rej.body_text())
                }
            })?;
        // NUL cannot be stored as text by every backend and never belongs in
        // support text: refuse it clearly instead of failing later.
        if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
            return Err(AppError::invalid(
                "invalid_text",
                "text may not contain NUL characters (\\u0000)",
            ));
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(json_rejection)
    }
}

/// `Content-Type` essence check without pulling in a MIME crate: `application/json`
/// or any `application/*+json`, parameters ignored.
mod mime_guess_free {
    pub struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            Ok(Essence(
                s.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase(),
            ))
        }
    }

    impl Essence {
        pub fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    match &rej {
        JsonRejection::JsonDataError(e) => AppError::invalid("invalid_body", e.body_text()),
        JsonRejection::JsonSyntaxError(e) => AppError::bad_request("malformed_json", e.body_text()),
        JsonRejection::MissingJsonContentType(_) => AppError::bad_request(
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(_) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::TooLarge(MAX_JSON_BODY)
        }
        _ if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(MAX_JSON_BODY),
        _ => AppError::bad_request("invalid_body", rej.body_text()),
    }
}

/// A path parameter whose rejection becomes a 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // No id contains control characters: such a path names nothing.
        if parts.uri.path().contains("%00") || parts.uri.path().chars().any(char::is_control) {
            return Err(AppError::NotFound("resource"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| AppError::bad_request("invalid_path", e.body_text()))
    }
}

/// A query string whose rejection becomes a 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| AppError::bad_request("invalid_query", e.body_text()))
    }
}

/// The authenticated caller: `Authorization: Bearer <token>`.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::Unauthorized("missing bearer token; log in first"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(AppError::Unauthorized(
                "malformed Authorization header; use `Bearer <token>`",
            ))?;
        caller_for_token(state, token).await.map(Auth)
    }
}
