//! User accounts: adding, listing, disabling, API tokens. Sign-in is in [`crate::auth`],
//! secrets in [`crate::secrets`].

use fupin_core::RegionCode;
use fupin_store::users::{self, ApiToken, User};
use fupin_store::{Db, StoreError, audit};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::{Actor, Ctx, Role};
use crate::error::{AppError, Result};
use crate::paging::{Page, Paged};
use crate::secrets;

/// Shortest password accepted.
pub const PASSWORD_LENGTH_MIN: usize = 10;
/// Longest password accepted (hashing cost grows with length).
pub const PASSWORD_LENGTH_MAX: usize = 1_024;
/// Longest user name.
pub const NAME_LENGTH_MAX: usize = 64;

/// A user to add.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub region: RegionCode,
    pub institution: Option<String>,
    pub password: String,
}

/// A user as shown: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserView {
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub region: RegionCode,
    pub institution: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl UserView {
    /// The actor this user acts as.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.name.clone(),
            role: self.role,
            region: Some(self.region),
            institution: self.institution.clone(),
        }
    }
}

pub(crate) fn view(user: &User) -> Result<UserView> {
    let role = Role::parse(&user.role).ok_or_else(|| {
        AppError::Store(StoreError::Corrupt {
            table: "users",
            column: "role",
            message: format!("unknown role {:?}", user.role),
        })
    })?;
    Ok(UserView {
        name: user.name.clone(),
        display_name: user.display_name.clone(),
        role,
        region: user.region_code,
        institution: user.institution_code.clone(),
        disabled: user.disabled,
        created_at: user.created_at.clone(),
    })
}

/// JSON of a user for audit records and the API (no secrets).
pub fn user_json(user: &UserView) -> serde_json::Value {
    json!({
        "name": user.name,
        "display_name": user.display_name,
        "role": user.role.as_str(),
        "region": user.region.to_string(),
        "institution": user.institution,
        "disabled": user.disabled,
        "created_at": user.created_at,
    })
}

fn check_name(name: &str) -> Result<()> {
    let length = name.chars().count();
    if length == 0 || length > NAME_LENGTH_MAX {
        return Err(AppError::field(
            "name",
            format!("must have 1 to {NAME_LENGTH_MAX} characters"),
        ));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ':' || c == '/')
    {
        return Err(AppError::field(
            "name",
            "may not contain spaces, control characters, ':' or '/'",
        ));
    }
    Ok(())
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<()> {
    let length = password.chars().count();
    if length < PASSWORD_LENGTH_MIN {
        return Err(AppError::field(
            "password",
            format!("must have at least {PASSWORD_LENGTH_MIN} characters"),
        ));
    }
    if password.len() > PASSWORD_LENGTH_MAX {
        return Err(AppError::field(
            "password",
            format!("must have at most {PASSWORD_LENGTH_MAX} bytes"),
        ));
    }
    Ok(())
}

/// Adds a user (admins, within their region; the operator). The password is hashed with
/// Argon2id; the audit record holds everything but the hash.
pub async fn add(db: &Db, ctx: &Ctx, new: NewUser) -> Result<UserView> {
    access::require(ctx, Area::Users, Access::Write)?;
    check_name(&new.name)?;
    check_password(&new.password)?;
    if new.role == Role::Operator {
        return Err(AppError::field(
            "role",
            "must be one of regulator, bank, poverty_office, finance, admin, insurer",
        ));
    }
    if !access::sees_region(ctx, new.region) {
        return Err(AppError::NotFound(format!("region {}", new.region)));
    }
    if fupin_store::regions::get(db, new.region).await?.is_none() {
        return Err(AppError::field(
            "region",
            format!("region {} does not exist", new.region),
        ));
    }
    match (new.role, &new.institution) {
        (role @ (Role::Bank | Role::Guarantor | Role::Insurer), None) => {
            return Err(AppError::field(
                "institution",
                match role {
                    Role::Bank => "a bank user needs an institution",
                    Role::Guarantor => "a guarantor user needs an institution",
                    _ => "an insurer user needs an institution",
                },
            ));
        }
        (Role::Bank | Role::Guarantor | Role::Insurer, Some(code)) => {
            // A bank outside the administrator's region is answered as one that does not
            // exist: a user of it would see that bank's data, beyond the administrator's own.
            let institution = fupin_store::institutions::get(db, code)
                .await?
                .filter(|found| access::sees_region(ctx, found.region_code))
                .ok_or_else(|| {
                    AppError::field("institution", format!("institution {code} does not exist"))
                })?;
            if let Some(problem) = outside_institution(new.region, &institution) {
                return Err(AppError::field("region", problem));
            }
        }
        (role, Some(_)) => {
            return Err(AppError::field(
                "institution",
                format!(
                    "only bank, guarantor and insurer users have an institution, not {}",
                    role.as_str()
                ),
            ));
        }
        (_, None) => {}
    }
    let password_hash = secrets::hash_password(new.password).await?;
    let user = User {
        name: new.name,
        display_name: new.display_name.filter(|d| !d.trim().is_empty()),
        role: new.role.as_str().to_string(),
        region_code: new.region,
        institution_code: new.institution,
        password_hash,
        disabled: false,
        created_at: ctx.now.clone(),
    };
    let shown = view(&user)?;
    let mut tx = db.write().await?;
    match users::insert(&mut tx, &user).await {
        Ok(()) => {}
        Err(StoreError::Constraint { .. }) => {
            return Err(AppError::Conflict(format!(
                "user {} already exists",
                user.name
            )));
        }
        Err(other) => return Err(other.into()),
    }
    let mut entry = ctx.audit("user.add", "user", &user.name);
    entry.after_json = Some(user_json(&shown).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(shown)
}

/// Why a bank user's region does not fit its institution, if it does not: the region must lie
/// within the institution's own region (`institutions.region_code`, the area it serves; a
/// branch elsewhere is an institution of its own). Otherwise the user would read the indicators
/// and reports of regions where the bank has nothing (issue 24).
fn outside_institution(
    region: RegionCode,
    institution: &fupin_store::institutions::Institution,
) -> Option<String> {
    match region.is_within(institution.region_code) {
        true => None,
        false => Some(format!(
            "region {region} lies outside the area of institution {} ({}): a bank user's region \
             must be within its institution's",
            institution.code, institution.region_code
        )),
    }
}

/// A user whose scope breaks a rule of [`add`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeProblem {
    pub name: String,
    pub problem: String,
}

/// Checks the scopes of existing users (made before the rules of [`add`], or by editing the
/// database): every bank user's region within its institution's, its institution existing.
/// For administrators in their region and the operator.
pub async fn check_scopes(db: &Db, ctx: &Ctx) -> Result<Vec<ScopeProblem>> {
    access::require(ctx, Area::Users, Access::Read)?;
    let within = access::region_in_scope(ctx, None)?;
    let mut problems = Vec::new();
    const PAGE: i64 = 1_000;
    let mut offset = 0;
    loop {
        let page = users::list(db, within, PAGE, offset).await?;
        for user in &page {
            if let Some(problem) = scope_problem(db, user).await? {
                problems.push(ScopeProblem {
                    name: user.name.clone(),
                    problem,
                });
            }
        }
        if (page.len() as i64) < PAGE {
            return Ok(problems);
        }
        offset += PAGE;
    }
}

async fn scope_problem(db: &Db, user: &User) -> Result<Option<String>> {
    let Some(code) = user.institution_code.as_deref() else {
        return Ok(matches!(user.role.as_str(), "bank" | "insurer")
            .then(|| format!("a {} user without an institution", user.role)));
    };
    Ok(match fupin_store::institutions::get(db, code).await? {
        None => Some(format!("institution {code} does not exist")),
        Some(institution) => outside_institution(user.region_code, &institution),
    })
}

/// One user, if the actor may manage them.
pub async fn get(db: &Db, ctx: &Ctx, name: &str) -> Result<UserView> {
    access::require(ctx, Area::Users, Access::Read)?;
    let user = users::get(db, name)
        .await?
        .filter(|u| access::sees_region(ctx, u.region_code))
        .ok_or_else(|| AppError::NotFound(format!("user {name}")))?;
    view(&user)
}

/// Users in the actor's region.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    within: Option<RegionCode>,
    page: Page,
) -> Result<Paged<UserView>> {
    access::require(ctx, Area::Users, Access::Read)?;
    let within = access::region_in_scope(ctx, within)?;
    let rows = users::list(db, within, page.limit() + 1, page.offset()).await?;
    let rows = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    Ok(page.cut(rows, true))
}

/// Disables a user: ends their sessions and revokes their tokens, in one audited transaction.
pub async fn disable(db: &Db, ctx: &Ctx, name: &str) -> Result<UserView> {
    let before = get(db, ctx, name).await?;
    access::require(ctx, Area::Users, Access::Write)?;
    if before.disabled {
        return Ok(before);
    }
    let mut tx = db.write().await?;
    users::set_disabled(&mut tx, name, true).await?;
    let sessions = users::delete_sessions_of(&mut tx, name).await?;
    let tokens = users::revoke_tokens_of(&mut tx, name, &ctx.now).await?;
    let after = UserView {
        disabled: true,
        ..before.clone()
    };
    let mut entry = ctx.audit("user.disable", "user", name);
    entry.before_json = Some(user_json(&before).to_string());
    let mut after_json = user_json(&after);
    after_json["sessions_ended"] = json!(sessions);
    after_json["tokens_revoked"] = json!(tokens);
    entry.after_json = Some(after_json.to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

/// What revoking a user's sessions ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revoked {
    pub sessions: u64,
    pub tokens: u64,
}

/// Ends every session of a user and revokes their API tokens, leaving the account enabled (a
/// lost or stolen device: the user signs in again on another). One audited transaction.
pub async fn revoke_sessions(db: &Db, ctx: &Ctx, name: &str) -> Result<Revoked> {
    get(db, ctx, name).await?;
    access::require(ctx, Area::Users, Access::Write)?;
    let mut tx = db.write().await?;
    let sessions = users::delete_sessions_of(&mut tx, name).await?;
    let tokens = users::revoke_tokens_of(&mut tx, name, &ctx.now).await?;
    let mut entry = ctx.audit("user.revoke_sessions", "user", name);
    entry.after_json =
        Some(json!({"sessions_ended": sessions, "tokens_revoked": tokens}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Revoked { sessions, tokens })
}

/// A new API token, shown once: only its hash is kept.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub id: String,
    /// The secret to give the program: `fupin_<id>_<secret>`.
    pub token: String,
}

/// Makes an API token for `name`: an admin (or the operator) for users in their region, or any
/// user for themselves.
pub async fn new_token(db: &Db, ctx: &Ctx, name: &str) -> Result<NewToken> {
    let user = if ctx.actor.name == name && ctx.actor.role != Role::Operator {
        users::get(db, name)
            .await?
            .map(|u| view(&u))
            .transpose()?
            .ok_or_else(|| AppError::NotFound(format!("user {name}")))?
    } else {
        access::require(ctx, Area::Users, Access::Write)?;
        get(db, ctx, name).await?
    };
    if user.disabled {
        return Err(AppError::Conflict(format!("user {name} is disabled")));
    }
    let id = secrets::random_hex(8)?;
    let token = format!("fupin_{id}_{}", secrets::random_hex(32)?);
    let record = ApiToken {
        id: id.clone(),
        user_name: name.to_string(),
        created_at: ctx.now.clone(),
        revoked_at: None,
    };
    let mut tx = db.write().await?;
    users::insert_token(&mut tx, &record, &secrets::secret_hash(&token)).await?;
    let mut entry = ctx.audit("api_token.create", "api_token", &id);
    entry.after_json = Some(json!({"id": id, "user": name, "created_at": ctx.now}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(NewToken { id, token })
}

/// The tokens of a user (ids and dates only).
pub async fn tokens(db: &Db, ctx: &Ctx, name: &str) -> Result<Vec<ApiToken>> {
    get(db, ctx, name).await?;
    Ok(users::tokens_of(db, name).await?)
}

/// Enables a disabled user again, in one audited transaction (administrators in their region).
pub async fn enable(db: &Db, ctx: &Ctx, name: &str) -> Result<UserView> {
    access::require(ctx, Area::Users, Access::Write)?;
    let before = get(db, ctx, name).await?;
    if !before.disabled {
        return Ok(before);
    }
    let mut tx = db.write().await?;
    users::set_disabled(&mut tx, name, false).await?;
    let after = UserView {
        disabled: false,
        ..before.clone()
    };
    let mut entry = ctx.audit("user.enable", "user", name);
    entry.before_json = Some(user_json(&before).to_string());
    entry.after_json = Some(user_json(&after).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

/// A password set by [`reset_password`]: the given one, or a new random one to show once.
#[derive(Clone, Debug)]
pub struct PasswordReset {
    pub user: UserView,
    /// The generated password, when none was given (shown once, never stored in clear).
    pub generated: Option<String>,
}

/// Length in hex digits of a generated password.
const GENERATED_PASSWORD_BYTES: usize = 8;

/// Sets a user's password (administrators in their region): `password` when given, else a new
/// random one returned once. The user's sessions end and failed sign-ins are cleared, in one
/// audited transaction (the record names the reset, never the password or its hash).
pub async fn reset_password(
    db: &Db,
    ctx: &Ctx,
    name: &str,
    password: Option<String>,
) -> Result<PasswordReset> {
    access::require(ctx, Area::Users, Access::Write)?;
    let user = get(db, ctx, name).await?;
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(given) => (given, None),
        None => {
            let fresh = secrets::random_hex(GENERATED_PASSWORD_BYTES)?;
            (fresh.clone(), Some(fresh))
        }
    };
    check_password(&password)?;
    let password_hash = secrets::hash_password(password).await?;
    let mut tx = db.write().await?;
    users::set_password_hash(&mut tx, name, &password_hash).await?;
    let sessions = users::delete_sessions_of(&mut tx, name).await?;
    users::clear_sign_in_failures(&mut tx, name).await?;
    let mut entry = ctx.audit("user.reset_password", "user", name);
    entry.after_json = Some(
        json!({
            "name": name,
            "generated": generated.is_some(),
            "sessions_ended": sessions,
        })
        .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(PasswordReset { user, generated })
}
