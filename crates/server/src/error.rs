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
    /// 413 with a code and message of its own (an upload over its limit).
    #[error("{message}")]
    TooLargeWith {
        /// Code.
        code: &'static str,
        /// Message (says the limit).
        message: String,
    },
    /// 410: it was here, and is no more (an expired link).
    #[error("{1}")]
    Gone(&'static str, &'static str),
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
    /// 429: too many of something at once (event streams…).
    #[error("{message}")]
    TooMany {
        /// Code.
        code: &'static str,
        /// Message.
        message: String,
        /// Seconds after which a retry may succeed.
        retry_after: u64,
    },
    /// 503: the database cannot take or give the data just now (lost
    /// connection, locked, restarting): nothing was saved, try again.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 503: this server is stopping; another instance (or this one, restarted)
    /// will answer. Background loops end on this error, and only on it.
    #[error("the server is shutting down; try again in a moment")]
    ShuttingDown,
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
            AppError::TooLarge(_) | AppError::TooLargeWith { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Gone(..) => StatusCode::GONE,
            AppError::RateLimited(_) | AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Invalid { code, .. }
            | AppError::TooLargeWith { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::NotFound(_) => "not_found",
            AppError::Gone(code, _) => code,
            AppError::TooLarge(_) => "payload_too_large",
            AppError::RateLimited(_) => "rate_limited",
            AppError::TooMany { code, .. } => code,
            AppError::Unavailable(_) => "unavailable",
            AppError::ShuttingDown => "shutting_down",
            AppError::Internal(_) => "internal",
        }
    }

    /// Seconds after which the same request may succeed (`Retry-After`).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited(s) => Some(*s),
            AppError::TooMany { retry_after, .. } => Some(*retry_after),
            AppError::Unavailable(_) => Some(2),
            AppError::ShuttingDown => Some(5),
            _ => None,
        }
    }

    /// Whether the failure is passing (the database away, locked or busy):
    /// the same operation may succeed when tried again.
    pub fn is_transient(&self) -> bool {
        matches!(self, AppError::Unavailable(_))
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
            retry_after_secs: self.retry_after(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let retry = self.retry_after();
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
        if e.is_transient() {
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable(
                "the database is not reachable just now; nothing was saved, try again".into(),
            );
        }
        if matches!(e, sqlx::Error::PoolClosed) {
            return AppError::ShuttingDown;
        }
        AppError::Internal(format!("database: {e}"))
    }
}

/// Database errors that pass: the connection, the server going away, a lock
/// or a serialization conflict. Everything else is a bug or bad data.
trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for sqlx::Error {
    fn is_transient(&self) -> bool {
        match self {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(d) => {
                let code = d.code().unwrap_or_default();
                // PostgreSQL's SQLSTATE has five characters: class 08
                // (connection), 40001/40P01 (serialization, deadlock),
                // 57P01-57P03 (shutdown, crash, cannot connect now), 53300 (too
                // many connections). SQLite's (extended) result codes are
                // numbers below 10,000: 5 BUSY, 6 LOCKED, 10 IOERR, 14 CANTOPEN
                // in the low byte.
                if code.len() < 5 {
                    return code
                        .parse::<i32>()
                        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 14));
                }
                code.starts_with("08")
                    || matches!(
                        &*code,
                        "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "53300"
                    )
            }
            _ => false,
        }
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
