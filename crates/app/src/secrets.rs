//! Secrets: random tokens from the operating system, hashes of high-entropy secrets (SHA-256)
//! and of passwords (Argon2id). Signing in is in [`crate::auth`], user accounts in
//! [`crate::users`]; both use these, so they live apart from either.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};

/// Hex of `bytes` random bytes from the operating system.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| AppError::Invalid(format!("no randomness from the system: {e}")))?;
    Ok(hex::encode(buffer))
}

/// SHA-256 (hex) of a high-entropy secret: session cookies and API tokens are stored only so.
/// (Passwords, which have little entropy, get Argon2id instead.)
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with Argon2id (OWASP parameters: 19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| AppError::Invalid(format!("password hashing stopped: {e}")))?
    .map_err(|e| AppError::field("password", format!("cannot be hashed: {e}")))
}

/// Whether `password` matches `hash` (a PHC string), off the async threads.
pub(crate) async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches in practice, checked for unknown names so they take as long.
pub(crate) async fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return hash.clone();
    }
    let secret = random_hex(32).unwrap_or_else(|_| "fupin-dummy-password".to_string());
    let hash = hash_password(secret).await.unwrap_or_default();
    DUMMY.get_or_init(|| hash).clone()
}
