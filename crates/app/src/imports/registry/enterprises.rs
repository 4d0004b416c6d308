//! Importers of the `enterprises` and `enterprise_links` files.

use super::*;

/// A row of the `enterprises` file.
pub struct EnterpriseRecord {
    credit_code: CreditCode,
    name: String,
    kind: &'static str,
    industry: String,
    village_code: RegionCode,
    leading_level: Option<&'static str>,
}

/// Imports `enterprises`: credit codes validated (GB 32100), villages must exist. Enterprises
/// not in the file are left as they are. An enterprise is listed from the as-of date of the
/// first extract that names it.
pub struct EnterpriseImporter {
    as_of: BusinessDate,
    seen: HashMap<String, u64>,
    trail: Trail,
}

impl EnterpriseImporter {
    /// An importer of an extract describing enterprises as of `as_of`.
    pub fn new(as_of: BusinessDate) -> EnterpriseImporter {
        EnterpriseImporter {
            as_of,
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for EnterpriseImporter {
    const KIND: &'static str = "enterprises";
    const COLUMNS: &'static [Column] = &[
        Column::required("credit_code", "统一社会信用代码"),
        Column::required("name", "名称"),
        Column::required("kind", "类型"),
        Column::required("industry", "产业"),
        Column::required("village_code", "所在村代码"),
        Column::optional("leading_level", "龙头企业级别"),
    ];
    type Record = EnterpriseRecord;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<EnterpriseRecord> {
        let mut errors = RowErrors::default();
        let credit_code = required(row, map, "credit_code", credit_code_cell, &mut errors);
        let name = required_text(row, map, "name", &mut errors);
        let kind = enumerated(row, map, "kind", ENTERPRISE_KINDS, &mut errors);
        let industry = required_text(row, map, "industry", &mut errors);
        let village = required(row, map, "village_code", village_cell, &mut errors);
        let level = optional(
            row,
            map,
            "leading_level",
            |cell| value::enumeration(cell, LEADING_LEVELS),
            &mut errors,
        );
        if let (Some(kind), Ok(Some(_))) = (kind, level)
            && kind != "leading_enterprise"
        {
            errors.push(row.error(
                map,
                "leading_level",
                format!("only a leading enterprise has a level; this one is a {kind}"),
            ));
        }
        match (credit_code, name, kind, industry, village, level) {
            (
                Some(credit_code),
                Some(name),
                Some(kind),
                Some(industry),
                Some(village_code),
                Ok(leading_level),
            ) if errors.is_empty() => Ok(EnterpriseRecord {
                credit_code,
                name,
                kind,
                industry,
                village_code,
                leading_level,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: EnterpriseRecord,
    ) -> Result<RowResult<Applied>> {
        let code = record.credit_code.as_str().to_string();
        if let Some(first) = self.seen.insert(code.clone(), line) {
            let message = format!("enterprise {code} appears twice: rows {first} and {line}");
            return Ok(Err(vec![row_error(line, "credit_code", &code, message)]));
        }
        if let VillageCheck::Refused(message) =
            check_village(tx, record.village_code, self.as_of).await?
        {
            let village = record.village_code.to_string();
            return Ok(Err(vec![row_error(
                line,
                "village_code",
                &village,
                message,
            )]));
        }
        let before = registry::enterprise_in(tx, &code).await?;
        let listed_on = before
            .as_ref()
            .map_or(self.as_of, |before| before.listed_on.min(self.as_of));
        let enterprise = Enterprise {
            credit_code: code.clone(),
            name: record.name,
            kind: record.kind.to_string(),
            industry: record.industry,
            village_code: record.village_code,
            leading_level: record.leading_level.map(str::to_string),
            listed_on,
        };
        if before.as_ref() == Some(&enterprise) {
            return Ok(Ok(Applied::Unchanged));
        }
        registry::upsert_enterprise(tx, &enterprise).await?;
        let mut entry = ctx.audit("enterprise.save", "enterprise", &code);
        entry.before_json = before.as_ref().map(|e| enterprise_json(e).to_string());
        entry.after_json = Some(enterprise_json(&enterprise).to_string());
        self.trail.append(tx, entry).await?;
        Ok(Ok(if before.is_some() {
            Applied::Changed
        } else {
            Applied::Added
        }))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        Ok(Vec::new())
    }
}

pub(super) fn credit_code_cell(cell: &Cell) -> std::result::Result<CreditCode, String> {
    let text = value::checked_text(cell)?.unwrap_or_default();
    CreditCode::parse(&text).map_err(|error| error.to_string())
}

/// JSON of an enterprise.
pub fn enterprise_json(enterprise: &Enterprise) -> Value {
    json!({
        "credit_code": enterprise.credit_code,
        "name": enterprise.name,
        "kind": enterprise.kind,
        "industry": enterprise.industry,
        "village_code": enterprise.village_code.to_string(),
        "leading_level": enterprise.leading_level,
        "listed_on": enterprise.listed_on.to_string(),
    })
}

/// A row of the `enterprise_links` file.
pub struct LinkRecord {
    credit_code: CreditCode,
    household_id: String,
    link: &'static str,
    people: i64,
    since: BusinessDate,
    until: Option<BusinessDate>,
}

/// Imports `enterprise_links`: the enterprise must be imported and the household registered
/// (not removed). A link is keyed by enterprise, household and kind of link.
pub struct EnterpriseLinkImporter {
    as_of: BusinessDate,
    seen: HashMap<(String, String, &'static str), u64>,
    trail: Trail,
}

impl EnterpriseLinkImporter {
    /// An importer of an extract describing links as of `as_of`.
    pub fn new(as_of: BusinessDate) -> EnterpriseLinkImporter {
        EnterpriseLinkImporter {
            as_of,
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for EnterpriseLinkImporter {
    const KIND: &'static str = "enterprise_links";
    const COLUMNS: &'static [Column] = &[
        Column::required("credit_code", "统一社会信用代码"),
        Column::required("household_id", "户编号"),
        Column::required("link", "带动方式"),
        Column::required("people", "带动人数"),
        Column::required("since", "起始日期"),
        Column::optional("until", "终止日期"),
    ];
    type Record = LinkRecord;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<LinkRecord> {
        let mut errors = RowErrors::default();
        let credit_code = required(row, map, "credit_code", credit_code_cell, &mut errors);
        let household_id = required(row, map, "household_id", household_id_cell, &mut errors);
        let link = enumerated(row, map, "link", LINK_KINDS, &mut errors);
        let people = required(row, map, "people", positive_integer, &mut errors);
        let since = required(row, map, "since", value::date, &mut errors);
        let until = optional(row, map, "until", value::date, &mut errors);
        if let Some(since) = since
            && since > self.as_of
        {
            errors.push(row.error(
                map,
                "since",
                format!(
                    "starts on {since}, after the date of the extract ({})",
                    self.as_of
                ),
            ));
        }
        if let (Some(since), Ok(Some(until))) = (since, until)
            && until <= since
        {
            errors.push(row.error(
                map,
                "until",
                format!("ends on {until}, not after it starts on {since}"),
            ));
        }
        match (credit_code, household_id, link, people, since, until) {
            (
                Some(credit_code),
                Some(household_id),
                Some(link),
                Some(people),
                Some(since),
                Ok(until),
            ) if errors.is_empty() => Ok(LinkRecord {
                credit_code,
                household_id,
                link,
                people,
                since,
                until,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: LinkRecord,
    ) -> Result<RowResult<Applied>> {
        let code = record.credit_code.as_str().to_string();
        let key = (code.clone(), record.household_id.clone(), record.link);
        if let Some(first) = self.seen.insert(key, line) {
            let message = format!(
                "enterprise {code} lifts household {} by {} twice: rows {first} and {line}",
                record.household_id, record.link
            );
            return Ok(Err(vec![row_error(line, "link", record.link, message)]));
        }
        let mut errors = Vec::new();
        if registry::enterprise_in(tx, &code).await?.is_none() {
            let message = format!("enterprise {code} does not exist: import enterprises first");
            errors.push(row_error(line, "credit_code", &code, message));
        }
        match registry::identity_in(tx, &record.household_id).await? {
            None => errors.push(row_error(
                line,
                "household_id",
                &record.household_id,
                format!(
                    "household {} is not in the registry: import households first",
                    record.household_id
                ),
            )),
            Some(identity) if identity.removed_on.is_some() => errors.push(row_error(
                line,
                "household_id",
                &record.household_id,
                format!(
                    "household {} was removed from the registry on {}",
                    record.household_id,
                    identity
                        .removed_on
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
            )),
            Some(_) => {}
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let link = EnterpriseLink {
            credit_code: code,
            household_id: record.household_id,
            link: record.link.to_string(),
            people: record.people,
            since: record.since,
            until: record.until,
        };
        let before =
            registry::link_in(tx, &link.credit_code, &link.household_id, &link.link).await?;
        if before.as_ref() == Some(&link) {
            return Ok(Ok(Applied::Unchanged));
        }
        registry::upsert_link(tx, &link).await?;
        let id = format!("{}/{}/{}", link.credit_code, link.household_id, link.link);
        let mut entry = ctx.audit("enterprise_link.save", "enterprise_link", &id);
        entry.before_json = before.as_ref().map(|l| link_json(l).to_string());
        entry.after_json = Some(link_json(&link).to_string());
        self.trail.append(tx, entry).await?;
        Ok(Ok(if before.is_some() {
            Applied::Changed
        } else {
            Applied::Added
        }))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        Ok(Vec::new())
    }
}

pub(super) fn positive_integer(cell: &Cell) -> std::result::Result<i64, String> {
    let number = value::integer(cell)?;
    match number >= 1 {
        true => Ok(number),
        false => Err(format!("{number}: at least one person")),
    }
}

/// JSON of an enterprise link.
pub fn link_json(link: &EnterpriseLink) -> Value {
    json!({
        "credit_code": link.credit_code,
        "household_id": link.household_id,
        "link": link.link,
        "people": link.people,
        "since": link.since.to_string(),
        "until": link.until.map(|d| d.to_string()),
    })
}
