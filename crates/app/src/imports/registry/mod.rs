//! Importers of the registry files: households, enterprises, enterprise links.
//!
//! # Households
//!
//! The `households` file has one row per member, in any order, and is the full list for the
//! villages it covers. [`import_households`] has its own driver because the rules span rows
//! that may lie far apart (one head per household, household columns that agree, a person in one
//! household at a time) and a household can only be compared with the registry once all its
//! rows are known. Memory must not grow with the file, so the rows go through the database:
//!
//! 1. **Stage.** Each row is parsed into domain types (an invalid row is reported and its
//!    household refused) and inserted, 5,000 rows a statement (the rows travel as one JSON
//!    parameter, see `fupin_store::sql`), into the working table `registry_import_rows` inside
//!    the import's write transaction. Villages are checked against the regions table (cached:
//!    there are few).
//! 2. **Check across rows** with SQL over the working table (on PostgreSQL analyzed first, so
//!    that the planner knows its size): people given twice, household columns that disagree,
//!    households without exactly one head, people whom the registry has in another household
//!    that the file neither lists nor removes, and extracts older than what is stored. Every
//!    household with an error is refused.
//! 3. **Apply**: removals first (households of the covered villages that the file does not
//!    list and did not refuse); then one statement sets aside the households of the file equal
//!    to the registry (counted unchanged, never read back: the same file again costs little
//!    more than staging and checking it), and the others are compared with their current
//!    version and members in chunks in id order; changes close the current versions on the
//!    as-of date and open new ones, and every change is a feed event and (per household) an
//!    audit record. Each kind of row of a chunk is written by one statement.
//!
//! The code: `households` drives, `checks` holds the rules across rows, `apply` the
//! comparison and writes, `parse` one row, `enterprises` the two enterprise files.
//!
//! By default a file with any error changes nothing; with `load_valid` the households whose rows
//! are all valid are applied and refused ones are left as they are (never removed). A row that
//! cannot be attributed to a household (unreadable bytes, no valid household id) makes
//! `load_valid` impossible: the file is refused.
//!
//! Versions of a household seen for the first time start on its identification date, but never
//! on or before the previous extract date of its village (which did not list it); all other
//! changes take effect on the extract's as-of date. Extracts must not go back in time.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use fupin_core::{BusinessDate, CreditCode, RegionCode, RegionLevel, ResidentId};
use fupin_store::audit::{self, AuditEntry};
use fupin_store::registry::{
    self, Enterprise, EnterpriseLink, HouseholdFacts, HouseholdIdentity, HouseholdVersion,
    MemberFacts, MemberVersion, NewEvent, RegistryWrites, StagedRow,
};
use fupin_store::{Db, Tx, regions};
use serde_json::{Map, Value, json};

use super::fields::{identifier, optional, required, required_text, row_error};
use super::{
    Applied, ERRORS_KEPT_MAX, ImportCounts, ImportOptions, ImportReport, Importer,
    REMOVALS_LISTED_MAX, Removals, RowErrors,
};
use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::Result;
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, RowSource, mojibake, value};
use crate::registry::{household_json, mask_text, member_json};

mod apply;
mod checks;
mod enterprises;
mod households;
mod parse;

use apply::*;
pub use enterprises::{
    EnterpriseImporter, EnterpriseLinkImporter, EnterpriseRecord, LinkRecord, enterprise_json,
    link_json,
};
pub use households::import_households;
use households::*;
use parse::*;

type RowResult<T> = std::result::Result<T, Vec<FieldError>>;

/// Relation to the head of household: English value, Chinese alias.
pub const RELATIONS: &[(&str, &str, &str)] = &[
    ("head", "户主", "head"),
    ("spouse", "配偶", "spouse"),
    ("child", "子女", "child"),
    ("parent", "父母", "parent"),
    ("grandchild", "孙子女", "grandchild"),
    ("other", "其他", "other"),
];

/// Poverty attributes (贫困户属性).
pub const POVERTY_ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("general", "一般贫困户", "general"),
    ("low_income", "低保户", "low_income"),
    ("five_guarantee", "五保户", "five_guarantee"),
    ("low_income_poor", "低保贫困户", "low_income_poor"),
];

/// Causes of poverty (致贫原因). `其他` is accepted beside FORMATS.md's `其它`.
pub const CAUSES: &[(&str, &str, &str)] = &[
    ("illness", "因病", "illness"),
    ("disability", "因残", "disability"),
    ("education", "因学", "education"),
    ("disaster", "因灾", "disaster"),
    ("lack_land", "缺土地", "lack_land"),
    ("lack_water", "缺水", "lack_water"),
    ("lack_skills", "缺技术", "lack_skills"),
    ("lack_labour", "缺劳力", "lack_labour"),
    ("lack_funds", "缺资金", "lack_funds"),
    ("transport", "交通条件落后", "transport"),
    ("lack_motivation", "自身发展动力不足", "lack_motivation"),
    ("other", "其它", "other"),
    ("other", "其他", "other"),
];

/// Statuses (脱贫状态).
pub const STATUSES: &[(&str, &str, &str)] = &[
    ("poor", "未脱贫", "poor"),
    ("exited", "已脱贫", "exited"),
    ("relapsed", "返贫", "relapsed"),
];

/// Labour capacity (劳动能力).
pub const LABOUR: &[(&str, &str, &str)] = &[
    ("normal", "普通劳动力", "normal"),
    ("skilled", "技能劳动力", "skilled"),
    ("weak", "弱劳动力", "weak"),
    ("none", "无劳动力", "none"),
];

/// Enterprise kinds.
pub const ENTERPRISE_KINDS: &[(&str, &str, &str)] = &[
    ("leading_enterprise", "龙头企业", "leading_enterprise"),
    ("cooperative", "农民专业合作社", "cooperative"),
    ("family_farm", "家庭农场", "family_farm"),
    ("breeding_base", "养殖基地", "breeding_base"),
    ("project_entity", "项目主体", "project_entity"),
    ("other", "其他", "other"),
];

/// Levels of a leading enterprise.
pub const LEADING_LEVELS: &[(&str, &str, &str)] = &[
    ("national", "国家级", "national"),
    ("provincial", "省级", "provincial"),
    ("municipal", "市级", "municipal"),
];

/// How an enterprise lifts a household (带动方式).
pub const LINK_KINDS: &[(&str, &str, &str)] = &[
    ("employment", "就业", "employment"),
    ("land_lease", "土地流转", "land_lease"),
    ("dividend", "资产收益", "dividend"),
    ("purchase", "订单收购", "purchase"),
    ("other", "其他", "other"),
];

/// The columns of the `households` file.
pub const HOUSEHOLD_COLUMNS: &[Column] = &[
    Column::required("household_id", "户编号"),
    Column::required("village_code", "行政村代码"),
    Column::required("name", "姓名"),
    Column::required("id_number", "证件号码"),
    Column::required("relation", "与户主关系"),
    Column::required("poverty_attribute", "贫困户属性"),
    Column::required("main_cause", "主要致贫原因"),
    Column::optional("other_causes", "其他致贫原因"),
    Column::required("status", "脱贫状态"),
    Column::required("identified_on", "识别时间"),
    Column::optional("exited_year", "脱贫年度"),
    Column::required("per_capita_income", "人均纯收入"),
    Column::required("labour", "劳动能力"),
    Column::optional("phone", "联系电话"),
    Column::optional("died_on", "死亡日期"),
];

/// The household-level columns, which must agree on every row of a household.
const HOUSEHOLD_LEVEL: &[&str] = &[
    "village_code",
    "poverty_attribute",
    "main_cause",
    "other_causes",
    "status",
    "exited_year",
    "identified_on",
    "per_capita_income",
];

/// Parsed rows inserted per batch while staging (one statement each).
const STAGE_BATCH: usize = 5_000;
/// Households compared and written per chunk.
const APPLY_CHUNK: i64 = 2_000;
/// The first year a household can have left poverty (targeted poverty alleviation began 2014).
const FIRST_EXIT_YEAR: i64 = 2014;
/// Longest name accepted, in characters.
const NAME_CHARS_MAX: usize = 50;
