//! The one error type of this crate.

use switchboard_api::ClientError;

/// What can go wrong in the cache, the sync engine or the outbox.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The local SQLite cache failed.
    #[error("local cache: {0}")]
    Cache(#[from] sqlx::Error),
    /// The cache's schema could not be brought up to date.
    #[error("local cache migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The cache's files could not be removed.
    #[error("local cache files: {0}")]
    Files(#[from] std::io::Error),
    /// The cache holds a value this version cannot read.
    #[error("local cache holds an unreadable value: {0}")]
    Corrupt(String),
    /// The server refused or could not be reached.
    #[error(transparent)]
    Server(#[from] ClientError),
    /// The engine was shut down.
    #[error("the sync engine has stopped")]
    Stopped,
    /// What was asked for is not in the cache (nor on the server, where
    /// it was asked): a saved reply deleted meanwhile, say.
    #[error("{0}")]
    NotFound(String),
    /// What was asked cannot be answered as asked (a blank search, a cursor
    /// from another search): `code` as the server would say it.
    #[error("{message}")]
    Invalid {
        /// `invalid_query`, `invalid_cursor`; for files queued with a
        /// message `unreadable_file`, `too_many_attachments`,
        /// `missing_filename`.
        code: &'static str,
        /// What to change.
        message: String,
    },
}

impl SyncError {
    /// A machine-readable code for the UI: the server's error code when it
    /// answered with one (`already_assigned`, `overdue_first`, …), `offline`
    /// when it could not be reached, else a code naming the failing part.
    pub fn code(&self) -> &str {
        match self {
            SyncError::Cache(_) | SyncError::Migrate(_) | SyncError::Files(_) => "cache_error",
            SyncError::Corrupt(_) => "cache_corrupt",
            SyncError::Server(ClientError::Api { detail, .. }) => &detail.code,
            SyncError::Server(ClientError::Transport(_)) => "offline",
            SyncError::Server(ClientError::Decode { .. }) => "bad_response",
            SyncError::Server(ClientError::InvalidUrl(_)) => "invalid_url",
            SyncError::Stopped => "stopped",
            SyncError::NotFound(_) => "not_found",
            SyncError::Invalid { code, .. } => code,
        }
    }

    /// The server's error detail, when it answered with one (for extra
    /// fields such as `conversation_id` with `overdue_first`).
    pub fn detail(&self) -> Option<&switchboard_api::ErrorDetail> {
        match self {
            SyncError::Server(ClientError::Api { detail, .. }) => Some(detail),
            _ => None,
        }
    }

    /// Whether retrying later may succeed (the server was unreachable or
    /// failed on its side, or asked us to slow down).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Server(e) => is_transient(e),
            _ => false,
        }
    }
}

/// Transport failures, 5xx, 408, 429 and 401 (a session that may come back
/// after a new login) are worth retrying; other answers are final.
pub(crate) fn is_transient(e: &ClientError) -> bool {
    match e {
        ClientError::Transport(_) => true,
        ClientError::Api { status, .. } | ClientError::Decode { status, .. } => {
            status.is_server_error() || matches!(status.as_u16(), 401 | 408 | 429)
        }
        ClientError::InvalidUrl(_) => false,
    }
}

/// Results of this crate.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;
