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
    /// The registry of poor households, its members and its change feed.
    Registry,
    /// Loans, their schedules and repayments (the poverty office sees only the *status* of its
    /// households' loans, through the registry: see [`sees_loan_details`]).
    Loans,
    /// County interest-subsidy and risk-compensation funds, and claims on them.
    Funds,
    /// Guarantors of loans, the county guarantee funds, guarantee companies and the loss
    /// waterfall's guarantee claims (scoped further in `crate::guarantees`).
    Guarantees,
    /// Statistical returns and their approval.
    Returns,
    /// Indicators (the regulator's figures) and the report.
    Indicators,
    /// Supervisory alerts: the regulator's region, a bank's own.
    Alerts,
    /// Operations over all the data: end of day.
    Operations,
    /// Insurance policies, premiums and claims (see [`crate::insurance`]).
    Insurance,
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
        // The registry: the poverty office keeps it; banks read their townships and borrowers,
        // the regulator its region.
        (Area::Registry, Read, Regulator | Bank | PovertyOffice) => true,
        (Area::Registry, Write, PovertyOffice) => true,
        (Area::Registry, _, _) => false,
        // Loans: a bank its own; the regulator reads its region's. The poverty office sees only
        // the status of its households' loans (on the household), never the loans themselves.
        (Area::Loans, Read, Regulator | Bank) => true,
        (Area::Loans, Write, Bank) => true,
        (Area::Loans, _, _) => false,
        // Funds: the finance bureau keeps them and approves claims; the regulator reads them; a
        // bank reads its own claims.
        (Area::Funds, Read, Regulator | Finance | Bank) => true,
        (Area::Funds, Write, Finance) => true,
        (Area::Funds, _, _) => false,
        // Guarantees: a bank names the guarantors of its loans, the finance bureau keeps the
        // guarantee fund and approves its claims, a guarantor its own contracts' claims.
        (Area::Guarantees, Read, Regulator | Bank | Finance | Guarantor) => true,
        (Area::Guarantees, Write, Bank | Finance | Guarantor) => true,
        (Area::Guarantees, _, _) => false,
        // Returns: banks file their own, the regulator approves (see `returns`).
        (Area::Returns, Read, Regulator | Bank) => true,
        (Area::Returns, Write, Regulator | Bank) => true,
        (Area::Returns, _, _) => false,
        // Indicators are aggregate figures: every business role reads them for its region (a
        // bank its own part of the institution measures); the regulator defines them.
        (Area::Indicators, Read, Regulator | Bank | PovertyOffice | Finance) => true,
        (Area::Indicators, Write, Regulator) => true,
        (Area::Indicators, _, _) => false,
        // Alerts: the regulator supervises its region and dismisses; a bank answers its own.
        (Area::Alerts, _, Regulator | Bank) => true,
        (Area::Alerts, _, _) => false,
        // End of day posts every bank's interest and classifies every loan of the database: an
        // operation of the platform, not a business act of one region.
        (Area::Operations, _, Admin) => true,
        (Area::Operations, _, _) => false,
        // Insurance: the insurer keeps its own policies and claims, the finance bureau approves
        // premium subsidies, the regulator reads its region, a bank the cover of its loans.
        (Area::Insurance, Read, Regulator | Finance | Bank | Insurer) => true,
        (Area::Insurance, Write, Finance | Insurer) => true,
        (Area::Insurance, _, _) => false,
    }
}

fn area_name(area: Area) -> &'static str {
    match area {
        Area::Reference => "reference data",
        Area::Territory => "territory",
        Area::Users => "users",
        Area::Audit => "the audit trail",
        Area::Registry => "the registry",
        Area::Loans => "loans",
        Area::Funds => "funds",
        Area::Guarantees => "guarantees",
        Area::Returns => "returns",
        Area::Indicators => "indicators",
        Area::Alerts => "alerts",
        Area::Operations => "operations (end of day)",
        Area::Insurance => "insurance",
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

/// A guarantor user's institution (its guarantee company); `None` for every other role.
pub fn guarantor_institution(ctx: &Ctx) -> Result<Option<&str>> {
    if ctx.actor.role != Role::Guarantor {
        return Ok(None);
    }
    ctx.actor.institution.as_deref().map(Some).ok_or_else(|| {
        AppError::Forbidden("a guarantor user without an institution sees no guarantees".into())
    })
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

/// Refuses, as not found, a thing located at `code` outside the actor's region.
pub fn require_region(ctx: &Ctx, code: RegionCode, what: impl FnOnce() -> String) -> Result<()> {
    match sees_region(ctx, code) {
        true => Ok(()),
        false => Err(AppError::NotFound(what())),
    }
}

/// Refuses, as not found, another bank's thing (for bank users; others pass).
pub fn require_institution(
    ctx: &Ctx,
    institution: &str,
    what: impl FnOnce() -> String,
) -> Result<()> {
    match bank_institution(ctx)? {
        Some(own) if own != institution => Err(AppError::NotFound(what())),
        _ => Ok(()),
    }
}

/// Whether the actor sees the county funds' figures — balances, deposits, subsidy and
/// compensation paid, recoveries, covered loans, leverage — wherever they appear: the funds API
/// and page, fund indicators (and any ledger measure over fund accounts), the dashboard, the
/// report. The finance bureau keeps the funds and the regulator supervises them, each for its
/// region; a bank reads only its own claims (the funds are the state's money, not its data),
/// and the poverty office reads no funds at all.
pub fn sees_fund_figures(ctx: &Ctx) -> bool {
    matches!(
        ctx.actor.role,
        Role::Regulator | Role::Finance | Role::Operator
    )
}

/// Refuses with 403 an actor who may not see the county funds' figures
/// ([`sees_fund_figures`]).
pub fn require_fund_figures(ctx: &Ctx) -> Result<()> {
    require(ctx, Area::Funds, Access::Read)?;
    match sees_fund_figures(ctx) {
        true => Ok(()),
        false => Err(AppError::Forbidden(format!(
            "the {} role reads its own claims, not the county funds' figures",
            ctx.actor.role.as_str()
        ))),
    }
}

/// Whether the actor sees loans in detail (amounts, schedules, repayments), not only their
/// status.
pub fn sees_loan_details(ctx: &Ctx) -> bool {
    allows(ctx.actor.role, Area::Loans, Access::Read)
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
                institution: matches!(role, Role::Bank | Role::Guarantor).then(|| "B".to_string()),
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
        for role in Role::USER_ROLES {
            assert_eq!(
                allows(role, Area::Loans, Write),
                role == Role::Bank,
                "only banks change loans"
            );
            assert_eq!(allows(role, Area::Funds, Write), role == Role::Finance);
            assert_eq!(
                require_fund_figures(&ctx(role, Some("361128"))).is_ok(),
                matches!(role, Role::Regulator | Role::Finance),
                "fund figures: the finance bureau and the regulator only"
            );
            assert_eq!(allows(role, Area::Operations, Write), role == Role::Admin);
            assert_eq!(
                allows(role, Area::Guarantees, Write),
                matches!(role, Role::Bank | Role::Finance | Role::Guarantor)
            );
            if role == Role::Guarantor {
                assert!(!allows(role, Area::Loans, Read) && !allows(role, Area::Funds, Read));
            }
            assert_eq!(
                allows(role, Area::Registry, Read),
                matches!(role, Role::Regulator | Role::Bank | Role::PovertyOffice)
            );
            assert_eq!(
                allows(role, Area::Insurance, Write),
                matches!(role, Role::Insurer | Role::Finance),
                "the insurer enters policies and claims, the finance bureau approves subsidies"
            );
            if role == Role::Insurer {
                use Area::*;
                let others = [
                    Territory, Users, Audit, Registry, Loans, Funds, Returns, Indicators, Alerts,
                    Operations,
                ];
                assert!(others.into_iter().all(|area| !allows(role, area, Read)));
            }
        }
    }
}
