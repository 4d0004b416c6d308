//! Signing in: passwords (Argon2id), browser sessions, API tokens, throttling of failed
//! attempts.
//!
//! Nothing here reads the clock: the edge passes `now` (RFC 3339) and the policy's durations,
//! and expiry instants are computed from them.
//!
//! A sign-in with an unknown name costs the same as one with a wrong password (the password is
//! checked against a dummy hash) and answers the same words, and failures are counted per
//! attempted name whether it exists or not, so neither timing, message nor lockout tells
//! whether a user exists.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use fupin_store::users::{self, Session};
use fupin_store::{Db, StoreError, audit};
use serde_json::json;

use crate::context::{Actor, Ctx};
use crate::error::{AppError, Result};
use crate::secrets::{dummy_hash, verify_password};
pub use crate::secrets::{hash_password, random_hex, secret_hash};
use crate::users::{UserView, view};

/// How sign-in behaves; the web edge sets it from its configuration.
#[derive(Clone, Copy, Debug)]
pub struct AuthPolicy {
    /// How long a session lasts after sign-in.
    pub session_ttl: Duration,
    /// Failed sign-ins of one name before it is locked.
    pub max_failures: u32,
    /// How long a locked name stays locked.
    pub lockout: Duration,
}

impl Default for AuthPolicy {
    fn default() -> AuthPolicy {
        AuthPolicy {
            session_ttl: Duration::from_secs(8 * 3600),
            max_failures: 5,
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// What the words of a failed sign-in are, whatever the reason.
pub const SIGN_IN_REFUSED: &str = "wrong user name or password";

/// Parses an RFC 3339 instant given by the edge.
fn instant(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| AppError::Invalid(format!("instant {text:?}: {e}")))
}

/// The one text form of instants stored by this module (so text order is time order).
fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn plus(now: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// A successful sign-in.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: UserView,
    /// The cookie value; only its hash is stored.
    pub session_secret: String,
    /// The token forms and unsafe requests of this session must carry.
    pub csrf_token: String,
    pub expires_at: String,
}

/// Signs a user in with name and password, creating a session.
pub async fn sign_in(
    db: &Db,
    name: &str,
    password: &str,
    now: &str,
    request_id: Option<String>,
    policy: &AuthPolicy,
) -> Result<SignedIn> {
    let now_at = instant(now)?;
    let now = instant_text(now_at);
    let name = name.trim();
    let failures = users::sign_in_failures(db, name).await?;
    if let Some(until) = &failures.locked_until
        && until.as_str() > now.as_str()
    {
        let seconds = (instant(until)? - now_at).num_seconds().max(1);
        return Err(AppError::Throttled {
            retry_after_secs: seconds as u64,
        });
    }
    // Count the attempt before checking the password: guesses sent all at once would otherwise
    // all be checked before the first failure is counted. An attempt beyond the limit is
    // refused unchecked and locks the name.
    let max_failures = i64::from(policy.max_failures);
    let until = instant_text(plus(now_at, policy.lockout));
    let mut tx = db.write().await?;
    let (attempt, locked_until) = users::count_sign_in_attempt(&mut tx, name).await?;
    if let Some(locked_until) = locked_until
        && locked_until.as_str() > now.as_str()
    {
        tx.rollback().await.map_err(StoreError::from)?;
        let seconds = (instant(&locked_until)? - now_at).num_seconds().max(1);
        return Err(AppError::Throttled {
            retry_after_secs: seconds as u64,
        });
    }
    if attempt > max_failures {
        users::lock_sign_in(&mut tx, name, &until).await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Err(AppError::Throttled {
            retry_after_secs: policy.lockout.as_secs().max(1),
        });
    }
    tx.commit().await.map_err(StoreError::from)?;
    let user = users::get(db, name).await?;
    let hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => dummy_hash().await,
    };
    let matches = verify_password(password.to_string(), hash).await;
    let user = match user {
        Some(user) if matches && !user.disabled => view(&user)?,
        _ => {
            if attempt >= max_failures {
                let mut tx = db.write().await?;
                users::lock_sign_in(&mut tx, name, &until).await?;
                tx.commit().await.map_err(StoreError::from)?;
            }
            return Err(AppError::Unauthenticated(SIGN_IN_REFUSED.to_string()));
        }
    };
    let secret = random_hex(32)?;
    let session = Session {
        id_hash: secret_hash(&secret),
        user_name: user.name.clone(),
        csrf_token: random_hex(32)?,
        created_at: now.clone(),
        expires_at: instant_text(plus(now_at, policy.session_ttl)),
    };
    let ctx = Ctx {
        actor: user.actor(),
        now: now.clone(),
        request_id,
    };
    let mut tx = db.write().await?;
    users::clear_sign_in_failures(&mut tx, name).await?;
    users::delete_expired_sessions(&mut tx, &now).await?;
    users::insert_session(&mut tx, &session).await?;
    let mut entry = ctx.audit("session.sign_in", "user", &user.name);
    entry.after_json = Some(json!({"expires_at": session.expires_at}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(SignedIn {
        user,
        session_secret: secret,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    })
}

/// A live session, found by its cookie.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub user: UserView,
    pub csrf_token: String,
    pub expires_at: String,
}

impl SessionInfo {
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

/// The session a cookie value names, if it is live at `now` and its user is enabled.
pub async fn session(db: &Db, secret: &str, now: &str) -> Result<Option<SessionInfo>> {
    let now = instant_text(instant(now)?);
    let Some(session) = users::live_session(db, &secret_hash(secret), &now).await? else {
        return Ok(None);
    };
    let Some(user) = users::get(db, &session.user_name).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    Ok(Some(SessionInfo {
        user: view(&user)?,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    }))
}

/// Ends the session a cookie value names (harmless if it is gone already).
pub async fn sign_out(db: &Db, ctx: &Ctx, secret: &str) -> Result<()> {
    let mut tx = db.write().await?;
    users::delete_session(&mut tx, &secret_hash(secret)).await?;
    let entry = ctx.audit("session.sign_out", "user", &ctx.actor.name);
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The user an API token belongs to, if the token is live and the user enabled.
pub async fn token_user(db: &Db, token: &str) -> Result<Option<UserView>> {
    let Some(record) = users::live_token(db, &secret_hash(token)).await? else {
        return Ok(None);
    };
    let Some(user) = users::get(db, &record.user_name).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    Ok(Some(view(&user)?))
}
