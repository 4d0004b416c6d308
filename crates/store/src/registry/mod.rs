//! The registry of poor households and enterprises.
//!
//! Households and members are versioned rows (`household_versions`, `members`): one row per
//! version over `[valid_from, valid_to)` in business dates, `valid_to` null for the current one.
//! The registry as of a date is a range query ([`as_of_condition`]), so reports never replay
//! history. `households` holds one row per household ever registered (the key other tables
//! refer to). Every change is also an event in `registry_events`, numbered from the single
//! `registry_head` row, which serialises registry writers on both engines so that numbers are
//! committed in order and a reader polling "after N" never misses one.
//!
//! A household import works through the `registry_import_*` tables inside its transaction:
//! rows are staged, the rules spanning rows are checked with SQL, and the result is applied in
//! chunks of households. The tables are empty outside an import.

use fupin_core::{BusinessDate, Fen, RegionCode, RegionLevel};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, AuditEntry};
use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::filter::Conditions;
use crate::regions::date_column;
use crate::sql::{BulkRows, Params, numbered_list, rows_per_insert};

mod enterprises;
mod read;
mod rows;
mod staging;
mod write;

pub use enterprises::*;
pub use read::*;
use rows::*;
pub use staging::*;
pub use write::*;

/// Keys per `IN (...)` list.
const KEYS_PER_QUERY: usize = 500;

/// The SQL condition "version valid on the date bound as `$n`" for a table alias.
pub fn as_of_condition(alias: &str, n: usize) -> String {
    format!("{alias}.valid_from <= ${n} and ({alias}.valid_to is null or {alias}.valid_to > ${n})")
}

// ---------------------------------------------------------------------------------------------
// types

/// The household-level facts of one version (the columns repeated on each member row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdFacts {
    pub village_code: RegionCode,
    /// `general`, `low_income`, `five_guarantee` or `low_income_poor`.
    pub poverty_attribute: String,
    /// One of the causes of FORMATS.md (`illness`, `disability`, …).
    pub main_cause: String,
    /// At most two causes, sorted.
    pub other_causes: Vec<String>,
    /// `poor`, `exited` or `relapsed`.
    pub status: String,
    pub exited_year: Option<i64>,
    pub identified_on: BusinessDate,
    pub per_capita_income: Fen,
}

/// One version of a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdVersion {
    pub household_id: String,
    pub facts: HouseholdFacts,
    pub valid_from: BusinessDate,
    pub valid_to: Option<BusinessDate>,
}

/// What is known of a person as a member of a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberFacts {
    /// The normalised 18-character resident ID number. Personal data: never log it.
    pub id_number: String,
    pub name: String,
    /// `head`, `spouse`, `child`, `parent`, `grandchild` or `other`.
    pub relation: String,
    /// `male` or `female`, derived from the ID number.
    pub sex: String,
    /// Derived from the ID number.
    pub birth_date: BusinessDate,
    /// `normal`, `skilled`, `weak` or `none`.
    pub labour: String,
    pub phone: Option<String>,
    /// The date of death the registry records (the alerts' 冒名贷款 check); `None` while alive.
    pub died_on: Option<BusinessDate>,
}

/// One version of a person's membership of a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberVersion {
    pub household_id: String,
    pub member: MemberFacts,
    pub valid_from: BusinessDate,
    pub valid_to: Option<BusinessDate>,
}

/// A household as registered: when it was first valid and whether it was removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdIdentity {
    pub household_id: String,
    /// The village of its latest version.
    pub village_code: RegionCode,
    pub added_on: BusinessDate,
    pub removed_on: Option<BusinessDate>,
    /// As-of date of the extract that last changed it.
    pub changed_on: BusinessDate,
}

/// A member row of an import file, parsed, in the working table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedRow {
    pub line: i64,
    pub household_id: String,
    pub facts: HouseholdFacts,
    pub member: MemberFacts,
    /// The household the person belongs to now, when it is another one.
    pub moved_from: Option<String>,
}

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub as_of: BusinessDate,
    pub household_id: String,
    pub village_code: RegionCode,
    /// `added`, `changed`, `status_changed`, `removed`, `member_added`, `member_changed`,
    /// `member_removed`.
    pub kind: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_as_of_condition_names_one_placeholder_twice() {
        assert_eq!(
            as_of_condition("v", 1),
            "v.valid_from <= $1 and (v.valid_to is null or v.valid_to > $1)"
        );
    }
}
