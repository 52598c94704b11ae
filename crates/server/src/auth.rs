//! Passwords (argon2) and bearer tokens (random, stored as SHA-256 hashes).

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
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
    on_argon2_threads(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
    })
    .await?
}

/// Runs `job` on one of the Argon2 threads (one per core) and waits for it.
///
/// Each Argon2 computation takes 19 MiB. On the shared blocking pool a
/// flood of logins would spread them over hundreds of threads, and the
/// allocator keeps a thread's freed memory for that thread: the process grew
/// past 400 MiB under 1,000 attempts. A few dedicated threads each reuse
/// their own 19 MiB, and a flood waits its turn in their queue.
async fn on_argon2_threads<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static QUEUE: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        for i in 0..cores {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let next = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start an Argon2 thread");
            }
        }
        std::sync::Mutex::new(tx)
    });
    let (done, result) = tokio::sync::oneshot::channel();
    let sent = queue
        .lock()
        .map_err(|_| AppError::Internal("the Argon2 queue is poisoned".into()))?
        .send(Box::new(move || {
            let _ = done.send(job());
        }));
    if sent.is_err() {
        return Err(AppError::Internal("no Argon2 thread is running".into()));
    }
    result
        .await
        .map_err(|_| AppError::Internal("an Argon2 computation failed".into()))
}

/// Whether `password` has `hash`, computed in this thread's own Argon2
/// memory (allocated once per thread, reused by every check: a fresh 19 MiB
/// per check fragments the heap until the process is hundreds of MiB).
fn verify_in_place(password: &[u8], hash: &PasswordHash<'_>) -> bool {
    use argon2::{Algorithm, Block, Params, Version};
    thread_local! {
        static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(hash), hash.salt, hash.hash)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, Block::default());
        argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
    });
    computed.is_ok() && bool::from(subtle::ConstantTimeEq::ct_eq(&out[..], expected.as_bytes()))
}

/// Checks a password against a stored hash (on the Argon2 threads).
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    if password.len() > 1024 {
        // As long as a real check: the length tells nothing.
        verify_nobody(String::new()).await;
        return Ok(false);
    }
    on_argon2_threads(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| AppError::Internal(format!("stored hash invalid: {e}")))?;
        Ok(verify_in_place(password.as_bytes(), &parsed))
    })
    .await?
}

/// Spends the time of one password check against a throwaway hash, so an
/// unknown email costs the same time as a wrong password.
pub async fn verify_nobody(password: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let password = if password.len() > 1024 {
        String::new()
    } else {
        password
    };
    let _ = on_argon2_threads(move || {
        let hash = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::default()
                .hash_password(b"no such account", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        if let Ok(parsed) = PasswordHash::new(hash) {
            let _ = verify_in_place(password.as_bytes(), &parsed);
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

    /// The in-place check agrees with the crate's own verifier, on our
    /// hashes and on one made with other parameters.
    #[test]
    fn the_in_place_check_agrees_with_argon2s_verifier() {
        use argon2::password_hash::PasswordVerifier;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let other = Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x10,
            argon2::Params::new(4096, 2, 1, Some(24)).expect("params"),
        );
        for hasher in [Argon2::default(), other] {
            let stored = hasher
                .hash_password(b"correct horse", &salt)
                .expect("hash")
                .to_string();
            let parsed = PasswordHash::new(&stored).expect("parse");
            for (candidate, right) in [
                (&b"correct horse"[..], true),
                (b"wrong horse", false),
                (b"", false),
            ] {
                assert_eq!(verify_in_place(candidate, &parsed), right);
                assert_eq!(
                    Argon2::default()
                        .verify_password(candidate, &parsed)
                        .is_ok(),
                    right
                );
            }
        }
    }

    #[tokio::test]
    async fn an_over_long_password_is_refused_like_a_wrong_one() {
        let h = hash_password("correct horse".into()).await.expect("hash");
        assert!(!verify_password("x".repeat(5000), h).await.expect("checked"));
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
