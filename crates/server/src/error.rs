//! One error type for the whole server, rendered as `{"error": {code, message}}`.
//!
//! Database and internal failures become a 500 with no detail leaked (the
//! detail goes to the log); rule refusals carry their own code and status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use switchboard_api::{ErrorBody, ErrorDetail};
use switchboard_core::claim::ClaimRefusal;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed.
    #[error("{message}")]
    BadRequest {
        /// Code.
        code: &'static str,
        /// Message.
        message: String,
    },
    /// 401: no valid token.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: not allowed for this account.
    #[error("{message}")]
    Forbidden {
        /// Code.
        code: &'static str,
        /// Message.
        message: String,
    },
    /// 404: no such thing (or not visible to you).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Code.
        code: &'static str,
        /// Message.
        message: String,
        /// For `overdue_first`.
        conversation_id: Option<String>,
        /// For `already_assigned`.
        assignee_id: Option<String>,
    },
    /// 413: body too large.
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    /// 422: well-formed but invalid.
    #[error("{message}")]
    Invalid {
        /// Code.
        code: &'static str,
        /// Message.
        message: String,
    },
    /// 429: too many failed attempts.
    #[error("too many failed attempts; retry in {0} s")]
    RateLimited(u64),
    /// 503: the store is shutting down or unreachable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or a database failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 422 with `code`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A 403 with `code`.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A plain 409 with `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
            conversation_id: None,
            assignee_id: None,
        }
    }

    /// A 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Invalid { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::NotFound(_) => "not_found",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> ErrorDetail {
        let message = match self {
            AppError::Internal(_) => {
                "something went wrong on the server; try again, and tell your admin if it persists"
                    .to_owned()
            }
            other => other.to_string(),
        };
        let (conversation_id, assignee_id) = match self {
            AppError::Conflict {
                conversation_id,
                assignee_id,
                ..
            } => (conversation_id.clone(), assignee_id.clone()),
            _ => (None, None),
        };
        ErrorDetail {
            code: self.code().to_owned(),
            message,
            conversation_id,
            assignee_id,
            retry_after_secs: match self {
                AppError::RateLimited(s) => Some(*s),
                _ => None,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let retry = match &self {
            AppError::RateLimited(s) => Some(*s),
            _ => None,
        };
        let mut resp = (
            status,
            Json(ErrorBody {
                error: self.detail(),
            }),
        )
            .into_response();
        if let Some(s) = retry {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {e}"))
    }
}

impl From<ClaimRefusal> for AppError {
    fn from(r: ClaimRefusal) -> Self {
        let message = r.to_string();
        match r {
            ClaimRefusal::AlreadyAssigned { assignee_id } => AppError::Conflict {
                code: "already_assigned",
                message,
                conversation_id: None,
                assignee_id: Some(assignee_id),
            },
            ClaimRefusal::OverdueFirst { conversation_id } => AppError::Conflict {
                code: "overdue_first",
                message: format!("conversation {conversation_id} has waited past its threshold and is older: take it first"),
                conversation_id: Some(conversation_id),
                assignee_id: None,
            },
            ClaimRefusal::Resolved => AppError::conflict("conversation_resolved", message),
            ClaimRefusal::Offline => AppError::conflict("agent_offline", message),
            ClaimRefusal::NotYourCategory => AppError::forbidden("not_your_category", message),
        }
    }
}

/// Result alias.
pub type AppResult<T> = Result<T, AppError>;
