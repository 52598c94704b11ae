//! Passwords (argon2) and bearer tokens (random, stored as SHA-256 hashes).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// How long a token lives.
pub const TOKEN_TTL_DAYS: i64 = 30;

/// Minimum password length.
pub const MIN_PASSWORD: usize = 8;

/// Hashes a password (CPU-heavy: runs on the blocking pool).
pub async fn hash_password(password: String) -> AppResult<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid(
            "weak_password",
            format!("passwords need at least {MIN_PASSWORD} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid(
            "invalid_password",
            "passwords are at most 1024 bytes",
        ));
    }
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))?
}

/// Checks a password against a stored hash (on the blocking pool).
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    if password.len() > 1024 {
        return Ok(false);
    }
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| AppError::Internal(format!("stored hash invalid: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AppError::Internal(format!("verify task failed: {e}")))?
}

/// Spends the time of one password check against a throwaway hash, so an
/// unknown email costs the same time as a wrong password.
pub async fn verify_nobody(password: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let _ = tokio::task::spawn_blocking(move || {
        let hash = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::default()
                .hash_password(b"no such account", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        if let Ok(parsed) = PasswordHash::new(hash) {
            let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
        }
    })
    .await;
}

/// A new random token (shown once to the client).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "sb_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_round_trip_and_refusals() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(verify_password("correct horse".into(), h.clone())
            .await
            .unwrap());
        assert!(!verify_password("wrong horse".into(), h).await.unwrap());
        assert!(hash_password("short".into()).await.is_err());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
