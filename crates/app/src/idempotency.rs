//! Idempotent requests: the first response to a request carrying an `Idempotency-Key` is kept
//! per user and key, and a retry with the same key gets that response again instead of a second
//! effect.

use fupin_store::Db;
use fupin_store::users;
use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::error::{AppError, Result};

/// Longest key accepted.
pub const KEY_LENGTH_MAX: usize = 255;

/// What to do with a request carrying a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First time: process it, then [`save`] (or [`release`] on failure).
    New,
    /// Done before: answer this again.
    Replay { status: u16, body: String },
}

/// The fingerprint of a request: method, path and body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > KEY_LENGTH_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field(
            "Idempotency-Key",
            format!("must be 1 to {KEY_LENGTH_MAX} visible ASCII characters"),
        ));
    }
    Ok(())
}

/// Claims `key` for the actor's request with this fingerprint. The same key with a different
/// request is refused (422), and a key whose first request is still running is a conflict (409).
/// A first request that has been running for longer than `running_at_most` (the server's
/// request timeout) is dead — it timed out or its server was killed — and a retry takes its
/// claim over and runs.
pub async fn claim(
    db: &Db,
    ctx: &Ctx,
    key: &str,
    fingerprint: &str,
    running_at_most: std::time::Duration,
) -> Result<Claim> {
    check_key(key)?;
    let now = chrono::DateTime::parse_from_rfc3339(&ctx.now)
        .map_err(|e| AppError::Invalid(format!("instant {:?}: {e}", ctx.now)))?
        .with_timezone(&chrono::Utc);
    let stale_before = chrono::Duration::from_std(running_at_most)
        .ok()
        .and_then(|running| running.checked_add(&chrono::Duration::seconds(1)))
        .and_then(|running| now.checked_sub_signed(running))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let stale_before = stale_before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let stored = users::claim_idempotency_key(
        db,
        &ctx.actor.name,
        key,
        fingerprint,
        &ctx.now,
        &stale_before,
    )
    .await?;
    match stored {
        None => Ok(Claim::New),
        Some(stored) if stored.request_hash != fingerprint => Err(AppError::field(
            "Idempotency-Key",
            "was already used for a different request",
        )),
        Some(stored) => match (stored.status, stored.response) {
            (Some(status), Some(body)) => Ok(Claim::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
            _ => Err(AppError::Conflict(
                "a request with this Idempotency-Key is still being processed".into(),
            )),
        },
    }
}

/// Keeps the response of a claimed key.
pub async fn save(db: &Db, ctx: &Ctx, key: &str, status: u16, body: &str) -> Result<()> {
    users::save_idempotent_response(db, &ctx.actor.name, key, i64::from(status), body).await?;
    Ok(())
}

/// Gives up a claim whose request failed on the server's side, so a retry can run.
pub async fn release(db: &Db, ctx: &Ctx, key: &str) -> Result<()> {
    users::release_idempotency_key(db, &ctx.actor.name, key).await?;
    Ok(())
}
