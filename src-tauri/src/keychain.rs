//! The session token in the OS keychain (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows), never on disk in the clear.
//!
//! One entry per installation: service [`SERVICE`], user [`USER`], holding a
//! small JSON document with the server address, the email and the token, so
//! the next start can sign in from it alone.

use serde::{Deserialize, Serialize};

use crate::ipc::CommandError;

/// Keychain service name (the app identifier).
pub const SERVICE: &str = "app.switchboard.desktop";
/// Keychain user name of the one saved session.
pub const USER: &str = "session";

/// What the keychain holds.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SavedSession {
    /// Base URL of the server.
    pub server_url: String,
    /// The agent's email (to prefill the login form after a sign-out).
    pub email: String,
    /// The bearer token.
    pub token: String,
}

impl std::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedSession")
            .field("server_url", &self.server_url)
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .finish()
    }
}

fn entry() -> Result<keyring::Entry, CommandError> {
    keyring::Entry::new(SERVICE, USER).map_err(keychain_error)
}

fn keychain_error(e: keyring::Error) -> CommandError {
    CommandError::new(
        "keychain",
        format!(
            "The system keychain is not available ({e}). On Linux, start a Secret Service \
             such as GNOME Keyring or KWallet and sign in again."
        ),
    )
}

/// Saves the session, replacing any other.
pub fn save(session: &SavedSession) -> Result<(), CommandError> {
    let json =
        serde_json::to_string(session).map_err(|e| CommandError::new("keychain", e.to_string()))?;
    entry()?.set_password(&json).map_err(keychain_error)
}

/// The saved session, if there is one. An unreadable entry counts as none.
pub fn load() -> Result<Option<SavedSession>, CommandError> {
    match entry()?.get_password() {
        Ok(json) => Ok(serde_json::from_str(&json).ok()),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keychain_error(e)),
    }
}

/// Removes the saved session (sign-out). Nothing saved is not an error.
pub fn delete() -> Result<(), CommandError> {
    match entry()?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keychain_error(e)),
    }
}
