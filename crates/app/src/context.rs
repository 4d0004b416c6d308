//! Who is acting, and when: passed into every use case by the edge (CLI or web).

use fupin_core::RegionCode;
use fupin_store::audit::AuditEntry;

/// The five roles of DESIGN.md, plus the local operator of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Regulator,
    Bank,
    PovertyOffice,
    Finance,
    Admin,
    /// A guarantee company's staff: its own guarantee contracts and claims (institution code).
    Guarantor,
    /// An insurance company's staff (issue #27): its own policies, premiums and claims.
    Insurer,
    /// Someone running `fupin` on the server itself: they hold the database file or URL, so
    /// they already have everything; their actions are still audited.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Regulator => "regulator",
            Role::Bank => "bank",
            Role::PovertyOffice => "poverty_office",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::Guarantor => "guarantor",
            Role::Insurer => "insurer",
            Role::Operator => "operator",
        }
    }

    /// The roles a user account can have (the operator is not an account).
    pub const USER_ROLES: [Role; 7] = [
        Role::Regulator,
        Role::Bank,
        Role::PovertyOffice,
        Role::Finance,
        Role::Admin,
        Role::Guarantor,
        Role::Insurer,
    ];

    /// A user role from its name (`regulator`, `bank`, `poverty_office`, `finance`, `admin`,
    /// `guarantor`, `insurer`).
    pub fn parse(text: &str) -> Option<Role> {
        Role::USER_ROLES
            .into_iter()
            .find(|role| role.as_str() == text.trim())
    }
}

/// The acting user and their scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// The region they may see; `None` means everything.
    pub region: Option<RegionCode>,
    /// For bank, guarantor and insurer users, their institution's code.
    pub institution: Option<String>,
}

impl Actor {
    /// The local operator of the command line.
    pub fn operator(os_user: &str) -> Actor {
        Actor {
            name: format!("cli:{os_user}"),
            role: Role::Operator,
            region: None,
            institution: None,
        }
    }
}

/// Context of one command or request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: Actor,
    /// The instant the request arrived, RFC 3339, read by the edge: it stamps audit records only
    /// and never decides business logic.
    pub now: String,
    pub request_id: Option<String>,
}

impl Ctx {
    /// An audit entry by this actor, at this instant.
    pub fn audit(&self, action: &str, entity: &str, entity_id: &str) -> AuditEntry {
        AuditEntry {
            at: self.now.clone(),
            actor: self.actor.name.clone(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: None,
            after_json: None,
            request_id: self.request_id.clone(),
        }
    }
}
