//! Who may see and change what: the roles and scopes of DESIGN.md, checked by every use case.
//!
//! Two kinds of refusal, on purpose:
//! - a role that never reads or writes an area gets [`AppError::Forbidden`] (HTTP 403): there
//!   is nothing to hide about the rule itself;
//! - an actor asking for a thing outside their scope (another region, another bank's
//!   institution) gets [`AppError::NotFound`] (HTTP 404), exactly as if it did not exist, so
//!   scope checks reveal nothing about other people's data.
//!
//! The operator of the command line (`Role::Operator`) may do everything.

use fupin_core::RegionCode;

use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};

/// The areas of data and what each role may do there. One table, so the matrix of
/// `docs/web.md` and the tests have one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Regions and region groups: public reference data, read by every signed-in user.
    Reference,
    /// Institutions, township responsibility, service points and coverage.
    Territory,
    /// User accounts.
    Users,
    /// The audit trail and its verification.
    Audit,
}

/// Reading or changing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Whether `role` may `access` `area` at all (scope narrows it further).
pub fn allows(role: Role, area: Area, access: Access) -> bool {
    use Access::{Read, Write};
    use Role::*;
    match (area, access, role) {
        (_, _, Operator) => true,
        (Area::Reference, Read, _) => true,
        (Area::Reference, Write, _) => false,
        // DESIGN.md: the regulator sees everything in its region and changes institutions and
        // township assignments; a bank sees its own institution, its townships and its
        // service points.
        (Area::Territory, Read, Regulator | Bank) => true,
        (Area::Territory, Write, Regulator) => true,
        (Area::Territory, _, _) => false,
        (Area::Users, _, Admin) => true,
        (Area::Users, _, _) => false,
        (Area::Audit, Read, Admin) => true,
        (Area::Audit, _, _) => false,
    }
}

fn area_name(area: Area) -> &'static str {
    match area {
        Area::Reference => "reference data",
        Area::Territory => "territory",
        Area::Users => "users",
        Area::Audit => "the audit trail",
    }
}

/// Refuses with 403 unless the actor's role may `access` `area`.
pub fn require(ctx: &Ctx, area: Area, access: Access) -> Result<()> {
    if allows(ctx.actor.role, area, access) {
        return Ok(());
    }
    let verb = match access {
        Access::Read => "read",
        Access::Write => "change",
    };
    Err(AppError::Forbidden(format!(
        "the {} role does not {verb} {}",
        ctx.actor.role.as_str(),
        area_name(area)
    )))
}

/// The region to look at: what was asked, narrowed to the actor's scope. Asking for a region
/// outside the scope is answered as if it did not exist; asking for a region that contains
/// the scope gives the scope.
pub fn region_in_scope(ctx: &Ctx, asked: Option<RegionCode>) -> Result<Option<RegionCode>> {
    match (ctx.actor.region, asked) {
        (None, asked) => Ok(asked),
        (Some(own), None) => Ok(Some(own)),
        (Some(own), Some(asked)) if asked.is_within(own) => Ok(Some(asked)),
        (Some(own), Some(asked)) if own.is_within(asked) => Ok(Some(own)),
        (Some(_), Some(asked)) => Err(AppError::NotFound(format!("region {asked}"))),
    }
}

/// Whether `code` lies in the actor's region.
pub fn sees_region(ctx: &Ctx, code: RegionCode) -> bool {
    ctx.actor.region.is_none_or(|own| code.is_within(own))
}

/// A bank user's institution; `None` for every other role. A bank user without one (which
/// the schema prevents) sees nothing.
pub fn bank_institution(ctx: &Ctx) -> Result<Option<&str>> {
    if ctx.actor.role != Role::Bank {
        return Ok(None);
    }
    match ctx.actor.institution.as_deref() {
        Some(code) => Ok(Some(code)),
        None => Err(AppError::Forbidden(
            "a bank user without an institution sees no bank data".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Actor;

    fn ctx(role: Role, region: Option<&str>) -> Ctx {
        Ctx {
            actor: Actor {
                name: "t".into(),
                role,
                region: region.map(|r| RegionCode::parse(r).expect("code")),
                institution: (role == Role::Bank).then(|| "B".to_string()),
            },
            now: "2026-01-01T00:00:00.000Z".into(),
            request_id: None,
        }
    }

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).expect("code")
    }

    #[test]
    fn scope_narrows_and_hides() {
        let county = ctx(Role::Regulator, Some("361128"));
        assert_eq!(
            region_in_scope(&county, None).unwrap(),
            Some(code("361128"))
        );
        assert_eq!(
            region_in_scope(&county, Some(code("361128100"))).unwrap(),
            Some(code("361128100"))
        );
        assert_eq!(
            region_in_scope(&county, Some(code("3611"))).unwrap(),
            Some(code("361128"))
        );
        assert!(matches!(
            region_in_scope(&county, Some(code("361125"))),
            Err(AppError::NotFound(_))
        ));
        let operator = Ctx {
            actor: Actor::operator("x"),
            ..county.clone()
        };
        assert_eq!(region_in_scope(&operator, None).unwrap(), None);
    }

    #[test]
    fn the_matrix_of_design_md() {
        use Access::*;
        for role in Role::USER_ROLES {
            assert!(allows(role, Area::Reference, Read));
            assert!(!allows(role, Area::Reference, Write));
            assert_eq!(allows(role, Area::Users, Write), role == Role::Admin);
            assert_eq!(allows(role, Area::Audit, Read), role == Role::Admin);
            assert_eq!(
                allows(role, Area::Territory, Read),
                matches!(role, Role::Regulator | Role::Bank)
            );
            assert_eq!(
                allows(role, Area::Territory, Write),
                role == Role::Regulator
            );
        }
        assert!(require(&ctx(Role::Finance, Some("36")), Area::Territory, Read).is_err());
    }
}
