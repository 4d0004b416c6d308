//! Loan products, loans and their repayments, enterprises and their loans, fund deposits.
//!
//! Loans are written as the generator meets their borrowers; each loan's schedule is worked
//! out with the same `fupin_core::schedule` the application uses, and every instalment due by
//! the scenario date is repaid on its due date — except for the few loans chosen to default,
//! which end of day then finds overdue and raises risk-compensation claims for.

use std::collections::HashMap;
use std::path::Path;

use fupin_core::schedule::{self, DayCount, RepaymentMethod};
use fupin_core::{BusinessDate, Fen, Rate};

use super::files::{Chunked, CsvFile, Monthly};
use super::plan::{self, COUNTIES, CountySpec, Scale};
use super::rng::{ExactSplit, Rng};
use super::territory::{Territory, rcb_code};
use crate::error::{AppError, Result};

pub const LOAN_HEADER: &[&str] = &[
    "contract_no",
    "institution_code",
    "product_code",
    "borrower_type",
    "borrower_id",
    "principal",
    "annual_rate",
    "start_on",
    "maturity_on",
    "repayment",
    "purpose",
    "project",
];

pub const REPAYMENT_HEADER: &[&str] = &[
    "id",
    "contract_no",
    "institution_code",
    "paid_on",
    "amount",
    "prepayment",
    "prepayment_option",
];

/// Rates of the scenario's products (percent a year).
pub const MICROCREDIT_RATE: &str = "4.75";
pub const HOUSEHOLD_INDUSTRY_RATE: &str = "5.655";
pub const ENTERPRISE_INDUSTRY_RATE: &str = "5.22";
pub const BEAUTIFUL_VILLAGE_RATE: &str = "4.90";
pub const INDUSTRY_RATE: &str = "4.75";

/// Product codes.
pub fn microcredit_product(spec: &CountySpec) -> String {
    match spec.code {
        plan::WUYUAN => "WYRCB-FPD".to_string(),
        _ => format!("{}-XD", rcb_code(spec)),
    }
}

pub fn household_industry_product(spec: &CountySpec) -> String {
    format!("{}-{}", rcb_code(spec), spec.product.0)
}

pub fn enterprise_industry_product(spec: &CountySpec) -> String {
    format!("{}-{}-E", rcb_code(spec), spec.product.0)
}

pub const BEAUTIFUL_VILLAGE_PRODUCT: &str = "ADBC-MLXC";
pub const BEAUTIFUL_VILLAGE_LENDER: &str = "ADBC-HF";
pub const INDUSTRY_PRODUCT: &str = "ABC-CYFP";
/// The Postal Savings Bank's micro-credit product, lent by the demo to one household that
/// already borrows from its county's bank (the alert `MULTI_BANK`).
pub const SECOND_MICROCREDIT_PRODUCT: &str = "PSBC-XD";
pub const SECOND_MICROCREDIT_LENDER: &str = "PSBC-SR";
/// Shangrao County's industry loan with six months of grace.
pub const GRACE_PRODUCT: &str = "SRX-KXQ";
/// Shangrao County's commercial working-capital loan, charging penalty interest.
pub const PENALTY_PRODUCT: &str = "SRX-LDZJ";
/// The commercial loan's rate (percent a year).
pub const COMMERCIAL_RATE: &str = "6.0";

/// `products`: per county a poverty micro-credit product and a characteristic industry
/// product for households and one for enterprises; the policy bank's beautiful-village loan in
/// Hengfeng; the Agricultural Bank's industry loan.
pub fn write_products(dir: &Path) -> Result<(String, u64)> {
    let mut file = CsvFile::create(
        dir.join("products.csv"),
        &[
            "code",
            "name",
            "category",
            "borrower_type",
            "max_amount",
            "max_term_months",
            "annual_rate",
            "repayment",
            "day_count",
            "subsidy_rate",
            "risk_fund_share",
            "institution_code",
            "counties",
            "grace_months",
            "grace_days",
            "penalty_uplift",
            "prepayment_option",
        ],
    )?;
    for spec in &COUNTIES {
        let rcb = rcb_code(spec);
        let micro_name = match spec.code {
            plan::WUYUAN => "婺源农商银行“扶贫贷”".to_string(),
            _ => format!("{}扶贫小额信贷", spec.short),
        };
        file.row([
            microcredit_product(spec).as_str(),
            &micro_name,
            "poverty_microcredit",
            "household",
            "50000",
            "36",
            MICROCREDIT_RATE,
            "quarterly_interest",
            "act/360",
            MICROCREDIT_RATE,
            "80%",
            &rcb,
            spec.code,
            "",
            "",
            "",
            "",
        ])?;
        let (_, name, _) = spec.product;
        file.row([
            household_industry_product(spec).as_str(),
            &format!("{name}（农户）"),
            "characteristic_industry",
            "household",
            "500000",
            "12",
            HOUSEHOLD_INDUSTRY_RATE,
            "bullet",
            "act/360",
            "",
            "",
            &rcb,
            spec.code,
            "",
            "",
            "",
            "",
        ])?;
        file.row([
            enterprise_industry_product(spec).as_str(),
            &format!("{name}（经营主体）"),
            "characteristic_industry",
            "enterprise",
            "30000000",
            "36",
            ENTERPRISE_INDUSTRY_RATE,
            "bullet",
            "act/360",
            "",
            "",
            &rcb,
            spec.code,
            "",
            "",
            "",
            "",
        ])?;
    }
    file.row([
        BEAUTIFUL_VILLAGE_PRODUCT,
        "农发行“美丽乡村·幸福家园”建设贷款",
        "beautiful_village",
        "enterprise",
        "300000000",
        "180",
        BEAUTIFUL_VILLAGE_RATE,
        "quarterly_interest",
        "act/360",
        "",
        "",
        BEAUTIFUL_VILLAGE_LENDER,
        plan::HENGFENG,
        "",
        "",
        "",
        "",
    ])?;
    file.row([
        INDUSTRY_PRODUCT,
        "农行产业扶贫贷",
        "industry",
        "enterprise",
        "50000000",
        "36",
        INDUSTRY_RATE,
        "quarterly_interest",
        "act/360",
        "",
        "",
        "ABC-SR",
        "",
        "",
        "",
        "",
        "",
    ])?;
    file.row([
        SECOND_MICROCREDIT_PRODUCT,
        "邮储银行扶贫小额贷款",
        "poverty_microcredit",
        "household",
        "50000",
        "36",
        MICROCREDIT_RATE,
        "quarterly_interest",
        "act/360",
        "",
        "",
        SECOND_MICROCREDIT_LENDER,
        "",
        "",
        "",
        "",
        "",
    ])?;
    // Servicing as banks run it: an industry loan with six months of grace (宽限期), repaid in
    // equal principal accruing actual/360, and a commercial working-capital loan charging
    // penalty interest (罚息, +50 %) after three days' grace; both of Shangrao County's bank.
    let shangrao = rcb_code(&COUNTIES[plan::county_index(plan::SHANGRAO_COUNTY)]);
    file.row([
        GRACE_PRODUCT,
        "产业发展贷（宽限期）",
        "industry",
        "enterprise",
        "5000000",
        "36",
        ENTERPRISE_INDUSTRY_RATE,
        "equal_principal",
        "act/360",
        "",
        "",
        &shangrao,
        plan::SHANGRAO_COUNTY,
        "6",
        "",
        "",
        "keep_term",
    ])?;
    file.row([
        PENALTY_PRODUCT,
        "流动资金贷款（商业性）",
        "other",
        "enterprise",
        "10000000",
        "12",
        COMMERCIAL_RATE,
        "bullet",
        "act/360",
        "",
        "",
        &shangrao,
        plan::SHANGRAO_COUNTY,
        "",
        "3",
        "50%",
        "",
    ])?;
    let (path, rows) = file.finish()?;
    Ok((path.display().to_string(), rows))
}

/// A loan to write.
pub struct NewLoan<'a> {
    pub institution: &'a str,
    pub product: &'a str,
    pub borrower_type: &'a str,
    pub borrower_id: &'a str,
    /// Whole yuan.
    pub principal: i64,
    pub rate: &'static str,
    pub start: BusinessDate,
    pub months: u32,
    pub method: RepaymentMethod,
    pub purpose: &'a str,
    pub project: Option<&'a str>,
    /// Pays nothing: end of day will find it overdue.
    pub defaults: bool,
    /// The product's leading months of interest only.
    pub grace_months: u32,
    /// A partial prepayment after the instalments due by then.
    pub prepay: Option<Prepay>,
}

/// A partial prepayment of a demo loan: on a day, the instalment current then plus `ahead`
/// yuan of principal, with an option.
pub struct Prepay {
    pub on: BusinessDate,
    pub ahead: i64,
    pub option: &'static str,
}

/// Loans and repayments being written, and what the funds will need.
pub struct Lending {
    pub loans: Monthly,
    pub repayments: Monthly,
    contracts: HashMap<String, u64>,
    /// Per county: principal of loans the risk fund covers, and of subsidised loans (fen).
    pub covered: [i64; 12],
    pub subsidised: [i64; 12],
    pub loans_written: u64,
    pub defaults: u64,
    /// Characteristic industry principal written so far (yuan).
    pub characteristic: i64,
    /// The earliest start of a loan written (end of day starts there).
    pub first_start: Option<BusinessDate>,
    /// Household loans maturing in the quarter after the scenario date whose borrowers ask for
    /// a renewal (续贷, the first) and an extension (展期, the second): (bank, contract).
    pub requests: Vec<(String, String)>,
}

/// The renewal and extension requests the demo records, the maturity walls' work list.
pub const PLANTED_REQUESTS: [&str; 2] = ["renewal", "extension"];

impl Lending {
    pub fn new(dir: &Path) -> Lending {
        Lending {
            loans: Monthly::new(dir, "loans", LOAN_HEADER),
            repayments: Monthly::new(dir, "repayments", REPAYMENT_HEADER),
            contracts: HashMap::new(),
            covered: [0; 12],
            subsidised: [0; 12],
            loans_written: 0,
            defaults: 0,
            characteristic: 0,
            first_start: None,
            requests: Vec::new(),
        }
    }

    /// Writes a loan and the repayments of every instalment due by the scenario date.
    pub fn write(&mut self, loan: &NewLoan<'_>) -> Result<()> {
        let counter = self
            .contracts
            .entry(loan.institution.to_string())
            .or_insert(0);
        *counter += 1;
        let contract = format!("{}-{}-{:07}", loan.product, loan.start.year(), counter);
        let maturity = loan
            .start
            .add_months_clamped(loan.months)
            .ok_or_else(|| AppError::Invalid(format!("maturity of {contract}")))?;
        let rate = Rate::parse_percent(loan.rate).map_err(|e| AppError::Invalid(e.to_string()))?;
        let principal = Fen::from_yuan(loan.principal)
            .ok_or_else(|| AppError::Invalid(format!("principal of {contract}")))?;
        self.loans.row(
            loan.start,
            [
                contract.as_str(),
                loan.institution,
                loan.product,
                loan.borrower_type,
                loan.borrower_id,
                &format!("{}.00", loan.principal),
                loan.rate,
                &loan.start.to_string(),
                &maturity.to_string(),
                loan.method.as_str(),
                loan.purpose,
                loan.project.unwrap_or(""),
            ],
        )?;
        self.loans_written += 1;
        self.first_start = Some(match self.first_start {
            Some(first) => first.min(loan.start),
            None => loan.start,
        });
        if loan.defaults {
            self.defaults += 1;
            return Ok(());
        }
        let next_quarter = plan::as_of() < maturity && maturity <= plan::date(2017, 9, 30);
        if next_quarter
            && loan.borrower_type == "household"
            && self.requests.len() < PLANTED_REQUESTS.len()
        {
            self.requests
                .push((loan.institution.to_string(), contract.clone()));
        }
        let instalments = schedule::schedule(&schedule::LoanTerms {
            principal,
            rate,
            term_months: loan.months,
            method: loan.method,
            start: loan.start,
            day_count: DayCount::Act360,
            grace_months: loan.grace_months,
        })
        .map_err(|e| AppError::Invalid(format!("schedule of {contract}: {e}")))?;
        let paid_until = loan.prepay.as_ref().map_or(plan::as_of(), |p| p.on);
        for instalment in instalments.iter().take_while(|i| i.due_date <= paid_until) {
            let amount = instalment.principal.fen() + instalment.interest.fen();
            self.repayments.row(
                instalment.due_date,
                [
                    format!("{contract}-R{:02}", instalment.number).as_str(),
                    &contract,
                    loan.institution,
                    &instalment.due_date.to_string(),
                    &Fen::new(amount).to_plain_yuan(),
                    "",
                    "",
                ],
            )?;
        }
        if let Some(prepay) = &loan.prepay {
            // The instalment current on the day is paid whole, then `ahead` of principal.
            let current = instalments
                .iter()
                .find(|i| i.due_date > prepay.on)
                .ok_or_else(|| AppError::Invalid(format!("{contract}: nothing to prepay")))?;
            let amount = current.principal.fen() + current.interest.fen() + prepay.ahead * 100;
            self.repayments.row(
                prepay.on,
                [
                    format!("{contract}-P{:02}", current.number).as_str(),
                    &contract,
                    loan.institution,
                    &prepay.on.to_string(),
                    &Fen::new(amount).to_plain_yuan(),
                    "是",
                    prepay.option,
                ],
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// enterprises

/// Kinds of enterprise the scenario creates, in file order.
pub const KINDS: [&str; 5] = [
    "breeding_base",
    "cooperative",
    "family_farm",
    "leading_enterprise",
    "project_entity",
];

/// How many enterprises of each kind a county has at this scale.
pub fn enterprise_counts(spec: &CountySpec, scale: Scale) -> [i64; 5] {
    let breeding = match spec.code {
        plan::SHANGRAO_COUNTY => plan::BREEDING_BASES,
        "361129" => 40,
        _ => 6,
    };
    let projects = match spec.code {
        plan::HENGFENG => scale.of(4).max(1),
        _ => 0,
    };
    [
        scale.of(breeding),
        scale.of(30),
        scale.of(15),
        scale.of(5),
        projects,
    ]
}

/// An enterprise as the `enterprises` file lists it.
pub struct Enterprise {
    pub credit_code: String,
    pub name: String,
    pub kind: &'static str,
    pub industry: &'static str,
    pub village: String,
    pub level: Option<&'static str>,
    /// Listed in the extract of 2016-12-31 (else in that of 2017-06-30).
    pub old: bool,
}

/// Whether enterprise `n` of a kind in a county was listed in the 2016 extract: the first draw
/// of its stream, so counting needs no more.
pub fn enterprise_is_old(seed: u64, county: usize, kind: usize, n: i64) -> bool {
    let mut rng = enterprise_rng(seed, county, kind, n);
    rng.per_mille(850)
}

fn enterprise_rng(seed: u64, county: usize, kind: usize, n: i64) -> Rng {
    Rng::stream(
        seed,
        "enterprise",
        ((county * 8 + kind) as u64) << 40 | n as u64,
    )
}

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The unified social credit code of enterprise `n` of a kind in a county: `9` (registered
/// with industry and commerce), the entity type, the county, a nine-character organisation code
/// (with its GB 11714 check character) and the GB 32100 check character.
pub fn credit_code(county: usize, kind: usize, n: i64) -> String {
    let entity = match KINDS[kind] {
        "cooperative" => '3',
        "family_farm" => '2',
        _ => '1',
    };
    let mut number = ((county * 8 + kind) as u64) * 1_000_000_000 + n as u64;
    let mut body = [b'0'; 8];
    for slot in body.iter_mut().rev() {
        *slot = USCC_ALPHABET[(number % 31) as usize];
        number /= 31;
    }
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| {
            let value = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            };
            value * w
        })
        .sum();
    let org_check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        digit => char::from_digit(digit, 10).expect("a digit"),
    };
    let first17 = format!(
        "9{entity}{}{}{org_check}",
        COUNTIES[county].code,
        std::str::from_utf8(&body).expect("ascii")
    );
    let check = fupin_core::credit_code::check_character(&first17).expect("17 characters");
    format!("{first17}{check}")
}

/// Enterprise `n` of a kind in a county.
pub fn enterprise(
    territory: &Territory,
    seed: u64,
    county: usize,
    kind: usize,
    n: i64,
) -> Enterprise {
    let mut rng = enterprise_rng(seed, county, kind, n);
    let old = rng.per_mille(850);
    let spec = &COUNTIES[county];
    let county_plan = &territory.counties[county];
    let village_count = county_plan.villages().count() as u64;
    let village = county_plan
        .villages()
        .nth(rng.below(village_count) as usize)
        .expect("a village");
    let industry = *rng.pick(spec.industries);
    let stem = super::names::place_stem(&mut rng);
    let short = spec.short;
    let (name, level) = match KINDS[kind] {
        "breeding_base" => (format!("{short}{stem}{industry}基地"), None),
        "cooperative" => (format!("{short}{stem}{industry}专业合作社"), None),
        "family_farm" => {
            let surname = super::names::surname(&mut rng);
            (format!("{short}{surname}{stem}家庭农场"), None)
        }
        "leading_enterprise" => {
            let level = match rng.below(10) {
                0 => "national",
                1..=3 => "provincial",
                _ => "municipal",
            };
            (format!("江西{stem}{industry}有限公司"), Some(level))
        }
        _ => (
            match n {
                0 => format!("{short}美丽乡村建设投资有限公司"),
                _ => format!("{short}{stem}新农村建设开发有限公司"),
            },
            None,
        ),
    };
    let industry = match KINDS[kind] {
        "project_entity" => "美丽乡村建设",
        _ => industry,
    };
    Enterprise {
        credit_code: credit_code(county, kind, n),
        name,
        kind: KINDS[kind],
        industry,
        village: village.code.clone(),
        level,
        old: old || KINDS[kind] == "project_entity",
    }
}

pub const ENTERPRISE_HEADER: &[&str] = &[
    "credit_code",
    "name",
    "kind",
    "industry",
    "village_code",
    "leading_level",
];

/// Kinds lending characteristic industry loans to: breeding bases, cooperatives, family farms
/// and leading enterprises.
fn borrows_characteristic(kind: usize) -> bool {
    kind < 4
}

/// Loans per enterprise: two for those of the 2016 extract (one repaid), one for new ones.
fn loans_of(old: bool) -> u64 {
    if old { 2 } else { 1 }
}

/// The enterprise pass: both enterprise extracts, the enterprises' characteristic loans (which
/// bring the characteristic total to the article's figure exactly), the beautiful-village
/// loans and the industry loans.
pub fn write_enterprises(
    dir: &Path,
    territory: &Territory,
    seed: u64,
    scale: Scale,
    lending: &mut Lending,
) -> Result<Vec<(String, u64)>> {
    let mut old_file = Chunked::new(dir, "enterprises-2016-12-31", ENTERPRISE_HEADER);
    let mut new_file = Chunked::new(dir, "enterprises-2017-06-30", ENTERPRISE_HEADER);
    // Count the characteristic loans first, to split the rest of the total exactly.
    let mut count = 0;
    for (county, spec) in COUNTIES.iter().enumerate() {
        let counts = enterprise_counts(spec, scale);
        for (kind, n_of_kind) in counts.iter().enumerate() {
            if borrows_characteristic(kind) {
                for n in 0..*n_of_kind {
                    count += loans_of(enterprise_is_old(seed, county, kind, n));
                }
            }
        }
    }
    let target = scale.money(plan::CHARACTERISTIC_DISBURSED, 10_000);
    let rest = (target - lending.characteristic).max(0);
    let mut split = ExactSplit::new(rest, count, 200_000, 30_000_000, 10_000);
    let mut rng = Rng::stream(seed, "enterprise_loans", 0);
    let mut industry_loans = Vec::new();
    let shangrao = plan::county_index(plan::SHANGRAO_COUNTY);
    let mut serviced = Vec::new();
    for (county, spec) in COUNTIES.iter().enumerate() {
        let counts = enterprise_counts(spec, scale);
        let rcb = rcb_code(spec);
        let product = enterprise_industry_product(spec);
        for (kind, n_of_kind) in counts.iter().enumerate() {
            for n in 0..*n_of_kind {
                let enterprise = enterprise(territory, seed, county, kind, n);
                let file = if enterprise.old {
                    &mut old_file
                } else {
                    &mut new_file
                };
                file.row_split([
                    enterprise.credit_code.as_str(),
                    &enterprise.name,
                    enterprise.kind,
                    enterprise.industry,
                    &enterprise.village,
                    enterprise.level.unwrap_or(""),
                ])?;
                if enterprise.kind == "leading_enterprise" {
                    industry_loans.push(enterprise.credit_code.clone());
                }
                if county == shangrao && enterprise.old && serviced.len() < 3 {
                    serviced.push(enterprise.credit_code.clone());
                }
                if !borrows_characteristic(kind) {
                    continue;
                }
                let purpose = format!("{}流动资金", enterprise.industry);
                if enterprise.old {
                    // Repaid: a one-year loan of 2015 or the first half of 2016.
                    let start = plan::date(2015, 1, 5)
                        .add_days(rng.range(0, 520))
                        .expect("date");
                    let principal = split.next(&mut rng, 80).unwrap_or(0);
                    if principal > 0 {
                        lending.write(&NewLoan {
                            institution: &rcb,
                            product: &product,
                            borrower_type: "enterprise",
                            borrower_id: &enterprise.credit_code,
                            principal,
                            rate: ENTERPRISE_INDUSTRY_RATE,
                            start,
                            months: 12,
                            method: RepaymentMethod::Bullet,
                            purpose: &purpose,
                            project: None,
                            defaults: false,
                            grace_months: 0,
                            prepay: None,
                        })?;
                        lending.characteristic += principal;
                    }
                }
                let start = plan::date(2016, 7, 1)
                    .add_days(rng.range(0, 360))
                    .expect("date");
                let principal = split.next(&mut rng, 80).unwrap_or(0);
                if principal > 0 {
                    lending.write(&NewLoan {
                        institution: &rcb,
                        product: &product,
                        borrower_type: "enterprise",
                        borrower_id: &enterprise.credit_code,
                        principal,
                        rate: ENTERPRISE_INDUSTRY_RATE,
                        start,
                        months: 12,
                        method: RepaymentMethod::Bullet,
                        purpose: &purpose,
                        project: None,
                        defaults: false,
                        grace_months: 0,
                        prepay: None,
                    })?;
                    lending.characteristic += principal;
                }
            }
        }
    }
    beautiful_village_loans(seed, scale, lending)?;
    serviced_loans(&serviced, lending)?;
    for (index, borrower) in industry_loans.iter().enumerate() {
        let mut rng = Rng::stream(seed, "industry_loans", index as u64);
        let start = plan::date(2016, 1, 10)
            .add_days(rng.range(0, 500))
            .expect("date");
        lending.write(&NewLoan {
            institution: "ABC-SR",
            product: INDUSTRY_PRODUCT,
            borrower_type: "enterprise",
            borrower_id: borrower,
            principal: rng.range(50, 800) * 50_000,
            rate: INDUSTRY_RATE,
            start,
            months: 36,
            method: RepaymentMethod::QuarterlyInterest,
            purpose: "扩大生产、带动贫困户就业",
            project: None,
            defaults: false,
            grace_months: 0,
            prepay: None,
        })?;
    }
    let mut parts: Vec<(String, u64)> = Vec::new();
    for file in [old_file, new_file] {
        for (path, rows) in file.finish()? {
            parts.push((path.display().to_string(), rows));
        }
    }
    Ok(parts)
}

/// Shangrao County's servicing cases, whatever the scale: two graced industry loans prepaid
/// in June 2017 (one keeping the term, one the instalment) and a commercial loan left unpaid
/// since April, charged penalty interest by end of day.
fn serviced_loans(borrowers: &[String], lending: &mut Lending) -> Result<()> {
    let institution = rcb_code(&COUNTIES[plan::county_index(plan::SHANGRAO_COUNTY)]);
    let graced = [
        (1_200_000, plan::date(2016, 9, 15), 300_000, "keep_term"),
        (
            900_000,
            plan::date(2016, 10, 15),
            200_000,
            "keep_instalment",
        ),
    ];
    for (borrower, (principal, start, ahead, option)) in borrowers.iter().zip(graced) {
        lending.write(&NewLoan {
            institution: &institution,
            product: GRACE_PRODUCT,
            borrower_type: "enterprise",
            borrower_id: borrower,
            principal,
            rate: ENTERPRISE_INDUSTRY_RATE,
            start,
            months: 24,
            method: RepaymentMethod::EqualPrincipal,
            purpose: "扩建加工车间",
            project: None,
            defaults: false,
            grace_months: 6,
            prepay: Some(Prepay {
                on: plan::date(2017, 6, 20),
                ahead,
                option,
            }),
        })?;
    }
    if let Some(borrower) = borrowers.get(2) {
        lending.write(&NewLoan {
            institution: &institution,
            product: PENALTY_PRODUCT,
            borrower_type: "enterprise",
            borrower_id: borrower,
            principal: 2_000_000,
            rate: COMMERCIAL_RATE,
            start: plan::date(2016, 10, 20),
            months: 6,
            method: RepaymentMethod::Bullet,
            purpose: "购买原材料",
            project: None,
            defaults: true,
            grace_months: 0,
            prepay: None,
        })?;
    }
    Ok(())
}

/// Hengfeng's beautiful-village loans from the policy bank: about 700 million yuan in loans of
/// at most 300 million to the county's project entities, from March 2016.
fn beautiful_village_loans(seed: u64, scale: Scale, lending: &mut Lending) -> Result<()> {
    let total = scale.money(plan::BEAUTIFUL_VILLAGE_DISBURSED, 10_000);
    if total <= 0 {
        return Ok(());
    }
    let hengfeng = plan::county_index(plan::HENGFENG);
    let entities = enterprise_counts(&COUNTIES[hengfeng], scale)[4].max(1);
    let count = (total + 249_999_999) / 250_000_000;
    let mut rng = Rng::stream(seed, "beautiful_village", 0);
    let mut split = ExactSplit::new(total, count as u64, 10_000, 300_000_000, 10_000);
    let projects = [
        "美丽乡村·幸福家园示范村建设",
        "农村人居环境整治",
        "村庄道路与安全饮水提升",
        "宜居乡村建设",
    ];
    for k in 0..count {
        let principal = split.next(&mut rng, 20).unwrap_or(0);
        let start = plan::date(2016, 3, 18)
            .add_days(k * 120 % 450)
            .expect("date");
        let borrower = credit_code(hengfeng, 4, k % entities);
        let project = projects[(k % 4) as usize];
        lending.write(&NewLoan {
            institution: BEAUTIFUL_VILLAGE_LENDER,
            product: BEAUTIFUL_VILLAGE_PRODUCT,
            borrower_type: "enterprise",
            borrower_id: &borrower,
            principal,
            rate: BEAUTIFUL_VILLAGE_RATE,
            start,
            months: 180,
            method: RepaymentMethod::QuarterlyInterest,
            purpose: "美丽乡村建设",
            project: Some(project),
            defaults: false,
            grace_months: 0,
            prepay: None,
        })?;
    }
    Ok(())
}

/// `fund_deposits`: each county's risk-compensation fund before the first covered loan (an
/// eighth of the covered principal, with room), and its interest-subsidy fund each January.
pub fn write_deposits(dir: &Path, lending: &Lending) -> Result<(String, u64)> {
    let mut file = CsvFile::create(
        dir.join("fund_deposits.csv"),
        &["id", "county_code", "fund", "deposited_on", "amount"],
    )?;
    let round_up = |fen: i64| ((fen + 999_999) / 1_000_000) * 10_000;
    for (county, spec) in COUNTIES.iter().enumerate() {
        let covered = lending.covered[county];
        if covered > 0 {
            let amount = round_up(covered * 3 / 16);
            file.row([
                format!("RF-{}-2015", spec.code).as_str(),
                spec.code,
                "risk_compensation",
                "2015-12-15",
                &format!("{amount}.00"),
            ])?;
        }
        let subsidised = lending.subsidised[county];
        if subsidised > 0 {
            let amount = round_up(subsidised * 6 / 100);
            for (year, day) in [(2016, "2016-01-05"), (2017, "2017-01-05")] {
                file.row([
                    format!("SF-{}-{year}", spec.code).as_str(),
                    spec.code,
                    "subsidy",
                    day,
                    &format!("{amount}.00"),
                ])?;
            }
        }
    }
    let (path, rows) = file.finish()?;
    Ok((path.display().to_string(), rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fupin_core::CreditCode;

    #[test]
    fn credit_codes_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for county in 0..12 {
            for kind in 0..5 {
                for n in [0, 1, 2, 999, 1_022, 250_000] {
                    let code = credit_code(county, kind, n);
                    CreditCode::parse(&code).unwrap_or_else(|e| panic!("{code}: {e}"));
                    assert!(seen.insert(code));
                }
            }
        }
    }
}
