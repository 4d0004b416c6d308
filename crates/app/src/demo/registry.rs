//! The registry pass: one walk over every household of every village, writing as it goes the
//! registry extract (`households`, one file per county, in Chinese as the poverty office's
//! system exports it), the banks' credit files and lines, the enterprises' links to the
//! households they lift, and the households' loans. Nothing is kept per household: choices
//! that must add up exactly (Wuyuan's 5,086 borrowers and 130 million yuan, Shangrao County's
//! 7,776 people lifted) are made with selection sampling and sequential exact splits.

use crate::progress::Progress;
use std::path::Path;

use fupin_core::BusinessDate;
use fupin_core::schedule::RepaymentMethod;

use super::files::Chunked;
use super::lending::{self, Lending, NewLoan};
use super::people::{self, Draft, Household, IdNumbers, SizeSplit};
use super::plan::{self, Scale};
use super::rng::{ExactSplit, Rng, Selection};
use super::territory::{County, Responsible, Territory, Township, Village};
use crate::error::Result;

/// Micro-credit loans the demo plants with a purpose naming a cooperative (户贷企用), found by
/// the alert `PURPOSE_ENTERPRISE`.
pub const PLANTED_FUNNELLED: u64 = 3;
/// Borrowers of micro-credit whose head the registry records as deceased since, the loan still
/// outstanding: found by the alert `DECEASED`.
pub const PLANTED_DECEASED: u64 = 2;
/// Households that also borrow micro-credit from the Postal Savings Bank: each gives the alert
/// `MULTI_BANK` on both its loans (and no `HOUSEHOLD_TOTAL`: together at most 50,000 yuan).
pub const PLANTED_MULTI_BANK: u64 = 1;
/// The date of death the registry records for the deceased borrowers' heads.
const PLANTED_DEATH: (i32, u32, u32) = (2017, 5, 20);

pub const HOUSEHOLD_HEADER: &[&str] = &[
    "户编号",
    "行政村代码",
    "姓名",
    "证件号码",
    "与户主关系",
    "贫困户属性",
    "主要致贫原因",
    "其他致贫原因",
    "脱贫状态",
    "识别时间",
    "脱贫年度",
    "人均纯收入",
    "劳动能力",
    "联系电话",
    "死亡日期",
];

pub const CREDIT_FILE_HEADER: &[&str] = &[
    "household_id",
    "institution_code",
    "assessed_on",
    "score",
    "grade",
    "recommended_line",
    "exempt_reason",
];

pub const CREDIT_LINE_HEADER: &[&str] = &[
    "household_id",
    "institution_code",
    "amount",
    "granted_on",
    "expires_on",
];

pub const LINK_HEADER: &[&str] = &["credit_code", "household_id", "link", "people", "since"];

fn zh(value: &str) -> &'static str {
    match value {
        "head" => "户主",
        "spouse" => "配偶",
        "child" => "子女",
        "parent" => "父母",
        "grandchild" => "孙子女",
        "general" => "一般贫困户",
        "low_income" => "低保户",
        "five_guarantee" => "五保户",
        "low_income_poor" => "低保贫困户",
        "illness" => "因病",
        "disability" => "因残",
        "education" => "因学",
        "disaster" => "因灾",
        "lack_land" => "缺土地",
        "lack_water" => "缺水",
        "lack_skills" => "缺技术",
        "lack_labour" => "缺劳力",
        "lack_funds" => "缺资金",
        "transport" => "交通条件落后",
        "lack_motivation" => "自身发展动力不足",
        "poor" => "未脱贫",
        "exited" => "已脱贫",
        "relapsed" => "返贫",
        "normal" => "普通劳动力",
        "skilled" => "技能劳动力",
        "weak" => "弱劳动力",
        "none" => "无劳动力",
        _ => "其他",
    }
}

/// What the registry pass wrote.
#[derive(Clone, Debug, Default)]
pub struct RegistryOutput {
    pub households: Vec<(String, u64)>,
    pub credit_files: Vec<(String, u64)>,
    pub credit_lines: Vec<(String, u64)>,
    pub links: Vec<(String, u64)>,
    pub household_count: u64,
    pub poor_people: i64,
    pub members: u64,
    pub microcredit_loans: u64,
    /// Micro-credit loans whose purpose names a cooperative: planted for the alerts
    /// (`PURPOSE_ENTERPRISE`), [`PLANTED_FUNNELLED`] of them.
    pub planted_funnelled: u64,
    /// Heads recorded as deceased with a loan outstanding ([`PLANTED_DECEASED`]).
    pub planted_deceased: u64,
    /// Households borrowing micro-credit at two banks ([`PLANTED_MULTI_BANK`]).
    pub planted_multi_bank: u64,
    pub wuyuan_borrowers: u64,
    pub wuyuan_amount: i64,
    pub breeding_people: i64,
}

/// Grade bands of the default scorecard: (grade, lowest score, recommended line in yuan).
const GRADES: [(&str, i64, i64); 4] = [
    ("AAA", 90, 50_000),
    ("AA", 80, 30_000),
    ("A", 70, 10_000),
    ("B", 0, 0),
];

fn grade_of(score: i64) -> (&'static str, i64) {
    let (grade, _, line) = GRADES
        .iter()
        .find(|(_, min, _)| score >= *min)
        .expect("the lowest grade starts at 0");
    (grade, *line)
}

/// A score high enough for a line of `amount` yuan.
fn score_for(rng: &mut Rng, amount: i64) -> i64 {
    let floor = match amount {
        30_001.. => 90,
        10_001..=30_000 => 80,
        _ => 70,
    };
    rng.range(floor, 100)
}

fn days_between(rng: &mut Rng, first: BusinessDate, last: BusinessDate) -> BusinessDate {
    let span = first.days_until(last).max(0);
    first.add_days(rng.range(0, span)).unwrap_or(first)
}

/// Everything the pass writes to, and the running choices that span households.
struct Pass<'a> {
    seed: u64,
    scale: Scale,
    ids: IdNumbers,
    credit_files: Chunked,
    credit_lines: Chunked,
    links: Chunked,
    lending: &'a mut Lending,
    out: RegistryOutput,
    /// Whether the village being walked already has its defaulted loan.
    village_defaulted: bool,
}

/// Per-county running state.
struct CountyState {
    index: usize,
    wuyuan: Option<(Selection, ExactSplit)>,
    breeding: Option<BreedingLinks>,
    /// Characteristic loans to households stop at this much (yuan) per county.
    industry_cap: i64,
    industry_written: i64,
    rng: Rng,
}

struct BreedingLinks {
    selection: Selection,
    people_left: i64,
    links_left: i64,
    bases: i64,
    next_base: i64,
}

impl BreedingLinks {
    /// People of the next link: an even share (rounded up) of those still to place — two at
    /// scale 1 — never more than a household of seven holds.
    fn people_for_next_link(&self) -> i64 {
        let links = self.links_left.max(1);
        ((self.people_left + links - 1) / links).clamp(1, 7)
    }
}

pub fn write_registry(
    dir: &Path,
    territory: &Territory,
    seed: u64,
    scale: Scale,
    lending: &mut Lending,
    live: &Progress,
) -> Result<RegistryOutput> {
    let mut pass = Pass {
        seed,
        scale,
        ids: IdNumbers::new(),
        credit_files: Chunked::new(dir, "credit_files", CREDIT_FILE_HEADER),
        credit_lines: Chunked::new(dir, "credit_lines", CREDIT_LINE_HEADER),
        links: Chunked::new(dir, "enterprise_links", LINK_HEADER),
        lending,
        out: RegistryOutput::default(),
        village_defaulted: false,
    };
    let industry_cap = scale.money(plan::CHARACTERISTIC_DISBURSED, 10_000) * 15 / 100 / 12;
    for (index, county) in territory.counties.iter().enumerate() {
        let total = county.households() as u64;
        let wuyuan = (county.spec.code == plan::WUYUAN).then(|| {
            let wanted = (scale.of(plan::WUYUAN_MICROCREDIT_HOUSEHOLDS) as u64).min(total);
            let amount = scale.money(plan::WUYUAN_MICROCREDIT, 1_000);
            (
                Selection::new(wanted, total),
                ExactSplit::new(amount, wanted, 10_000, 50_000, 1_000),
            )
        });
        let breeding = (county.spec.code == plan::SHANGRAO_COUNTY).then(|| {
            // The people lifted out of poverty are in households that have exited it.
            let exited: i64 = county.villages().map(|v| v.exited_households).sum();
            let bases = lending::enterprise_counts(county.spec, scale)[0];
            let people = if bases > 0 && exited > 0 {
                scale.of(plan::BREEDING_PEOPLE).min(7 * exited)
            } else {
                0
            };
            let links = ((people + 1) / 2).min(exited);
            BreedingLinks {
                selection: Selection::new(links as u64, exited as u64),
                people_left: people,
                links_left: links,
                bases,
                next_base: 0,
            }
        });
        let mut state = CountyState {
            index,
            wuyuan,
            breeding,
            industry_cap,
            industry_written: 0,
            rng: Rng::stream(seed, "county_loans", index as u64),
        };
        pass.county(dir, county, &mut state)?;
        live.advance(total);
        if let Some(breeding) = &state.breeding
            && breeding.people_left != 0
        {
            return Err(crate::AppError::Invalid(format!(
                "demo generation could not place {} people lifted by breeding bases",
                breeding.people_left
            )));
        }
    }
    pass.out.credit_files = strings(pass.credit_files.finish()?);
    pass.out.credit_lines = strings(pass.credit_lines.finish()?);
    pass.out.links = strings(pass.links.finish()?);
    Ok(pass.out)
}

fn strings(parts: Vec<(std::path::PathBuf, u64)>) -> Vec<(String, u64)> {
    parts
        .into_iter()
        .map(|(path, rows)| (path.display().to_string(), rows))
        .collect()
}

/// How a household's credit turned out (for the loans that follow).
struct Credit {
    institution: String,
    /// The line granted: amount (yuan) and grant date.
    line: Option<(i64, BusinessDate)>,
}

impl Pass<'_> {
    fn county(&mut self, dir: &Path, county: &County, state: &mut CountyState) -> Result<()> {
        let mut households = Chunked::new(
            dir,
            &format!("households-{}", county.spec.code),
            HOUSEHOLD_HEADER,
        );
        for township in &county.townships {
            for village in &township.villages {
                if households.is_full() {
                    households.roll_over()?;
                }
                self.village(&mut households, county, township, village, state)?;
            }
        }
        self.out.households.extend(strings(households.finish()?));
        Ok(())
    }

    fn village(
        &mut self,
        file: &mut Chunked,
        county: &County,
        township: &Township,
        village: &Village,
        state: &mut CountyState,
    ) -> Result<()> {
        let village_index = village.code.parse::<u64>().unwrap_or(0);
        let mut rng = Rng::stream(self.seed, "village", village_index);
        self.village_defaulted = false;
        let total = village.poor_households + village.exited_households;
        let mut exited = Selection::new(village.exited_households as u64, total as u64);
        let mut sizes = SizeSplit::new(village.poor_people, village.poor_households);
        for seq in 1..=total {
            let is_exited = exited.next(&mut rng);
            let wuyuan_borrower = match &mut state.wuyuan {
                Some((selection, _)) => selection.next(&mut state.rng),
                None => false,
            };
            // Shangrao County's breeding bases lift people of exited households: a linked
            // household is drawn big enough for its share of the people still to place.
            let linked = match &mut state.breeding {
                Some(breeding) if is_exited => breeding
                    .selection
                    .next(&mut state.rng)
                    .then(|| breeding.people_for_next_link()),
                _ => None,
            };
            let size = if is_exited {
                people::draw_size(&mut rng).max(linked.unwrap_or(1) as usize)
            } else {
                sizes.next(&mut rng, 1)
            };
            let status = if is_exited {
                "exited"
            } else if rng.per_mille(40) {
                "relapsed"
            } else {
                "poor"
            };
            let draft = Draft {
                size,
                status,
                head_age: wuyuan_borrower.then_some((26, 60)),
            };
            let id = format!("{}{seq:05}", village.code);
            let household = people::household(
                &mut rng,
                &mut self.ids,
                state.index,
                county.spec.code,
                id,
                draft,
            );
            let credit = self.credit(
                &mut rng,
                county,
                township,
                &household,
                wuyuan_borrower,
                state,
            )?;
            let died_on = self.loans(
                &mut rng,
                county,
                township,
                &household,
                &credit,
                wuyuan_borrower,
                state,
            )?;
            self.write_household(file, village, &household, died_on)?;
            if let Some(people) = linked {
                self.breeding_link(&mut rng, &household, people, state)?;
            } else if county.spec.code != plan::SHANGRAO_COUNTY && rng.per_mille(25) {
                self.other_link(&mut rng, county, &household)?;
            }
        }
        Ok(())
    }

    fn write_household(
        &mut self,
        file: &mut Chunked,
        village: &Village,
        household: &Household,
        head_died_on: Option<BusinessDate>,
    ) -> Result<()> {
        let head_died_on = head_died_on.map(|d| d.to_string()).unwrap_or_default();
        let other_causes = household
            .other_causes
            .iter()
            .map(|c| zh(c))
            .collect::<Vec<_>>()
            .join("、");
        let identified = household.identified_on.to_string();
        let exited_year = household
            .exited_year
            .map(|y| y.to_string())
            .unwrap_or_default();
        let income = fupin_core::Fen::new(household.income_fen).to_plain_yuan();
        for (index, member) in household.members.iter().enumerate() {
            let died_on = if index == 0 {
                head_died_on.as_str()
            } else {
                ""
            };
            file.row([
                household.id.as_str(),
                &village.code,
                &member.name,
                &member.id_number,
                zh(member.relation),
                zh(household.attribute),
                zh(household.main_cause),
                &other_causes,
                zh(household.status),
                &identified,
                &exited_year,
                &income,
                zh(member.labour),
                member.phone.as_deref().unwrap_or(""),
                died_on,
            ])?;
        }
        self.out.household_count += 1;
        self.out.members += household.members.len() as u64;
        if household.counts_as_poor() {
            self.out.poor_people += household.members.len() as i64;
        }
        Ok(())
    }

    /// The household's credit file and line: every registered household is rated by the bank
    /// responsible for its township (in Wuyuan by Wuyuan Rural Commercial Bank) or exempt
    /// with a reason, except a handful left for the work lists.
    fn credit(
        &mut self,
        rng: &mut Rng,
        county: &County,
        township: &Township,
        household: &Household,
        wuyuan_borrower: bool,
        state: &mut CountyState,
    ) -> Result<Credit> {
        let wuyuan = county.spec.code == plan::WUYUAN;
        let institution = if wuyuan {
            plan::WUYUAN_RCB.to_string()
        } else {
            county.responsible_code(township)
        };
        let mut credit = Credit {
            institution,
            line: None,
        };
        let assessed = days_between(rng, plan::date(2016, 1, 11), plan::date(2016, 11, 6));
        let age = household.head_age_on(assessed);
        if !wuyuan_borrower && rng.chance(1, 700) {
            return Ok(credit);
        }
        let weak = household
            .members
            .iter()
            .all(|m| matches!(m.labour, "none" | "weak"));
        let exempt = if wuyuan_borrower {
            None
        } else if weak && household.members.len() <= 2 && rng.per_mille(800) {
            Some("no_labour")
        } else if age > 70 && rng.per_mille(500) {
            Some("age")
        } else if wuyuan && rng.per_mille(700) || rng.per_mille(60) {
            Some("no_need")
        } else {
            None
        };
        let assessed_text = assessed.to_string();
        if let Some(reason) = exempt {
            self.credit_files.row_split([
                household.id.as_str(),
                &credit.institution,
                &assessed_text,
                "",
                "",
                "",
                reason,
            ])?;
            return Ok(credit);
        }
        let (amount, score) = if wuyuan_borrower {
            let split = &mut state.wuyuan.as_mut().expect("Wuyuan").1;
            let amount = split.next(&mut state.rng, 60).unwrap_or(10_000);
            (Some(amount), score_for(rng, amount))
        } else {
            let score = rng.range(55, 100).max(rng.range(55, 100));
            (None, score)
        };
        let (grade, recommended) = grade_of(score);
        self.credit_files.row_split([
            household.id.as_str(),
            &credit.institution,
            &assessed_text,
            &score.to_string(),
            grade,
            &format!("{recommended}.00"),
            "",
        ])?;
        let line = match amount {
            Some(amount) => Some(amount),
            None if wuyuan || recommended == 0 || rng.chance(1, 500) => None,
            None => Some(recommended),
        };
        if let Some(amount) = line {
            let granted = assessed.add_days(rng.range(3, 20)).unwrap_or(assessed);
            let expires = granted.add_months_clamped(36).unwrap_or(granted);
            self.credit_lines.row_split([
                household.id.as_str(),
                &credit.institution,
                &format!("{amount}.00"),
                &granted.to_string(),
                &expires.to_string(),
            ])?;
            credit.line = Some((amount, granted));
        }
        Ok(credit)
    }

    #[allow(clippy::too_many_arguments)]
    fn loans(
        &mut self,
        rng: &mut Rng,
        county: &County,
        township: &Township,
        household: &Household,
        credit: &Credit,
        wuyuan_borrower: bool,
        state: &mut CountyState,
    ) -> Result<Option<BusinessDate>> {
        let spec = county.spec;
        let mut head_died_on = None;
        let (_, _, industry) = spec.product;
        let purpose = format!("发展{industry}");
        if let Some((line, granted)) = credit.line {
            let borrows = wuyuan_borrower
                || (township.responsible == Responsible::RuralCooperative
                    && rng.per_mille(spec.microcredit_per_mille));
            let first = granted.add_days(5).unwrap_or(granted);
            let start = days_between(rng, first, plan::date(2017, 6, 20));
            let age = household.head_age_on(start);
            if borrows && start > granted && (18..=65).contains(&age) {
                let principal = if !wuyuan_borrower && line > 10_000 && rng.per_mille(300) {
                    line - 10_000
                } else {
                    line
                };
                let drawn =
                    !wuyuan_borrower && start <= plan::date(2016, 12, 31) && rng.per_mille(6);
                // At most one default per village (the draw is kept, so the stream is too): a
                // village of 10 or more loans then stays below VILLAGE_OVERDUE's 10-point gap
                // over its county, at any scale, and the alerts find only what was planted.
                let defaults = drawn && !self.village_defaulted;
                self.village_defaulted |= defaults;
                let product = lending::microcredit_product(spec);
                // A few loans, chosen by count (no draw of the generator, so every other
                // figure stays as it was), whose purpose hands the money to a cooperative.
                let funnelled = !defaults
                    && !wuyuan_borrower
                    && self.out.planted_funnelled < PLANTED_FUNNELLED
                    && self.out.microcredit_loans >= 5 + 7 * self.out.planted_funnelled;
                let purpose = match funnelled {
                    true => {
                        self.out.planted_funnelled += 1;
                        format!("{purpose}，资金交本村{industry}合作社统一经营")
                    }
                    false => purpose.clone(),
                };
                self.lending.write(&NewLoan {
                    institution: &credit.institution,
                    product: &product,
                    borrower_type: "household",
                    borrower_id: &household.id,
                    principal,
                    rate: lending::MICROCREDIT_RATE,
                    start,
                    months: 36,
                    method: RepaymentMethod::QuarterlyInterest,
                    purpose: &purpose,
                    project: None,
                    defaults,
                    grace_months: 0,
                    prepay: None,
                })?;
                let fen = principal * 100;
                self.lending.covered[state.index] += fen;
                self.lending.subsidised[state.index] += fen;
                self.out.microcredit_loans += 1;
                if wuyuan_borrower {
                    self.out.wuyuan_borrowers += 1;
                    self.out.wuyuan_amount += principal;
                }
                // The alerts' other planted cases, chosen by count like the funnelled ones,
                // among ordinary loans outside Wuyuan (whose micro-credit is an article figure).
                let ordinary =
                    !defaults && !funnelled && !wuyuan_borrower && spec.code != plan::WUYUAN;
                let death = plan::date(PLANTED_DEATH.0, PLANTED_DEATH.1, PLANTED_DEATH.2);
                if ordinary
                    && start < death
                    && self.out.planted_deceased < PLANTED_DECEASED
                    && self.out.microcredit_loans >= 30 + 7 * self.out.planted_deceased
                {
                    self.out.planted_deceased += 1;
                    head_died_on = Some(death);
                } else if ordinary
                    && principal <= 40_000
                    && self.out.planted_multi_bank < PLANTED_MULTI_BANK
                    && self.out.microcredit_loans >= 60
                {
                    self.out.planted_multi_bank += 1;
                    self.second_bank_loan(household, start, &purpose)?;
                }
            }
        }
        if household.head_age_on(plan::as_of()) <= 68
            && state.industry_written < state.industry_cap
            && rng.per_mille(50)
        {
            let principal = rng.range(3, 20) * 10_000;
            let first = household
                .identified_on
                .add_days(60)
                .unwrap_or(household.identified_on)
                .max(plan::date(2015, 1, 5));
            let start = days_between(rng, first, plan::date(2017, 6, 25));
            let product = lending::household_industry_product(spec);
            self.lending.write(&NewLoan {
                institution: &county.rcb(),
                product: &product,
                borrower_type: "household",
                borrower_id: &household.id,
                principal,
                rate: lending::HOUSEHOLD_INDUSTRY_RATE,
                start,
                months: 12,
                method: RepaymentMethod::Bullet,
                purpose: &purpose,
                project: None,
                defaults: false,
                grace_months: 0,
                prepay: None,
            })?;
            state.industry_written += principal;
            self.lending.characteristic += principal;
        }
        Ok(head_died_on)
    }

    /// A second micro-credit loan of 10,000 yuan from the Postal Savings Bank a week after the
    /// first (一户多行): unsubsidised, outside the funds, never an article figure.
    fn second_bank_loan(
        &mut self,
        household: &Household,
        first_start: BusinessDate,
        purpose: &str,
    ) -> Result<()> {
        let start = first_start.add_days(7).unwrap_or(first_start);
        self.lending.write(&NewLoan {
            institution: lending::SECOND_MICROCREDIT_LENDER,
            product: lending::SECOND_MICROCREDIT_PRODUCT,
            borrower_type: "household",
            borrower_id: &household.id,
            principal: 10_000,
            rate: lending::MICROCREDIT_RATE,
            start,
            months: 36,
            method: RepaymentMethod::QuarterlyInterest,
            purpose,
            project: None,
            defaults: false,
            grace_months: 0,
            prepay: None,
        })
    }

    /// Shangrao County's breeding bases employ two people of each household they lift.
    fn breeding_link(
        &mut self,
        rng: &mut Rng,
        household: &Household,
        people: i64,
        state: &mut CountyState,
    ) -> Result<()> {
        let breeding = state.breeding.as_mut().expect("Shangrao County");
        let people = people.min(household.members.len() as i64);
        let base = breeding.next_base % breeding.bases;
        breeding.next_base += 1;
        breeding.people_left -= people;
        breeding.links_left -= 1;
        self.out.breeding_people += people;
        let county = plan::county_index(plan::SHANGRAO_COUNTY);
        let old = lending::enterprise_is_old(self.seed, county, 0, base);
        let since = if old {
            days_between(rng, plan::date(2015, 6, 1), plan::date(2016, 12, 12))
        } else {
            days_between(rng, plan::date(2017, 1, 10), plan::date(2017, 6, 19))
        };
        let link = match rng.below(10) {
            0..=5 => "employment",
            6..=7 => "land_lease",
            8 => "dividend",
            _ => "purchase",
        };
        self.links.row_split([
            lending::credit_code(county, 0, base).as_str(),
            &household.id,
            link,
            &people.to_string(),
            &since.to_string(),
        ])
    }

    /// Elsewhere, cooperatives and leading enterprises lift a few households each.
    fn other_link(&mut self, rng: &mut Rng, county: &County, household: &Household) -> Result<()> {
        let index = plan::county_index(county.spec.code);
        let counts = lending::enterprise_counts(county.spec, self.scale);
        let (cooperatives, leading) = (counts[1], counts[3]);
        if cooperatives + leading == 0 {
            return Ok(());
        }
        let pick = rng.below((cooperatives + leading) as u64) as i64;
        let (kind, n) = if pick < cooperatives {
            (1, pick)
        } else {
            (3, pick - cooperatives)
        };
        let old = lending::enterprise_is_old(self.seed, index, kind, n);
        let since = if old {
            days_between(rng, plan::date(2015, 3, 1), plan::date(2016, 12, 20))
        } else {
            days_between(rng, plan::date(2017, 1, 5), plan::date(2017, 6, 25))
        };
        let link = if kind == 1 { "dividend" } else { "employment" };
        let people = rng.range(1, 2).min(household.members.len() as i64);
        self.links.row_split([
            lending::credit_code(index, kind, n).as_str(),
            &household.id,
            link,
            &people.to_string(),
            &since.to_string(),
        ])
    }
}
