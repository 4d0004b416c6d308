//! Importers of the lending files: products, loans, repayments.

use std::collections::HashMap;

use fupin_core::schedule::{DayCount, RepaymentMethod};
use fupin_core::{Fen, RegionCode, RegionLevel};
use fupin_store::loans::{self, Product, Servicing};
use fupin_store::{Db, Tx, regions};

use super::fields::{identifier, optional, optional_text, required, required_text, row_error};
use super::{Applied, Importer, RowErrors, RowOutcome, SeenKeys};
use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, value};
use crate::loans::rules::{self, LoanRequest, MICROCREDIT_MAX_AMOUNT, MICROCREDIT_MAX_TERM_MONTHS};
use crate::loans::{
    Disbursement, Lookups, Prepayment, PrepaymentOption, RepaymentOrder, RepaymentOutcome,
};

type RowResult<T> = std::result::Result<T, Vec<FieldError>>;

/// Product categories: English value, Chinese alias.
pub const CATEGORIES: &[(&str, &str, &str)] = &[
    ("poverty_microcredit", "扶贫小额信贷", "poverty_microcredit"),
    (
        "characteristic_industry",
        "特色产业贷款",
        "characteristic_industry",
    ),
    ("industry", "产业扶贫贷款", "industry"),
    ("project", "项目扶贫贷款", "project"),
    ("beautiful_village", "美丽乡村贷款", "beautiful_village"),
    ("other", "其他", "other"),
];

/// Borrower types.
pub const BORROWER_TYPES: &[(&str, &str, &str)] = &[
    ("household", "农户", "household"),
    ("enterprise", "企业", "enterprise"),
];

fn method(cell: &Cell) -> std::result::Result<String, String> {
    let text = value::text(cell).unwrap_or_default();
    RepaymentMethod::parse(&text)
        .map(|m| m.as_str().to_string())
        .map_err(|e| e.to_string())
}

fn day_count(cell: &Cell) -> std::result::Result<String, String> {
    let text = value::text(cell).unwrap_or_default();
    DayCount::parse(&text)
        .map(|d| d.as_str().to_string())
        .map_err(|e| e.to_string())
}

/// A share such as `80%` or `80` (percent) as millionths of one.
fn share_ppm(cell: &Cell) -> std::result::Result<i64, String> {
    let rate = value::rate(cell)?;
    Ok(rate.ppm())
}

/// Prepayment options: English value, Chinese alias.
pub const PREPAYMENT_OPTIONS: &[(&str, &str, &str)] = &[
    ("keep_term", "期限不变", "keep_term"),
    ("keep_instalment", "月供不变", "keep_instalment"),
];

/// A count of months or days from 0 to `max`.
fn count_up_to(cell: &Cell, max: i64, unit: &str) -> std::result::Result<i64, String> {
    let number = value::integer(cell)?;
    match (0..=max).contains(&number) {
        true => Ok(number),
        false => Err(format!("{number} {unit} is not between 0 and {max}")),
    }
}

fn months(cell: &Cell) -> std::result::Result<i64, String> {
    let number = value::integer(cell)?;
    match (1..=600).contains(&number) {
        true => Ok(number),
        false => Err(format!("{number} months is not between 1 and 600")),
    }
}

// ---------------------------------------------------------------------------------------------
// products

/// Imports `products`; poverty micro-credit products may not exceed the policy caps.
pub struct ProductImporter {
    seen: HashMap<String, u64>,
    trail: Trail,
}

impl Default for ProductImporter {
    fn default() -> ProductImporter {
        ProductImporter {
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for ProductImporter {
    const KIND: &'static str = "products";
    const COLUMNS: &'static [Column] = &[
        Column::required("code", "产品代码"),
        Column::required("name", "产品名称"),
        Column::required("category", "类别"),
        Column::required("borrower_type", "借款人类型"),
        Column::required("max_amount", "最高额度"),
        Column::required("max_term_months", "最长期限(月)"),
        Column::required("annual_rate", "年利率"),
        Column::required("repayment", "还款方式"),
        Column::optional("day_count", "计息基础"),
        Column::optional("subsidy_rate", "贴息利率"),
        Column::optional("risk_fund_share", "风险补偿比例"),
        Column::required("institution_code", "机构代码"),
        Column::optional("counties", "适用县"),
        Column::optional("grace_months", "宽限期(月)"),
        Column::optional("grace_days", "宽限天数"),
        Column::optional("penalty_uplift", "罚息上浮比例"),
        Column::optional("prepayment_option", "提前还款方式"),
    ];
    type Record = Product;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<Product> {
        let mut errors = RowErrors::default();
        let code = required(row, map, "code", identifier, &mut errors);
        let name = required_text(row, map, "name", &mut errors);
        let category = required(
            row,
            map,
            "category",
            |c| value::enumeration(c, CATEGORIES),
            &mut errors,
        );
        let borrower_type = required(
            row,
            map,
            "borrower_type",
            |c| value::enumeration(c, BORROWER_TYPES),
            &mut errors,
        );
        let max_amount = required(row, map, "max_amount", value::amount, &mut errors);
        let max_term = required(row, map, "max_term_months", months, &mut errors);
        let rate = required(row, map, "annual_rate", value::rate, &mut errors);
        let repayment = required(row, map, "repayment", method, &mut errors);
        let day_count = optional(row, map, "day_count", day_count, &mut errors);
        let subsidy = optional(row, map, "subsidy_rate", value::rate, &mut errors);
        let share = optional(row, map, "risk_fund_share", share_ppm, &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let counties = parse_counties(row, map, &mut errors);
        let servicing = parse_servicing(row, map, &mut errors);
        if let (Some(method), Ok(day_count)) = (&repayment, &day_count) {
            let day_count = day_count.as_deref().unwrap_or("act/360");
            if let Some(message) =
                rules::method_refusal(method, day_count, servicing.grace_months, max_term)
            {
                errors.push(row.error(map, "repayment", message));
            }
        }
        if category == Some("poverty_microcredit") {
            if max_amount.is_some_and(|a| a > MICROCREDIT_MAX_AMOUNT) {
                errors.push(row.error(
                    map,
                    "max_amount",
                    format!(
                        "poverty micro-credit is at most {MICROCREDIT_MAX_AMOUNT} per household"
                    ),
                ));
            }
            if max_term.is_some_and(|t| t > i64::from(MICROCREDIT_MAX_TERM_MONTHS)) {
                errors.push(row.error(
                    map,
                    "max_term_months",
                    format!("poverty micro-credit is at most {MICROCREDIT_MAX_TERM_MONTHS} months"),
                ));
            }
            if borrower_type.is_some_and(|b| b != "household") {
                errors.push(row.error(
                    map,
                    "borrower_type",
                    "poverty micro-credit lends to households",
                ));
            }
        }
        match (
            code,
            name,
            category,
            borrower_type,
            max_amount,
            max_term,
            rate,
            repayment,
            day_count,
            subsidy,
            share,
            institution,
        ) {
            (
                Some(code),
                Some(name),
                Some(category),
                Some(borrower_type),
                Some(max_amount),
                Some(max_term_months),
                Some(annual_rate),
                Some(repayment),
                Ok(day_count),
                Ok(subsidy_rate),
                Ok(risk_fund_share_ppm),
                Some(institution_code),
            ) if errors.is_empty() => Ok(Product {
                code,
                name,
                category: category.to_string(),
                borrower_type: borrower_type.to_string(),
                max_amount,
                max_term_months,
                annual_rate,
                repayment,
                day_count: day_count.unwrap_or_else(|| "act/360".to_string()),
                subsidy_rate,
                risk_fund_share_ppm,
                institution_code,
                counties,
                servicing,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: Product,
    ) -> Result<RowResult<Applied>> {
        if let Some(first) = self.seen.insert(record.code.clone(), line) {
            let message = format!(
                "product {} appears twice: rows {first} and {line}",
                record.code
            );
            return Ok(Err(vec![row_error(line, "code", &record.code, message)]));
        }
        let mut errors = Vec::new();
        if fupin_store::institutions::get_in(tx, &record.institution_code)
            .await?
            .is_none()
        {
            let message = format!(
                "institution {} does not exist: import institutions first",
                record.institution_code
            );
            errors.push(row_error(
                line,
                "institution_code",
                &record.institution_code,
                message,
            ));
        }
        for county in &record.counties {
            if regions::get_in(tx, *county).await?.is_none() {
                errors.push(row_error(
                    line,
                    "counties",
                    &county.to_string(),
                    format!("county {county} does not exist"),
                ));
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let before = loans::product_in(tx, &record.code).await?;
        if before.as_ref() == Some(&record) {
            return Ok(Ok(Applied::Unchanged));
        }
        loans::upsert_product(tx, &record).await?;
        let mut entry = ctx.audit("product.save", "product", &record.code);
        entry.before_json = before.as_ref().map(|p| product_json(p).to_string());
        entry.after_json = Some(product_json(&record).to_string());
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

/// The product's grace, penalty and prepayment option; absent cells mean none and keep_term.
fn parse_servicing(row: &RawRow, map: &HeaderMap, errors: &mut RowErrors) -> Servicing {
    let mut servicing = Servicing::none();
    let grace_months = |c: &Cell| count_up_to(c, 120, "months");
    if let Ok(Some(months)) = optional(row, map, "grace_months", grace_months, errors) {
        servicing.grace_months = months;
    }
    let grace_days = |c: &Cell| count_up_to(c, 90, "days");
    if let Ok(Some(days)) = optional(row, map, "grace_days", grace_days, errors) {
        servicing.grace_days = days;
    }
    if let Ok(uplift) = optional(row, map, "penalty_uplift", share_ppm, errors) {
        servicing.penalty_uplift_ppm = uplift.filter(|ppm| *ppm > 0);
    }
    let option = |c: &Cell| value::enumeration(c, PREPAYMENT_OPTIONS);
    if let Ok(Some(option)) = optional(row, map, "prepayment_option", option, errors) {
        servicing.prepayment_option = option.to_string();
    }
    servicing
}

fn parse_counties(row: &RawRow, map: &HeaderMap, errors: &mut RowErrors) -> Vec<RegionCode> {
    let mut counties = Vec::new();
    for item in value::list(row.get(map, "counties")) {
        match RegionCode::parse(&item) {
            Ok(code) if code.level() == RegionLevel::County => counties.push(code),
            Ok(code) => errors.push(row.error(
                map,
                "counties",
                format!("{code} is a {} code, not a county", code.level()),
            )),
            Err(error) => errors.push(row.error(map, "counties", error.to_string())),
        }
    }
    counties.sort();
    counties.dedup();
    counties
}

/// The `prepayment` flag and its `prepayment_option`; an option without the flag is refused.
fn parse_prepayment(row: &RawRow, map: &HeaderMap, errors: &mut RowErrors) -> Option<Prepayment> {
    let flag = optional(row, map, "prepayment", value::boolean, errors);
    let option = |c: &Cell| {
        let text = value::text(c).unwrap_or_default();
        PrepaymentOption::parse(&text).ok_or_else(|| {
            format!("{text:?}: not a prepayment option (expected keep_term 期限不变 or keep_instalment 月供不变)")
        })
    };
    let option = optional(row, map, "prepayment_option", option, errors);
    match (flag, option) {
        (Ok(Some(true)), Ok(option)) => Some(Prepayment { option }),
        (Ok(None | Some(false)), Ok(Some(_))) => {
            errors.push(row.error(
                map,
                "prepayment_option",
                "a prepayment option needs prepayment = yes",
            ));
            None
        }
        _ => None,
    }
}

/// JSON of a product.
pub fn product_json(product: &Product) -> serde_json::Value {
    serde_json::json!({
        "code": product.code,
        "name": product.name,
        "category": product.category,
        "borrower_type": product.borrower_type,
        "max_amount": product.max_amount.to_plain_yuan(),
        "max_term_months": product.max_term_months,
        "annual_rate": product.annual_rate.to_percent_string(),
        "repayment": product.repayment,
        "day_count": product.day_count,
        "subsidy_rate": product.subsidy_rate.map(|r| r.to_percent_string()),
        "risk_fund_share_ppm": product.risk_fund_share_ppm,
        "institution_code": product.institution_code,
        "counties": product.counties.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "grace_months": product.servicing.grace_months,
        "grace_days": product.servicing.grace_days,
        "penalty_uplift_ppm": product.servicing.penalty_uplift_ppm,
        "prepayment_option": product.servicing.prepayment_option,
    })
}

// ---------------------------------------------------------------------------------------------
// loans

/// Imports `loans`: each new contract is checked against its product, borrower and policy and
/// disbursed; a contract already stored with the same terms is unchanged, with other terms
/// refused (corrections go through commands: extend, roll over, write off).
pub struct LoanImporter {
    db: Db,
    seen: SeenKeys,
    lookups: Lookups,
}

impl LoanImporter {
    pub fn new(db: &Db) -> LoanImporter {
        LoanImporter {
            db: db.clone(),
            seen: SeenKeys::default(),
            lookups: Lookups::for_import(),
        }
    }
}

impl Importer for LoanImporter {
    const KIND: &'static str = "loans";
    // Loans, their instalments and their accounts: each row checks its parents.
    const GROWS_WHAT_IT_READS: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::required("contract_no", "合同编号"),
        Column::required("institution_code", "机构代码"),
        Column::required("product_code", "产品代码"),
        Column::required("borrower_type", "借款人类型"),
        Column::required("borrower_id", "借款人编号"),
        Column::required("principal", "贷款金额"),
        Column::required("annual_rate", "年利率"),
        Column::required("start_on", "发放日期"),
        Column::required("maturity_on", "到期日期"),
        Column::optional("repayment", "还款方式"),
        Column::required("purpose", "贷款用途"),
        Column::optional("project", "项目名称"),
        Column::optional("officer", "信贷员"),
    ];
    type Record = LoanRequest;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<LoanRequest> {
        let mut errors = RowErrors::default();
        let contract = required(row, map, "contract_no", identifier, &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let product = required(row, map, "product_code", identifier, &mut errors);
        let borrower_type = required(
            row,
            map,
            "borrower_type",
            |c| value::enumeration(c, BORROWER_TYPES),
            &mut errors,
        );
        let borrower_id = required_text(row, map, "borrower_id", &mut errors);
        let principal = required(row, map, "principal", value::amount, &mut errors);
        let rate = required(row, map, "annual_rate", value::rate, &mut errors);
        let start = required(row, map, "start_on", value::date, &mut errors);
        let maturity = required(row, map, "maturity_on", value::date, &mut errors);
        let repayment = optional(row, map, "repayment", method, &mut errors);
        let purpose = required_text(row, map, "purpose", &mut errors);
        let project = optional_text(row, map, "project", &mut errors);
        let officer = optional_text(row, map, "officer", &mut errors);
        if officer
            .as_ref()
            .is_some_and(|o| o.chars().count() > MAX_OFFICER_CHARS)
        {
            errors.push(row.error(
                map,
                "officer",
                format!("a loan officer is at most {MAX_OFFICER_CHARS} characters"),
            ));
        }
        if let (Some(start), Some(maturity)) = (start, maturity)
            && maturity <= start
        {
            errors.push(row.error(
                map,
                "maturity_on",
                format!("matures on {maturity}, not after it starts on {start}"),
            ));
        }
        match (
            contract,
            institution,
            product,
            borrower_type,
            borrower_id,
            principal,
            rate,
            start,
            maturity,
            repayment,
            purpose,
        ) {
            (
                Some(contract_no),
                Some(institution_code),
                Some(product_code),
                Some(borrower_type),
                Some(borrower_id),
                Some(principal),
                Some(annual_rate),
                Some(start_on),
                Some(maturity_on),
                Ok(repayment),
                Some(purpose),
            ) if errors.is_empty() => Ok(LoanRequest {
                institution_code,
                contract_no,
                product_code,
                borrower_type: borrower_type.to_string(),
                borrower_id,
                principal,
                annual_rate,
                start_on,
                maturity_on,
                repayment,
                purpose,
                project,
                officer,
            }),
            _ => Err(errors.0),
        }
    }

    const BATCH_ROWS: usize = LOAN_BATCH_ROWS;

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        request: LoanRequest,
    ) -> Result<RowResult<Applied>> {
        let mut outcomes = self.apply_batch(tx, ctx, vec![(line, request)]).await?;
        Ok(outcomes.remove(0))
    }

    /// Checks a batch against what is stored, reading the batch's existing contracts and
    /// borrowers in a few statements, then stores the accepted loans together.
    async fn apply_batch(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: Vec<(u64, LoanRequest)>,
    ) -> Result<Vec<RowOutcome>> {
        let mut outcomes: Vec<Option<RowOutcome>> = Vec::with_capacity(batch.len());
        for (line, request) in &batch {
            outcomes.push(self.duplicate(*line, request).map(Err));
        }
        let stored = stored_contracts(tx, &batch).await?;
        let fresh: Vec<&LoanRequest> = batch
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| outcome.is_none())
            .map(|((_, request), _)| request)
            .filter(|request| !stored.contains_key(&contract_key(request)))
            .collect();
        self.lookups.read_borrowers(tx, &fresh).await?;
        let mut held: Vec<(usize, Disbursement)> = Vec::new();
        for (index, (line, request)) in batch.into_iter().enumerate() {
            if outcomes[index].is_some() {
                continue;
            }
            if let Some(existing) = stored.get(&contract_key(&request)) {
                outcomes[index] = Some(compare_with_stored(line, existing, &request));
                continue;
            }
            // A borrower's loans are checked against its earlier ones as stored: write the
            // held loans before checking a second loan of the same borrower.
            if held.iter().any(|(_, d)| same_borrower(d.terms(), &request)) {
                self.disburse_held(tx, ctx, &mut held, &mut outcomes)
                    .await?;
            }
            match self.check(tx, ctx, line, &request).await? {
                Ok(disbursement) => {
                    self.lookups.note_held(&disbursement);
                    held.push((index, disbursement));
                }
                Err(errors) => outcomes[index] = Some(Err(errors)),
            }
        }
        self.disburse_held(tx, ctx, &mut held, &mut outcomes)
            .await?;
        Ok(outcomes
            .into_iter()
            .map(|outcome| outcome.expect("every row of the batch has its outcome"))
            .collect())
    }

    async fn finish(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.lookups.flush(tx, ctx).await?;
        Ok(Vec::new())
    }
}

/// The longest loan officer name or code.
const MAX_OFFICER_CHARS: usize = 40;

/// Loan rows checked and written together; a batch's borrowers are read in a few statements.
const LOAN_BATCH_ROWS: usize = 500;

impl LoanImporter {
    /// The refusal of a contract given earlier in the file.
    fn duplicate(&mut self, line: u64, request: &LoanRequest) -> Option<Vec<FieldError>> {
        let key = [request.institution_code.as_str(), &request.contract_no];
        let first = self.seen.first_line(&key, line)?;
        let message = format!(
            "contract {} of {} appears twice: rows {first} and {line}",
            request.contract_no, request.institution_code
        );
        Some(vec![row_error(
            line,
            "contract_no",
            &request.contract_no,
            message,
        )])
    }

    /// Checks a new loan against its product, borrower and policy, and works out its schedule.
    async fn check(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        request: &LoanRequest,
    ) -> Result<RowResult<Disbursement>> {
        let (terms, product) =
            match rules::check_with(&self.db, tx, request, &mut self.lookups).await? {
                Ok(checked) => checked,
                Err(refusals) => {
                    return Ok(Err(refusals
                        .into_iter()
                        .map(|(field, message)| {
                            row_error(line, field, &field_value(request, field), message)
                        })
                        .collect()));
                }
            };
        match Disbursement::prepare(ctx, terms, product) {
            Ok(disbursement) => Ok(Ok(disbursement)),
            Err(AppError::Invalid(message) | AppError::Conflict(message)) => {
                Ok(Err(vec![row_error(
                    line,
                    "contract_no",
                    &request.contract_no,
                    message,
                )]))
            }
            Err(other) => Err(other),
        }
    }

    /// Stores the held loans and marks their rows added.
    async fn disburse_held(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        held: &mut Vec<(usize, Disbursement)>,
        outcomes: &mut [Option<RowOutcome>],
    ) -> Result<()> {
        let taken = std::mem::take(held);
        let (indexes, disbursements): (Vec<usize>, Vec<Disbursement>) = taken.into_iter().unzip();
        crate::loans::disburse_all(tx, ctx, &disbursements, &mut self.lookups).await?;
        for index in indexes {
            outcomes[index] = Some(Ok(Applied::Added));
        }
        Ok(())
    }
}

/// `(institution, contract)` of a request.
fn contract_key(request: &LoanRequest) -> (String, String) {
    (
        request.institution_code.clone(),
        request.contract_no.clone(),
    )
}

/// The loans already stored among a batch's contracts, by `(institution, contract)`.
async fn stored_contracts(
    tx: &mut Tx,
    batch: &[(u64, LoanRequest)],
) -> Result<HashMap<(String, String), fupin_store::loans::Loan>> {
    let mut by_institution: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, request) in batch {
        let contracts = by_institution.entry(&request.institution_code).or_default();
        contracts.push(&request.contract_no);
    }
    let mut stored = HashMap::new();
    for (institution, contracts) in by_institution {
        for loan in loans::loans_by_contracts_in(tx, institution, &contracts).await? {
            let key = (
                loan.terms.institution_code.clone(),
                loan.terms.contract_no.clone(),
            );
            stored.insert(key, loan);
        }
    }
    Ok(stored)
}

/// A contract given again: unchanged with the same terms, refused with others.
fn compare_with_stored(
    line: u64,
    existing: &fupin_store::loans::Loan,
    request: &LoanRequest,
) -> RowOutcome {
    if same_terms(&existing.terms, request) {
        return Ok(Applied::Unchanged);
    }
    Err(vec![row_error(
        line,
        "contract_no",
        &request.contract_no,
        format!(
            "contract {} exists with different terms; use extend, roll over or write off to change a loan",
            request.contract_no
        ),
    )])
}

fn same_borrower(terms: &fupin_store::loans::LoanTerms, request: &LoanRequest) -> bool {
    terms.borrower_type == request.borrower_type && terms.borrower_id == request.borrower_id
}

fn same_terms(stored: &fupin_store::loans::LoanTerms, request: &LoanRequest) -> bool {
    stored.product_code == request.product_code
        && stored.borrower_type == request.borrower_type
        && stored.borrower_id == request.borrower_id
        && stored.principal == request.principal
        && stored.annual_rate == request.annual_rate
        && stored.start_on == request.start_on
        && request
            .repayment
            .as_ref()
            .is_none_or(|r| *r == stored.repayment)
        && stored.purpose == request.purpose
        && stored.project == request.project
        && stored.officer == request.officer
}

/// The request's value of a field, to quote in an error.
fn field_value(request: &LoanRequest, field: &str) -> String {
    match field {
        "product_code" => request.product_code.clone(),
        "borrower_type" => request.borrower_type.clone(),
        "borrower_id" => request.borrower_id.clone(),
        "principal" => request.principal.to_plain_yuan(),
        "maturity_on" => request.maturity_on.to_string(),
        "repayment" => request.repayment.clone().unwrap_or_default(),
        "purpose" => request.purpose.clone(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// repayments

/// Imports `repayments`, applied in file order: a repayment id already applied with the same
/// content is unchanged (so a file loaded twice posts each repayment once), with other content
/// refused.
pub struct RepaymentImporter {
    seen: SeenKeys,
    lookups: Lookups,
}

impl Default for RepaymentImporter {
    fn default() -> RepaymentImporter {
        RepaymentImporter {
            seen: SeenKeys::default(),
            lookups: Lookups::for_import(),
        }
    }
}

impl Importer for RepaymentImporter {
    const KIND: &'static str = "repayments";
    // Transfers, day rows and standings of loans a row may itself have changed just before.
    const GROWS_WHAT_IT_READS: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::required("id", "流水号"),
        Column::required("contract_no", "合同编号"),
        Column::required("institution_code", "机构代码"),
        Column::required("paid_on", "还款日期"),
        Column::required("amount", "还款金额"),
        Column::optional("prepayment", "提前还款"),
        Column::optional("prepayment_option", "提前还款方式"),
    ];
    type Record = RepaymentOrder;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<RepaymentOrder> {
        let mut errors = RowErrors::default();
        let id = required(row, map, "id", identifier, &mut errors);
        let contract = required(row, map, "contract_no", identifier, &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let paid_on = required(row, map, "paid_on", value::date, &mut errors);
        let amount = required(row, map, "amount", value::amount, &mut errors);
        if amount.is_some_and(|a: Fen| !a.is_positive()) {
            errors.push(row.error(map, "amount", "a repayment must be positive"));
        }
        let prepayment = parse_prepayment(row, map, &mut errors);
        match (id, contract, institution, paid_on, amount) {
            (Some(id), Some(contract_no), Some(institution_code), Some(paid_on), Some(amount))
                if errors.is_empty() =>
            {
                Ok(RepaymentOrder {
                    institution_code,
                    id,
                    contract_no,
                    paid_on,
                    amount,
                    prepayment,
                })
            }
            _ => Err(errors.0),
        }
    }

    const BATCH_ROWS: usize = REPAYMENT_BATCH_ROWS;

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        order: RepaymentOrder,
    ) -> Result<RowResult<Applied>> {
        let mut outcomes = self.apply_batch(tx, ctx, vec![(line, order)]).await?;
        Ok(outcomes.remove(0))
    }

    /// Applies a batch in file order: its loans, instalments and accounts read together, each
    /// repayment allocated in memory, the writes made together.
    async fn apply_batch(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: Vec<(u64, RepaymentOrder)>,
    ) -> Result<Vec<RowOutcome>> {
        let mut outcomes: Vec<Option<RowOutcome>> = Vec::with_capacity(batch.len());
        let mut orders = Vec::with_capacity(batch.len());
        let mut lines = Vec::with_capacity(batch.len());
        for (line, order) in batch {
            let key = [order.institution_code.as_str(), &order.id];
            match self.seen.first_line(&key, line) {
                Some(first) => {
                    let message = format!(
                        "repayment {} appears twice: rows {first} and {line}",
                        order.id
                    );
                    outcomes.push(Some(Err(vec![row_error(line, "id", &order.id, message)])));
                }
                None => {
                    outcomes.push(None);
                    lines.push(line);
                    orders.push(order);
                }
            }
        }
        let results = crate::loans::repay_all(tx, ctx, &orders, &mut self.lookups).await?;
        let mut applied = orders.iter().zip(lines).zip(results);
        for slot in outcomes.iter_mut().filter(|slot| slot.is_none()) {
            let ((order, line), result) = applied.next().expect("one result for each order");
            *slot = Some(row_outcome(line, order, result));
        }
        Ok(outcomes
            .into_iter()
            .map(|outcome| outcome.expect("every row of the batch has its outcome"))
            .collect())
    }

    async fn finish(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.lookups.flush(tx, ctx).await?;
        Ok(Vec::new())
    }
}

/// Repayment rows applied together.
const REPAYMENT_BATCH_ROWS: usize = 500;

/// A repayment's outcome as its row's: refusals name the field they concern.
fn row_outcome(line: u64, order: &RepaymentOrder, result: Result<RepaymentOutcome>) -> RowOutcome {
    match result {
        Ok(RepaymentOutcome::AlreadyApplied) => Ok(Applied::Unchanged),
        Ok(_) => Ok(Applied::Added),
        Err(AppError::NotFound(what)) => Err(vec![row_error(
            line,
            "contract_no",
            &order.contract_no,
            format!("{what} does not exist"),
        )]),
        Err(AppError::Invalid(message) | AppError::Conflict(message)) => Err(vec![row_error(
            line,
            "amount",
            &order.amount.to_plain_yuan(),
            message,
        )]),
        // `repay_all` returns no other refusal.
        Err(other) => Err(vec![row_error(
            line,
            "amount",
            &order.amount.to_plain_yuan(),
            other.to_string(),
        )]),
    }
}
