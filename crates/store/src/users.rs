//! Users, their sign-in sessions and API tokens, failed sign-in counters, and the stored first
//! responses of idempotent requests.
//!
//! Secrets never reach this module in the clear: sessions and tokens are looked up by the
//! SHA-256 of their value, passwords are stored as Argon2id PHC strings made by `fupin-app`.

use fupin_core::RegionCode;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub display_name: Option<String>,
    /// `regulator`, `bank`, `poverty_office`, `finance` or `admin` (checked by the schema).
    pub role: String,
    pub region_code: RegionCode,
    pub institution_code: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: String,
}

const USER_COLUMNS: &str = "name, display_name, role, region_code, institution_code, \
    password_hash, disabled, created_at";

fn user_from_row(row: &AnyRow) -> Result<User> {
    let region: String = row.try_get("region_code")?;
    let disabled: i64 = row.try_get("disabled")?;
    Ok(User {
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        role: row.try_get("role")?,
        region_code: RegionCode::parse(&region).map_err(|e| corrupt("users", "region_code", e))?,
        institution_code: row.try_get("institution_code")?,
        password_hash: row.try_get("password_hash")?,
        disabled: disabled != 0,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn get(db: &Db, name: &str) -> Result<Option<User>> {
    let sql = format!("select {USER_COLUMNS} from users where name = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn get_in(tx: &mut Tx, name: &str) -> Result<Option<User>> {
    let sql = format!("select {USER_COLUMNS} from users where name = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Users whose region is at or under `within`, in name order, skipping `offset`.
pub async fn list(
    db: &Db,
    within: Option<RegionCode>,
    limit: i64,
    offset: i64,
) -> Result<Vec<User>> {
    let sql = format!(
        "select {USER_COLUMNS} from users where region_code like $1 order by name \
         limit $2 offset $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(crate::institutions::prefix_pattern(within))
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(user_from_row).collect()
}

/// Adds a user; a taken name is a [`crate::StoreError::Constraint`] on `users`.
pub async fn insert(tx: &mut Tx, user: &User) -> Result<()> {
    sqlx::query(
        "insert into users (name, display_name, role, region_code, institution_code, \
         password_hash, disabled, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&user.name)
    .bind(&user.display_name)
    .bind(&user.role)
    .bind(user.region_code.to_string())
    .bind(&user.institution_code)
    .bind(&user.password_hash)
    .bind(i64::from(user.disabled))
    .bind(&user.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets the disabled flag; returns whether the user exists.
pub async fn set_disabled(tx: &mut Tx, name: &str, disabled: bool) -> Result<bool> {
    let result = sqlx::query("update users set disabled = $1 where name = $2")
        .bind(i64::from(disabled))
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Replaces the password hash; returns whether the user exists.
pub async fn set_password_hash(tx: &mut Tx, name: &str, password_hash: &str) -> Result<bool> {
    let result = sqlx::query("update users set password_hash = $1 where name = $2")
        .bind(password_hash)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// sessions

/// A sign-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub user_name: String,
    pub csrf_token: String,
    pub created_at: String,
    pub expires_at: String,
}

pub async fn insert_session(tx: &mut Tx, session: &Session) -> Result<()> {
    sqlx::query(
        "insert into sessions (id_hash, user_name, csrf_token, created_at, expires_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(&session.id_hash)
    .bind(&session.user_name)
    .bind(&session.csrf_token)
    .bind(&session.created_at)
    .bind(&session.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The session with this id hash that has not expired at `now`.
pub async fn live_session(db: &Db, id_hash: &str, now: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "select id_hash, user_name, csrf_token, created_at, expires_at from sessions \
         where id_hash = $1 and expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| {
        Ok(Session {
            id_hash: row.try_get("id_hash")?,
            user_name: row.try_get("user_name")?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        })
    })
    .transpose()
}

pub async fn delete_session(tx: &mut Tx, id_hash: &str) -> Result<()> {
    sqlx::query("delete from sessions where id_hash = $1")
        .bind(id_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every session of a user (when disabled or the password changes).
pub async fn delete_sessions_of(tx: &mut Tx, user_name: &str) -> Result<u64> {
    let result = sqlx::query("delete from sessions where user_name = $1")
        .bind(user_name)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected())
}

/// Removes sessions that expired at or before `now`.
pub async fn delete_expired_sessions(tx: &mut Tx, now: &str) -> Result<u64> {
    let result = sqlx::query("delete from sessions where expires_at <= $1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// API tokens

/// An API token's record (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub user_name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

pub async fn insert_token(tx: &mut Tx, token: &ApiToken, token_hash: &str) -> Result<()> {
    sqlx::query(
        "insert into api_tokens (id, token_hash, user_name, created_at, revoked_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(&token.id)
    .bind(token_hash)
    .bind(&token.user_name)
    .bind(&token.created_at)
    .bind(&token.revoked_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The unrevoked token with this hash.
pub async fn live_token(db: &Db, token_hash: &str) -> Result<Option<ApiToken>> {
    let row = sqlx::query(
        "select id, user_name, created_at, revoked_at from api_tokens \
         where token_hash = $1 and revoked_at is null",
    )
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn tokens_of(db: &Db, user_name: &str) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(
        "select id, user_name, created_at, revoked_at from api_tokens where user_name = $1 \
         order by created_at, id",
    )
    .bind(user_name)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(token_from_row).collect()
}

/// Revokes every live token of a user; returns how many.
pub async fn revoke_tokens_of(tx: &mut Tx, user_name: &str, now: &str) -> Result<u64> {
    let result = sqlx::query(
        "update api_tokens set revoked_at = $1 where user_name = $2 and revoked_at is null",
    )
    .bind(now)
    .bind(user_name)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected())
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_name: row.try_get("user_name")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

// ---------------------------------------------------------------------------------------------
// failed sign-ins

/// Failed sign-ins of one attempted name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInFailures {
    pub failures: i64,
    pub locked_until: Option<String>,
}

pub async fn sign_in_failures(db: &Db, name: &str) -> Result<SignInFailures> {
    let row = sqlx::query("select failures, locked_until from sign_in_failures where name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    match row {
        None => Ok(SignInFailures::default()),
        Some(row) => Ok(SignInFailures {
            failures: row.try_get("failures")?,
            locked_until: row.try_get("locked_until")?,
        }),
    }
}

/// Counts one more attempt for `name` and returns the count with the lock in force, both as
/// of this transaction (the upsert serialises attempts on the name's row).
pub async fn count_sign_in_attempt(tx: &mut Tx, name: &str) -> Result<(i64, Option<String>)> {
    let row = sqlx::query(
        "insert into sign_in_failures (name, failures, locked_until) values ($1, 1, null) \
         on conflict (name) do update set failures = sign_in_failures.failures + 1 \
         returning failures, locked_until",
    )
    .bind(name)
    .fetch_one(&mut **tx)
    .await?;
    Ok((row.try_get("failures")?, row.try_get("locked_until")?))
}

/// Locks `name` until the instant given and starts counting afresh.
pub async fn lock_sign_in(tx: &mut Tx, name: &str, until: &str) -> Result<()> {
    sqlx::query("update sign_in_failures set failures = 0, locked_until = $1 where name = $2")
        .bind(until)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets the failures of `name` (after a successful sign-in).
pub async fn clear_sign_in_failures(tx: &mut Tx, name: &str) -> Result<()> {
    sqlx::query("delete from sign_in_failures where name = $1")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// idempotency keys

/// What is stored for one (user, key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub request_hash: String,
    /// `None` while the first request is still being processed.
    pub status: Option<i64>,
    pub response: Option<String>,
}

/// Claims (user, key) for a new request. Returns `None` when the claim is new, or what is
/// already stored for that key. A claim still without a response that was made before
/// `stale_before` belongs to a request that can no longer be running (it timed out, or its
/// server died): it is taken over, so that the retry runs instead of being refused forever.
pub async fn claim_idempotency_key(
    db: &Db,
    user_name: &str,
    key: &str,
    request_hash: &str,
    now: &str,
    stale_before: &str,
) -> Result<Option<IdempotentResponse>> {
    let mut tx = db.write().await?;
    let inserted = sqlx::query(
        "insert into idempotency_keys (user_name, idem_key, request_hash, status, response, \
         created_at) values ($1, $2, $3, null, null, $4) \
         on conflict (user_name, idem_key) do update set request_hash = excluded.request_hash, \
         created_at = excluded.created_at \
         where idempotency_keys.status is null and idempotency_keys.created_at < $5",
    )
    .bind(user_name)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .bind(stale_before)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        tx.commit().await?;
        return Ok(None);
    }
    let row = sqlx::query(
        "select request_hash, status, response from idempotency_keys \
         where user_name = $1 and idem_key = $2",
    )
    .bind(user_name)
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(IdempotentResponse {
        request_hash: row.try_get("request_hash")?,
        status: row.try_get("status")?,
        response: row.try_get("response")?,
    }))
}

/// Stores the response of a claimed key.
pub async fn save_idempotent_response(
    db: &Db,
    user_name: &str,
    key: &str,
    status: i64,
    response: &str,
) -> Result<()> {
    let mut tx = db.write().await?;
    sqlx::query(
        "update idempotency_keys set status = $1, response = $2 \
         where user_name = $3 and idem_key = $4",
    )
    .bind(status)
    .bind(response)
    .bind(user_name)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Releases a claim whose request failed, so that a retry runs again.
pub async fn release_idempotency_key(db: &Db, user_name: &str, key: &str) -> Result<()> {
    let mut tx = db.write().await?;
    sqlx::query(
        "delete from idempotency_keys where user_name = $1 and idem_key = $2 and status is null",
    )
    .bind(user_name)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
