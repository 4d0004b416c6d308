//! Importers of the territory files: regions, institutions, assignments, service points.

use std::collections::HashMap;

use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use fupin_store::Tx;
use fupin_store::institutions::{self, Assignment, Institution};
use fupin_store::regions::{self, Region};
use fupin_store::service_points::{self, ServicePoint};
use serde_json::json;

use super::fields::{identifier, optional, optional_text, required, required_text, row_error};
use super::{Applied, Importer, RowErrors};
use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::Result;
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, value};

type RowResult<T> = std::result::Result<T, Vec<FieldError>>;

/// Institution types of FORMATS.md: English value, Chinese alias.
pub const INSTITUTION_TYPES: &[(&str, &str, &str)] = &[
    ("policy_bank", "政策性银行", "policy_bank"),
    ("large_commercial", "大型商业银行", "large_commercial"),
    ("postal_savings", "邮储银行", "postal_savings"),
    ("rural_cooperative", "农村合作金融机构", "rural_cooperative"),
    ("village_bank", "村镇银行", "village_bank"),
    ("other", "其他", "other"),
];

/// Service point kinds: English value, Chinese alias.
pub const SERVICE_POINT_KINDS: &[(&str, &str, &str)] = &[
    ("outlet", "营业网点", "outlet"),
    ("atm", "自助设备", "atm"),
    ("withdrawal_point", "助农取款点", "withdrawal_point"),
    ("pos", "POS终端", "pos"),
    ("mobile", "流动服务", "mobile"),
    ("other", "其他", "other"),
];

/// Services a point may offer: English value, Chinese alias.
pub const SERVICES: &[(&str, &str, &str)] = &[
    ("enquiry", "查询", "enquiry"),
    ("bank_card", "银行卡", "bank_card"),
    (
        "microcredit_application",
        "小额信贷受理",
        "microcredit_application",
    ),
    ("agency", "代理业务", "agency"),
    ("cash_withdrawal", "取款", "cash_withdrawal"),
    ("transfer", "转账", "transfer"),
    ("payment", "缴费", "payment"),
];

// ---------------------------------------------------------------------------------------------
// shared steps

/// A record written by an import, with what was stored before it.
struct Change<'a, T> {
    entity: &'static str,
    id: &'a str,
    before: Option<&'a T>,
    after: &'a T,
}

/// Appends the audit record of a write (`<entity>.save`, before and after as JSON) to the
/// import's trail and says whether it added or changed the record.
async fn record_change<T>(
    tx: &mut Tx,
    ctx: &Ctx,
    trail: &mut Trail,
    change: Change<'_, T>,
    json: fn(&T) -> serde_json::Value,
) -> Result<Applied> {
    let mut entry = ctx.audit(&format!("{}.save", change.entity), change.entity, change.id);
    entry.before_json = change.before.map(|before| json(before).to_string());
    entry.after_json = Some(json(change.after).to_string());
    trail.append(tx, entry).await?;
    Ok(match change.before {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    })
}

/// Refuses the row when the region it names is not stored.
async fn require_region(
    tx: &mut Tx,
    code: RegionCode,
    line: u64,
    column: &str,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    if regions::get_in(tx, code).await?.is_none() {
        let message = format!(
            "{} {code} does not exist: import regions first",
            code.level()
        );
        errors.push(row_error(line, column, &code.to_string(), message));
    }
    Ok(())
}

/// Refuses the row when the institution it names is not stored.
async fn require_institution(
    tx: &mut Tx,
    code: &str,
    line: u64,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    if institutions::get_in(tx, code).await?.is_none() {
        let message = format!("institution {code} does not exist: import institutions first");
        errors.push(row_error(line, "institution_code", code, message));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// regions

/// A row of the `regions` file.
pub struct RegionRecord {
    code: RegionCode,
    name: String,
    name_en: Option<String>,
    population: Option<i64>,
    poverty_county: Option<bool>,
    poverty_village: Option<bool>,
}

/// Imports `regions`: the parent of each code must exist or come in the same file.
pub struct RegionImporter {
    seen: HashMap<RegionCode, u64>,
    /// Rows whose parent was neither stored nor seen yet when they were applied.
    pending_parents: Vec<(u64, RegionCode)>,
    trail: Trail,
}

impl Default for RegionImporter {
    fn default() -> RegionImporter {
        RegionImporter {
            seen: HashMap::new(),
            pending_parents: Vec::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for RegionImporter {
    const KIND: &'static str = "regions";
    const COLUMNS: &'static [Column] = &[
        Column::required("code", "代码"),
        Column::required("name", "名称"),
        Column::optional("name_en", "英文名称"),
        Column::optional("population", "人口"),
        Column::optional("poverty_county", "国定贫困县"),
        Column::optional("poverty_village", "贫困村"),
    ];
    type Record = RegionRecord;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<RegionRecord> {
        let mut errors = RowErrors::default();
        let code = required(row, map, "code", value::region_code, &mut errors);
        let name = required_text(row, map, "name", &mut errors);
        let name_en = optional_text(row, map, "name_en", &mut errors);
        let population = optional(row, map, "population", non_negative_integer, &mut errors);
        let poverty_county = optional(row, map, "poverty_county", value::boolean, &mut errors);
        let poverty_village = optional(row, map, "poverty_village", value::boolean, &mut errors);
        match (code, name, population, poverty_county, poverty_village) {
            (Some(code), Some(name), Ok(population), Ok(poverty_county), Ok(poverty_village))
                if errors.is_empty() =>
            {
                Ok(RegionRecord {
                    code,
                    name,
                    name_en,
                    population,
                    poverty_county,
                    poverty_village,
                })
            }
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: RegionRecord,
    ) -> Result<RowResult<Applied>> {
        if let Some(first) = self.seen.insert(record.code, line) {
            return Ok(Err(vec![row_error(
                line,
                "code",
                &record.code.to_string(),
                format!(
                    "code {} appears twice: rows {first} and {line}",
                    record.code
                ),
            )]));
        }
        if let Some(parent) = record.code.parent()
            && !self.seen.contains_key(&parent)
            && regions::get_in(tx, parent).await?.is_none()
        {
            self.pending_parents.push((line, record.code));
        }
        let before = regions::get_in(tx, record.code).await?;
        let region = merge_region(before.as_ref(), record);
        let mut counts = crate::regions::ChangeCounts::default();
        crate::regions::save(tx, ctx, &region, &mut counts, &mut self.trail).await?;
        Ok(Ok(applied_of(&counts)))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        let mut errors = Vec::new();
        for (line, code) in std::mem::take(&mut self.pending_parents) {
            let parent = code.parent().expect("pending rows have a parent");
            if self.seen.contains_key(&parent) {
                continue;
            }
            let missing = highest_missing_ancestor(tx, code).await?.unwrap_or(parent);
            errors.push(row_error(
                line,
                "code",
                &code.to_string(),
                format!(
                    "the {} {} above {code} does not exist: import it first or add it to this file",
                    missing.level(),
                    missing
                ),
            ));
        }
        Ok(errors)
    }
}

/// The file's columns over what is stored; what the file does not carry is kept.
fn merge_region(before: Option<&Region>, record: RegionRecord) -> Region {
    Region {
        code: record.code,
        name: record.name,
        name_en: record
            .name_en
            .or_else(|| before.and_then(|b| b.name_en.clone())),
        parent_code: record.code.parent(),
        population: record
            .population
            .or_else(|| before.and_then(|b| b.population)),
        poverty_county: record
            .poverty_county
            .unwrap_or_else(|| before.is_some_and(|b| b.poverty_county)),
        poverty_village: record
            .poverty_village
            .unwrap_or_else(|| before.is_some_and(|b| b.poverty_village)),
        valid_from: before.and_then(|b| b.valid_from),
        valid_to: before.and_then(|b| b.valid_to),
        successor_code: before.and_then(|b| b.successor_code),
        note: before.and_then(|b| b.note.clone()),
    }
}

/// The highest ancestor (county before township) that is not stored, for a clear message.
async fn highest_missing_ancestor(tx: &mut Tx, code: RegionCode) -> Result<Option<RegionCode>> {
    let mut missing = None;
    let mut current = code.parent();
    while let Some(ancestor) = current {
        if regions::get_in(tx, ancestor).await?.is_none() {
            missing = Some(ancestor);
        }
        current = ancestor.parent();
    }
    Ok(missing)
}

fn applied_of(counts: &crate::regions::ChangeCounts) -> Applied {
    if counts.added > 0 {
        Applied::Added
    } else if counts.changed > 0 {
        Applied::Changed
    } else {
        Applied::Unchanged
    }
}

fn non_negative_integer(cell: &Cell) -> std::result::Result<i64, String> {
    let number = value::integer(cell)?;
    match number >= 0 {
        true => Ok(number),
        false => Err(format!("{number} is negative")),
    }
}

// ---------------------------------------------------------------------------------------------
// institutions

/// Imports `institutions`: the region must be stored; a parent institution must be stored or
/// come in the same file.
pub struct InstitutionImporter {
    seen: HashMap<String, u64>,
    pending_parents: Vec<(u64, String, String)>,
    trail: Trail,
}

impl Default for InstitutionImporter {
    fn default() -> InstitutionImporter {
        InstitutionImporter {
            seen: HashMap::new(),
            pending_parents: Vec::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for InstitutionImporter {
    const KIND: &'static str = "institutions";
    const COLUMNS: &'static [Column] = &[
        Column::required("code", "机构代码"),
        Column::required("name", "机构名称"),
        Column::optional("name_en", "英文名称"),
        Column::required("type", "机构类型"),
        Column::optional("parent_code", "上级机构代码"),
        Column::required("region_code", "所在地区代码"),
    ];
    type Record = Institution;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<Institution> {
        let mut errors = RowErrors::default();
        let code = required(row, map, "code", identifier, &mut errors);
        let name = required_text(row, map, "name", &mut errors);
        let name_en = optional_text(row, map, "name_en", &mut errors);
        let kind = required(
            row,
            map,
            "type",
            |c| value::enumeration(c, INSTITUTION_TYPES),
            &mut errors,
        );
        let parent_code = optional(row, map, "parent_code", identifier, &mut errors);
        let region_code = required(row, map, "region_code", value::region_code, &mut errors);
        match (code, name, kind, parent_code, region_code) {
            (Some(code), Some(name), Some(kind), Ok(parent_code), Some(region_code))
                if errors.is_empty() =>
            {
                if parent_code.as_deref() == Some(code.as_str()) {
                    return Err(vec![row.error(
                        map,
                        "parent_code",
                        "an institution cannot be its own parent",
                    )]);
                }
                Ok(Institution {
                    code,
                    name,
                    name_en,
                    kind: kind.to_string(),
                    parent_code,
                    region_code,
                })
            }
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: Institution,
    ) -> Result<RowResult<Applied>> {
        if let Some(first) = self.seen.insert(record.code.clone(), line) {
            let message = format!(
                "institution {} appears twice: rows {first} and {line}",
                record.code
            );
            return Ok(Err(vec![row_error(line, "code", &record.code, message)]));
        }
        if regions::get_in(tx, record.region_code).await?.is_none() {
            let message = format!(
                "region {} does not exist: import regions first",
                record.region_code
            );
            return Ok(Err(vec![row_error(
                line,
                "region_code",
                &record.region_code.to_string(),
                message,
            )]));
        }
        if let Some(parent) = &record.parent_code
            && !self.seen.contains_key(parent)
            && institutions::get_in(tx, parent).await?.is_none()
        {
            self.pending_parents
                .push((line, record.code.clone(), parent.clone()));
        }
        let before = institutions::get_in(tx, &record.code).await?;
        if before.as_ref() == Some(&record) {
            return Ok(Ok(Applied::Unchanged));
        }
        institutions::upsert(tx, &record).await?;
        let change = Change {
            entity: "institution",
            id: &record.code,
            before: before.as_ref(),
            after: &record,
        };
        Ok(Ok(record_change(
            tx,
            ctx,
            &mut self.trail,
            change,
            institution_json,
        )
        .await?))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        let errors = std::mem::take(&mut self.pending_parents)
            .into_iter()
            .filter(|(_, _, parent)| !self.seen.contains_key(parent))
            .map(|(line, code, parent)| {
                row_error(
                    line,
                    "parent_code",
                    &parent,
                    format!("parent institution {parent} of {code} does not exist: import it first or add it to this file"),
                )
            })
            .collect();
        Ok(errors)
    }
}

/// JSON of an institution, for audit records and the API.
pub fn institution_json(institution: &Institution) -> serde_json::Value {
    json!({
        "code": institution.code,
        "name": institution.name,
        "name_en": institution.name_en,
        "type": institution.kind,
        "parent_code": institution.parent_code,
        "region_code": institution.region_code.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// assignments

/// Imports `assignments`: townships and institutions must be stored; two responsible
/// institutions for one township on one day are refused, naming both rows.
pub struct AssignmentImporter {
    seen: HashMap<(RegionCode, BusinessDate), u64>,
    trail: Trail,
}

impl Default for AssignmentImporter {
    fn default() -> AssignmentImporter {
        AssignmentImporter {
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for AssignmentImporter {
    const KIND: &'static str = "assignments";
    const COLUMNS: &'static [Column] = &[
        Column::required("township_code", "乡镇代码"),
        Column::required("institution_code", "责任机构代码"),
        Column::required("effective_from", "起始日期"),
        Column::optional("effective_to", "终止日期"),
    ];
    type Record = Assignment;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<Assignment> {
        let mut errors = RowErrors::default();
        let township = required(row, map, "township_code", value::region_code, &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let from = required(row, map, "effective_from", value::date, &mut errors);
        let to = optional(row, map, "effective_to", value::date, &mut errors);
        if let Some(township) = township
            && township.level() != RegionLevel::Township
        {
            errors.push(row.error(
                map,
                "township_code",
                format!("{township} is a {} code, not a township", township.level()),
            ));
        }
        if let (Some(from), Ok(Some(to))) = (from, to)
            && to <= from
        {
            errors.push(row.error(
                map,
                "effective_to",
                format!("ends on {to}, not after it starts on {from}"),
            ));
        }
        match (township, institution, from, to) {
            (
                Some(township_code),
                Some(institution_code),
                Some(effective_from),
                Ok(effective_to),
            ) if errors.is_empty() => Ok(Assignment {
                township_code,
                institution_code,
                effective_from,
                effective_to,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: Assignment,
    ) -> Result<RowResult<Applied>> {
        let key = (record.township_code, record.effective_from);
        if let Some(first) = self.seen.insert(key, line) {
            let message = format!(
                "township {} has two rows starting {}: rows {first} and {line}",
                record.township_code, record.effective_from
            );
            return Ok(Err(vec![row_error(
                line,
                "effective_from",
                &record.effective_from.to_string(),
                message,
            )]));
        }
        let mut errors = Vec::new();
        require_region(tx, record.township_code, line, "township_code", &mut errors).await?;
        require_institution(tx, &record.institution_code, line, &mut errors).await?;
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let before =
            institutions::get_assignment_in(tx, record.township_code, record.effective_from)
                .await?;
        if before.as_ref() == Some(&record) {
            return Ok(Ok(Applied::Unchanged));
        }
        institutions::upsert_assignment(tx, &record).await?;
        let id = format!("{}@{}", record.township_code, record.effective_from);
        let change = Change {
            entity: "assignment",
            id: &id,
            before: before.as_ref(),
            after: &record,
        };
        Ok(Ok(record_change(
            tx,
            ctx,
            &mut self.trail,
            change,
            assignment_json,
        )
        .await?))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        let mut errors = Vec::new();
        for (first, second) in institutions::overlapping_assignments(tx).await? {
            let first_line = self
                .seen
                .get(&(first.township_code, first.effective_from))
                .copied();
            let second_line = self
                .seen
                .get(&(second.township_code, second.effective_from))
                .copied();
            let line = second_line.or(first_line).unwrap_or(0);
            let message = format!(
                "township {} would have two responsible institutions from {}: {} and {}",
                first.township_code,
                second.effective_from,
                describe_assignment(&first, first_line),
                describe_assignment(&second, second_line),
            );
            errors.push(row_error(
                line,
                "effective_from",
                &second.effective_from.to_string(),
                message,
            ));
        }
        Ok(errors)
    }
}

fn describe_assignment(assignment: &Assignment, line: Option<u64>) -> String {
    let period = match assignment.effective_to {
        Some(to) => format!("{} to {to}", assignment.effective_from),
        None => format!("from {}", assignment.effective_from),
    };
    match line {
        Some(line) => format!("row {line} ({} {period})", assignment.institution_code),
        None => format!(
            "the stored assignment ({} {period})",
            assignment.institution_code
        ),
    }
}

/// JSON of an assignment.
pub fn assignment_json(assignment: &Assignment) -> serde_json::Value {
    json!({
        "township_code": assignment.township_code.to_string(),
        "institution_code": assignment.institution_code,
        "effective_from": assignment.effective_from.to_string(),
        "effective_to": assignment.effective_to.map(|d| d.to_string()),
    })
}

// ---------------------------------------------------------------------------------------------
// service points

/// Imports `service_points`: villages and institutions must be stored.
pub struct ServicePointImporter {
    seen: HashMap<String, u64>,
    trail: Trail,
}

impl Default for ServicePointImporter {
    fn default() -> ServicePointImporter {
        ServicePointImporter {
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for ServicePointImporter {
    const KIND: &'static str = "service_points";
    const COLUMNS: &'static [Column] = &[
        Column::required("id", "服务点编号"),
        Column::required("village_code", "行政村代码"),
        Column::required("institution_code", "机构代码"),
        Column::required("kind", "类型"),
        Column::optional("services", "服务项目"),
        Column::required("opened_on", "开办日期"),
        Column::optional("closed_on", "撤销日期"),
    ];
    type Record = ServicePoint;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<ServicePoint> {
        let mut errors = RowErrors::default();
        let id = required(row, map, "id", identifier, &mut errors);
        let village = required(row, map, "village_code", value::region_code, &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let kind = required(
            row,
            map,
            "kind",
            |c| value::enumeration(c, SERVICE_POINT_KINDS),
            &mut errors,
        );
        let services = parse_services(row, map, &mut errors);
        let opened = required(row, map, "opened_on", value::date, &mut errors);
        let closed = optional(row, map, "closed_on", value::date, &mut errors);
        if let Some(village) = village
            && village.level() != RegionLevel::Village
        {
            errors.push(row.error(
                map,
                "village_code",
                format!("{village} is a {} code, not a village", village.level()),
            ));
        }
        if let (Some(opened), Ok(Some(closed))) = (opened, closed)
            && closed <= opened
        {
            errors.push(row.error(
                map,
                "closed_on",
                format!("closes on {closed}, not after it opens on {opened}"),
            ));
        }
        match (id, village, institution, kind, opened, closed) {
            (
                Some(id),
                Some(village_code),
                Some(institution_code),
                Some(kind),
                Some(opened_on),
                Ok(closed_on),
            ) if errors.is_empty() => Ok(ServicePoint {
                id,
                village_code,
                institution_code,
                kind: kind.to_string(),
                services,
                opened_on,
                closed_on,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: ServicePoint,
    ) -> Result<RowResult<Applied>> {
        if let Some(first) = self.seen.insert(record.id.clone(), line) {
            let message = format!(
                "service point {} appears twice: rows {first} and {line}",
                record.id
            );
            return Ok(Err(vec![row_error(line, "id", &record.id, message)]));
        }
        let mut errors = Vec::new();
        require_region(tx, record.village_code, line, "village_code", &mut errors).await?;
        require_institution(tx, &record.institution_code, line, &mut errors).await?;
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let before = service_points::get_in(tx, &record.id).await?;
        if before.as_ref() == Some(&record) {
            return Ok(Ok(Applied::Unchanged));
        }
        service_points::upsert(tx, &record).await?;
        let change = Change {
            entity: "service_point",
            id: &record.id,
            before: before.as_ref(),
            after: &record,
        };
        Ok(Ok(record_change(
            tx,
            ctx,
            &mut self.trail,
            change,
            service_point_json,
        )
        .await?))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        Ok(Vec::new())
    }
}

/// The services of a point: each English or Chinese, sorted, without repeats.
fn parse_services(row: &RawRow, map: &HeaderMap, errors: &mut RowErrors) -> Vec<String> {
    let mut services = Vec::new();
    for item in value::list(row.get(map, "services")) {
        match value::enumeration(&Cell::Text(item.clone()), SERVICES) {
            Ok(service) => services.push(service.to_string()),
            Err(message) => errors.push(row.error(map, "services", message)),
        }
    }
    services.sort();
    services.dedup();
    services
}

/// JSON of a service point.
pub fn service_point_json(point: &ServicePoint) -> serde_json::Value {
    json!({
        "id": point.id,
        "village_code": point.village_code.to_string(),
        "institution_code": point.institution_code,
        "kind": point.kind,
        "services": point.services,
        "opened_on": point.opened_on.to_string(),
        "closed_on": point.closed_on.map(|d| d.to_string()),
    })
}
