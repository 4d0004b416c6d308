//! Decoding the registry's rows.

use super::*;

pub(super) const VERSION_COLUMNS: &str = "v.household_id, v.valid_from, v.valid_to, v.village_code, \
    v.poverty_attribute, v.main_cause, v.other_causes, v.status, v.exited_year, \
    v.identified_on, v.per_capita_income_fen";

pub(super) const MEMBER_COLUMNS: &str = "m.household_id, m.valid_from, m.valid_to, m.id_number, m.name, \
    m.relation, m.sex, m.birth_date, m.labour, m.phone, m.died_on";

pub(super) fn facts_from_row(row: &AnyRow, table: &'static str) -> Result<HouseholdFacts> {
    let other_causes: String = row.try_get("other_causes")?;
    Ok(HouseholdFacts {
        village_code: region_column(row, table, "village_code")?,
        poverty_attribute: row.try_get("poverty_attribute")?,
        main_cause: row.try_get("main_cause")?,
        other_causes: split_list(&other_causes),
        status: row.try_get("status")?,
        exited_year: row.try_get("exited_year")?,
        identified_on: required_date(row, table, "identified_on")?,
        per_capita_income: Fen::new(row.try_get("per_capita_income_fen")?),
    })
}

pub(super) fn member_facts_from_row(row: &AnyRow, table: &'static str) -> Result<MemberFacts> {
    Ok(MemberFacts {
        id_number: row.try_get("id_number")?,
        name: row.try_get("name")?,
        relation: row.try_get("relation")?,
        sex: row.try_get("sex")?,
        birth_date: required_date(row, table, "birth_date")?,
        labour: row.try_get("labour")?,
        phone: row.try_get("phone")?,
        died_on: date_column(row, table, "died_on")?,
    })
}

pub(super) fn staged_from_row(row: &AnyRow) -> Result<StagedRow> {
    Ok(StagedRow {
        line: row.try_get("line")?,
        household_id: row.try_get("household_id")?,
        facts: facts_from_row(row, "registry_import_rows")?,
        member: member_facts_from_row(row, "registry_import_rows")?,
        moved_from: row.try_get("moved_from")?,
    })
}

pub(super) fn version_from_row(row: &AnyRow) -> Result<HouseholdVersion> {
    Ok(HouseholdVersion {
        household_id: row.try_get("household_id")?,
        facts: facts_from_row(row, "household_versions")?,
        valid_from: required_date(row, "household_versions", "valid_from")?,
        valid_to: date_column(row, "household_versions", "valid_to")?,
    })
}

pub(super) fn member_from_row(row: &AnyRow) -> Result<MemberVersion> {
    Ok(MemberVersion {
        household_id: row.try_get("household_id")?,
        member: member_facts_from_row(row, "members")?,
        valid_from: required_date(row, "members", "valid_from")?,
        valid_to: date_column(row, "members", "valid_to")?,
    })
}

pub(super) fn identity_from_row(row: &AnyRow) -> Result<HouseholdIdentity> {
    Ok(HouseholdIdentity {
        household_id: row.try_get("household_id")?,
        village_code: region_column(row, "households", "village_code")?,
        added_on: required_date(row, "households", "added_on")?,
        removed_on: date_column(row, "households", "removed_on")?,
        changed_on: required_date(row, "households", "changed_on")?,
    })
}

pub(super) fn event_from_row(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        seq: row.try_get("seq")?,
        as_of: required_date(row, "registry_events", "as_of")?,
        household_id: row.try_get("household_id")?,
        village_code: region_column(row, "registry_events", "village_code")?,
        kind: row.try_get("kind")?,
        before_json: row.try_get("before_json")?,
        after_json: row.try_get("after_json")?,
    })
}

pub(super) fn enterprise_from_row(row: &AnyRow) -> Result<Enterprise> {
    Ok(Enterprise {
        credit_code: row.try_get("credit_code")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        industry: row.try_get("industry")?,
        village_code: region_column(row, "enterprises", "village_code")?,
        leading_level: row.try_get("leading_level")?,
        listed_on: required_date(row, "enterprises", "listed_on")?,
    })
}

pub(super) fn link_from_row(row: &AnyRow) -> Result<EnterpriseLink> {
    Ok(EnterpriseLink {
        credit_code: row.try_get("credit_code")?,
        household_id: row.try_get("household_id")?,
        link: row.try_get("link")?,
        people: row.try_get("people")?,
        since: required_date(row, "enterprise_links", "since")?,
        until: date_column(row, "enterprise_links", "until")?,
    })
}

pub(super) fn region_column(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<RegionCode> {
    let text: String = row.try_get(column)?;
    RegionCode::parse(&text).map_err(|e| corrupt(table, column, e))
}

pub(super) fn required_date(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<BusinessDate> {
    date_column(row, table, column)?.ok_or_else(|| corrupt(table, column, "null"))
}

pub(super) fn split_list(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}
