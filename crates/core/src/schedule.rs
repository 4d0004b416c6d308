//! Loan repayment schedules: due dates and each instalment's principal and interest.
//!
//! [`schedule`] is pure and exact: amounts are integer fen, the rate is integer ppm, and
//! every quotient is computed in integers (`i128`, and a small big-integer for the level
//! payment of equal instalments) — never `f64`, never a truncated decimal. Each amount is
//! rounded half away from zero to the fen once, where it is posted: once per instalment.
//!
//! # Conventions
//!
//! **Due dates.** Instalment `k` falls due `k` periods after the start date (a period is one
//! month, or three for [`RepaymentMethod::QuarterlyInterest`]), counted from the *start* and
//! clamped to the end of shorter months: a loan from 31 January falls due on 28 (29) February,
//! 31 March, 30 April… — it does not drift to the 28th. Dates therefore strictly increase, and
//! the last due date is the maturity, start + term months. Each period runs from the previous
//! due date (the start date for the first) up to, not including, its due date.
//!
//! **Equal instalment** ([`RepaymentMethod::EqualInstalment`] 等额本息) keeps the textbook
//! annuity, as Chinese banks compute it: the monthly rate is the annual rate / 12 and each
//! instalment's interest is `round(outstanding principal × annual rate / 12)`, whatever the
//! number of days in the period. That monthly rate is a 30-day month of a 360-day year, so the
//! method applies with `act/360` (the daily accrual of overdue interest and subsidy) and
//! `30/360`; with `act/365` a 30-day month would accrue 30/365 of the rate, not a twelfth, and
//! the pair is refused ([`RepaymentMethod::check_day_count`]).
//!
//! - The level payment is `PMT = P·r·(1+r)^n / ((1+r)^n − 1)` with `r` = annual / 12 (`P / n`
//!   at a zero rate), computed exactly as a rational number and rounded half-up to the fen.
//!   Each instalment's principal is `PMT − interest`.
//!
//! **Equal principal** ([`RepaymentMethod::EqualPrincipal`] 等额本金) repays `round(P / n)` of
//! principal each instalment, and accrues interest by the day count on the principal
//! outstanding over the period: `round(outstanding × annual rate × days / basis)` — 864,000
//! yuan at 4.75 % from 2016-12-15 pays 72,000 + 3,534.00 on 2017-01-15 under `act/360` (31
//! days), 72,000 + 3,420.00 under `30/360`.
//!
//! In both, the last instalment repays whatever principal is left (the residue of the
//! rounding), so principals sum exactly to the loan; its total therefore differs a little from
//! the others' (−2 fen for 50,000 yuan at 4.75 % over 36 months). No instalment repays more
//! than is still owed: for loans of a few fen per month, where the rounded level amount times
//! the term exceeds the loan, the instalments after the loan is repaid are zero.
//!
//! **Grace** (宽限期, [`LoanTerms::grace_months`]): the first months of an amortising loan pay
//! interest only; amortisation runs over the months left (equal principal: `round(P / (n −
//! grace))` a month; equal instalment: the annuity over `n − grace` months). A grace month's
//! interest is that of the method (a twelfth for equal instalment, by the day count for equal
//! principal). Grace applies only to the amortising methods and must leave a month to repay.
//!
//! **Interest of the interest-only methods** ([`RepaymentMethod::MonthlyInterest`]
//! 按月付息到期还本, [`RepaymentMethod::QuarterlyInterest`] 按季付息到期还本) and of
//! [`RepaymentMethod::Bullet`] 到期一次还本付息 accrues by day on the whole principal:
//! `round(principal × annual rate × days / basis)` per instalment, with days and basis from
//! the [`DayCount`] — see [`accrued_interest`], which the ledger's daily accrual and the
//! interest subsidy use too. Principal is repaid whole with the last instalment. A quarterly
//! loan whose term is not a multiple of three months ends with a shorter period that falls due
//! at maturity (8 months: due after 3, 6 and 8 months).
//!
//! **Day counts.** `act/360` (the Chinese bank default: actual days, daily rate = annual /
//! 360), `act/365` (actual days / 365, also in leap years) and `30/360`, the 30E/360 (Eurobond)
//! variant: a 31st counts as the 30th, so days(from, to) = 360·Δyears + 30·Δmonths +
//! min(to.day, 30) − min(from.day, 30). That count is additive — days(a, b) + days(b, c) =
//! days(a, c) — so daily accruals add up to the period's, but a period ending on the last day
//! of February counts its actual days (31 Jan → 28 Feb is 28 days, 28 Feb → 31 Mar 32).
//!
//! **Limits.** Principal above zero; rate 0 %..=100 %; term 1..=600 months; the maturity
//! must be within the supported calendar (up to 2200-12-31). Amounts that do not fit in
//! 64-bit fen are an error, never a wrap.

use std::cmp::Ordering;
use std::fmt;

use thiserror::Error;

use crate::{BusinessDate, Fen, Rate};

/// The longest term accepted, in months (50 years).
pub const MAX_TERM_MONTHS: u32 = 600;

/// ppm in a whole (100 %).
const PPM_PER_UNIT: i128 = 1_000_000;
/// Denominator of the monthly rate in ppm: monthly rate = ppm / (12 × 1,000,000).
const MONTHLY_RATE_DENOMINATOR: u64 = 12_000_000;

/// How a loan is repaid (还款方式), as named in the `products` interchange file.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum RepaymentMethod {
    /// 等额本息: equal monthly payments of principal and interest (an annuity).
    EqualInstalment,
    /// 等额本金: equal monthly principal plus interest on the outstanding principal.
    EqualPrincipal,
    /// 按月付息到期还本: interest monthly, principal at maturity.
    MonthlyInterest,
    /// 按季付息到期还本: interest every three months, principal at maturity.
    QuarterlyInterest,
    /// 到期一次还本付息 (利随本清): principal and interest together at maturity.
    Bullet,
}

impl RepaymentMethod {
    /// Every method, in the order of the interchange format.
    pub const ALL: [RepaymentMethod; 5] = [
        RepaymentMethod::EqualInstalment,
        RepaymentMethod::EqualPrincipal,
        RepaymentMethod::MonthlyInterest,
        RepaymentMethod::QuarterlyInterest,
        RepaymentMethod::Bullet,
    ];

    /// The interchange name: `equal_instalment`, `equal_principal`, `monthly_interest`,
    /// `quarterly_interest`, `bullet`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepaymentMethod::EqualInstalment => "equal_instalment",
            RepaymentMethod::EqualPrincipal => "equal_principal",
            RepaymentMethod::MonthlyInterest => "monthly_interest",
            RepaymentMethod::QuarterlyInterest => "quarterly_interest",
            RepaymentMethod::Bullet => "bullet",
        }
    }

    /// The Chinese name: 等额本息, 等额本金, 按月付息到期还本, 按季付息到期还本, 到期一次还本付息.
    pub fn name_zh(self) -> &'static str {
        match self {
            RepaymentMethod::EqualInstalment => "等额本息",
            RepaymentMethod::EqualPrincipal => "等额本金",
            RepaymentMethod::MonthlyInterest => "按月付息到期还本",
            RepaymentMethod::QuarterlyInterest => "按季付息到期还本",
            RepaymentMethod::Bullet => "到期一次还本付息",
        }
    }

    /// Parses the interchange name in snake or kebab case, any ASCII case
    /// (`equal_instalment`, `Equal-Instalment`, also `equal_installment`), or the Chinese name
    /// (`等额本息`; also the short `按月付息`, `按季付息` and `利随本清`).
    pub fn parse(text: &str) -> Result<RepaymentMethod, ScheduleError> {
        let input = text.trim();
        let normal = input.to_ascii_lowercase().replace(['-', ' '], "_");
        let method = match normal.as_str() {
            "equal_instalment" | "equal_installment" | "等额本息" => {
                RepaymentMethod::EqualInstalment
            }
            "equal_principal" | "等额本金" => RepaymentMethod::EqualPrincipal,
            "monthly_interest" | "按月付息到期还本" | "按月付息" => {
                RepaymentMethod::MonthlyInterest
            }
            "quarterly_interest" | "按季付息到期还本" | "按季付息" => {
                RepaymentMethod::QuarterlyInterest
            }
            "bullet" | "到期一次还本付息" | "利随本清" => RepaymentMethod::Bullet,
            _ => {
                return Err(ScheduleError::UnknownMethod {
                    input: input.to_string(),
                });
            }
        };
        Ok(method)
    }

    /// Whether instalments repay principal along the way (equal instalment, equal principal).
    pub fn is_amortising(self) -> bool {
        matches!(
            self,
            RepaymentMethod::EqualInstalment | RepaymentMethod::EqualPrincipal
        )
    }

    /// Refuses a day count the method cannot apply: equal instalment charges a twelfth of the
    /// annual rate a month (a 30-day month of a 360-day year), which `act/365` contradicts.
    pub fn check_day_count(self, day_count: DayCount) -> Result<(), ScheduleError> {
        match (self, day_count) {
            (RepaymentMethod::EqualInstalment, DayCount::Act365) => {
                Err(ScheduleError::DayCountCannotApply {
                    method: self,
                    day_count,
                })
            }
            _ => Ok(()),
        }
    }

    /// Refuses `grace_months` of interest only that the method cannot have, or that leave no
    /// month to repay in: grace applies to the amortising methods only.
    pub fn check_grace(self, grace_months: u32, term_months: u32) -> Result<(), ScheduleError> {
        if grace_months == 0 {
            return Ok(());
        }
        if !self.is_amortising() {
            return Err(ScheduleError::GraceNotAmortising {
                method: self,
                grace_months,
            });
        }
        if grace_months >= term_months {
            return Err(ScheduleError::GraceTooLong {
                grace_months,
                term_months,
            });
        }
        Ok(())
    }

    /// Months between due dates (the last period may be shorter); `None` for a bullet loan,
    /// which has one period, the whole term.
    fn period_months(self) -> Option<u32> {
        match self {
            RepaymentMethod::QuarterlyInterest => Some(3),
            RepaymentMethod::Bullet => None,
            _ => Some(1),
        }
    }
}

impl fmt::Display for RepaymentMethod {
    /// The interchange name, e.g. `equal_instalment`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// How interest accrues by day: the days counted and the days in a year.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum DayCount {
    /// Actual days / 360 — the Chinese bank convention and the default.
    #[default]
    Act360,
    /// Actual days / 365, leap years included.
    Act365,
    /// 30E/360 (Eurobond basis): months of 30 days, a 31st counted as the 30th.
    Thirty360,
}

impl DayCount {
    /// Every day count.
    pub const ALL: [DayCount; 3] = [DayCount::Act360, DayCount::Act365, DayCount::Thirty360];

    /// The interchange name: `act/360`, `act/365` or `30/360`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayCount::Act360 => "act/360",
            DayCount::Act365 => "act/365",
            DayCount::Thirty360 => "30/360",
        }
    }

    /// Parses `act/360`, `ACT/360`, `act360`, `actual/360`, `act/365` (`act/365f`),
    /// `30/360` or `30e/360`, trimmed; `/`, `-`, `_` and spaces are ignored.
    pub fn parse(text: &str) -> Result<DayCount, ScheduleError> {
        let input = text.trim();
        let normal: String = input
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '/' | '-' | '_' | ' '))
            .collect();
        match normal.as_str() {
            "act360" | "actual360" => Ok(DayCount::Act360),
            "act365" | "actual365" | "act365f" | "actual365fixed" => Ok(DayCount::Act365),
            "30360" | "30e360" => Ok(DayCount::Thirty360),
            _ => Err(ScheduleError::UnknownDayCount {
                input: input.to_string(),
            }),
        }
    }

    /// Days counted from `from` to `to` (negative if `to` is earlier): actual days, or the
    /// 30E/360 count `360·Δyears + 30·Δmonths + min(to.day, 30) − min(from.day, 30)`.
    pub fn days(self, from: BusinessDate, to: BusinessDate) -> i64 {
        match self {
            DayCount::Act360 | DayCount::Act365 => from.days_until(to),
            DayCount::Thirty360 => thirty_e_ordinal(to) - thirty_e_ordinal(from),
        }
    }

    /// Days in the year the count divides by: 360 or 365.
    pub fn basis(self) -> i64 {
        match self {
            DayCount::Act360 | DayCount::Thirty360 => 360,
            DayCount::Act365 => 365,
        }
    }
}

/// A day number whose differences are 30E/360 day counts.
fn thirty_e_ordinal(date: BusinessDate) -> i64 {
    i64::from(date.year()) * 360 + i64::from(date.month()) * 30 + i64::from(date.day().min(30))
}

impl fmt::Display for DayCount {
    /// The interchange name, e.g. `act/360`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What a schedule is computed from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LoanTerms {
    /// The amount lent.
    pub principal: Fen,
    /// The annual interest rate.
    pub rate: Rate,
    /// The term in months; maturity is `start` + `term_months` months.
    pub term_months: u32,
    /// How it is repaid.
    pub method: RepaymentMethod,
    /// The value date of the disbursement; interest runs from here.
    pub start: BusinessDate,
    /// How interest accrues by day (equal instalment charges a twelfth a month; see the
    /// module doc).
    pub day_count: DayCount,
    /// Leading months of interest only before amortisation (宽限期); 0 for none.
    pub grace_months: u32,
}

/// One instalment of a schedule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Instalment {
    /// 1 for the first instalment.
    pub number: u32,
    /// The day it falls due; the period ends the day before.
    pub due_date: BusinessDate,
    /// The first day of its period: the previous due date, or the loan's start.
    pub period_start: BusinessDate,
    /// Calendar days from `period_start` to `due_date` (actual days, whatever the day count).
    pub days: i64,
    /// Principal repaid.
    pub principal: Fen,
    /// Interest paid.
    pub interest: Fen,
    /// Principal still owed after this instalment.
    pub remaining_principal: Fen,
}

impl Instalment {
    /// Principal plus interest, `None` on overflow (never for an instalment of [`schedule`]).
    pub fn total(&self) -> Option<Fen> {
        self.principal.checked_add(self.interest)
    }
}

/// Why a schedule could not be computed, or a method or day count was not recognised.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ScheduleError {
    /// The principal is zero or negative.
    #[error("the principal must be above zero, not {principal} yuan")]
    NonPositivePrincipal {
        /// The principal given.
        principal: Fen,
    },
    /// A term of zero months.
    #[error("the term must be at least one month")]
    ZeroTerm,
    /// A term above [`MAX_TERM_MONTHS`].
    #[error("a term of {months} months is longer than the {max} months allowed")]
    TermTooLong {
        /// The term given.
        months: u32,
        /// [`MAX_TERM_MONTHS`].
        max: u32,
    },
    /// A rate below 0 % or above 100 %.
    #[error("the rate {rate} is outside 0%..=100%")]
    RateOutOfRange {
        /// The rate given.
        rate: Rate,
    },
    /// The maturity falls after the last supported date.
    #[error("a loan from {start} for {months} months would end after 2200-12-31")]
    BeyondCalendar {
        /// The start date.
        start: BusinessDate,
        /// The term in months.
        months: u32,
    },
    /// An amount of the schedule does not fit in 64-bit fen.
    #[error("the schedule's amounts are too large to compute in fen")]
    Overflow,
    /// Not a repayment method.
    #[error(
        "{input:?}: not a repayment method (expected equal_instalment 等额本息, equal_principal \
         等额本金, monthly_interest 按月付息到期还本, quarterly_interest 按季付息到期还本 or bullet \
         到期一次还本付息)"
    )]
    UnknownMethod {
        /// The trimmed input.
        input: String,
    },
    /// A method with a day count it cannot apply.
    #[error(
        "{method} ({zh}) charges a twelfth of the annual rate a month, a 30-day month of a \
         360-day year, so it cannot accrue by {day_count}: use act/360 or 30/360, or \
         equal_principal to accrue by actual days",
        zh = method.name_zh()
    )]
    DayCountCannotApply {
        /// The method.
        method: RepaymentMethod,
        /// The day count refused.
        day_count: DayCount,
    },
    /// Grace months with a method that repays principal only at maturity.
    #[error(
        "{method} ({zh}) repays principal at maturity, so a grace of {grace_months} months \
         of interest only cannot apply: grace is for equal_instalment and equal_principal",
        zh = method.name_zh()
    )]
    GraceNotAmortising {
        /// The method.
        method: RepaymentMethod,
        /// The grace given.
        grace_months: u32,
    },
    /// Grace as long as the term or longer.
    #[error(
        "a grace of {grace_months} months leaves no month to repay in a {term_months}-month term"
    )]
    GraceTooLong {
        /// The grace given.
        grace_months: u32,
        /// The term.
        term_months: u32,
    },
    /// Not a day count.
    #[error("{input:?}: not a day count (expected act/360, act/365 or 30/360)")]
    UnknownDayCount {
        /// The trimmed input.
        input: String,
    },
}

/// Interest on a constant `principal` over the days `[from, to)` under `day_count`:
/// `principal × rate × days / basis`, rounded half away from zero to the fen.
///
/// `None` when `to` is before `from` or the interest does not fit in 64-bit fen. Zero when
/// `from == to`. A negative principal accrues negative interest.
pub fn accrued_interest(
    principal: Fen,
    rate: Rate,
    from: BusinessDate,
    to: BusinessDate,
    day_count: DayCount,
) -> Option<Fen> {
    if to < from {
        return None;
    }
    let days = day_count.days(from, to);
    let numerator = i128::from(rate.ppm()).checked_mul(i128::from(days))?;
    principal.mul_ratio_half_up(numerator, PPM_PER_UNIT * i128::from(day_count.basis()))
}

/// The repayment schedule of a loan: one [`Instalment`] per due date, in date order.
///
/// See the module documentation for the conventions. Guarantees (checked by `debug_assert`
/// and property tests): principals sum exactly to the loan; no amount is negative; the
/// remaining principal never increases and ends at zero; due dates strictly increase; there
/// are `term_months` instalments (⌈term / 3⌉ for quarterly interest, one for a bullet loan).
pub fn schedule(terms: &LoanTerms) -> Result<Vec<Instalment>, ScheduleError> {
    validate(terms)?;
    let due_offsets = due_offsets(terms.method, terms.term_months);
    let count = due_offsets.len();
    let mut instalments = Vec::with_capacity(count);
    let mut remaining = terms.principal;
    let mut period_start = terms.start;
    let level = level_amount(terms)?;
    for (index, months) in due_offsets.into_iter().enumerate() {
        let due_date =
            terms
                .start
                .add_months_clamped(months)
                .ok_or(ScheduleError::BeyondCalendar {
                    start: terms.start,
                    months: terms.term_months,
                })?;
        let is_last = index + 1 == count;
        let in_grace = index < terms.grace_months as usize;
        let (principal, interest) = match terms.method {
            RepaymentMethod::EqualInstalment | RepaymentMethod::EqualPrincipal => {
                let interest = match terms.method {
                    RepaymentMethod::EqualInstalment => monthly_interest(remaining, terms.rate)?,
                    _ => accrued_interest(
                        remaining,
                        terms.rate,
                        period_start,
                        due_date,
                        terms.day_count,
                    )
                    .ok_or(ScheduleError::Overflow)?,
                };
                let principal = if in_grace {
                    Fen::ZERO
                } else if is_last {
                    remaining
                } else if terms.method == RepaymentMethod::EqualInstalment {
                    // Interest on at most the loan never exceeds the rounded payment
                    // (see `level_amount`), so this is never negative.
                    level.checked_sub(interest).ok_or(ScheduleError::Overflow)?
                } else {
                    level
                };
                (principal.min(remaining), interest)
            }
            RepaymentMethod::MonthlyInterest
            | RepaymentMethod::QuarterlyInterest
            | RepaymentMethod::Bullet => {
                let interest = accrued_interest(
                    terms.principal,
                    terms.rate,
                    period_start,
                    due_date,
                    terms.day_count,
                )
                .ok_or(ScheduleError::Overflow)?;
                let principal = if is_last { remaining } else { Fen::ZERO };
                (principal, interest)
            }
        };
        if principal.checked_add(interest).is_none() {
            return Err(ScheduleError::Overflow);
        }
        remaining = remaining
            .checked_sub(principal)
            .ok_or(ScheduleError::Overflow)?;
        instalments.push(Instalment {
            number: u32::try_from(index + 1).map_err(|_| ScheduleError::Overflow)?,
            due_date,
            period_start,
            days: period_start.days_until(due_date),
            principal,
            interest,
            remaining_principal: remaining,
        });
        period_start = due_date;
    }
    debug_assert!(
        invariants_hold(terms, &instalments),
        "schedule invariants broken for {terms:?}: {instalments:?}"
    );
    Ok(instalments)
}

/// After a prepayment that keeps the instalment (月供不变): the fewest months, at most
/// `terms.term_months`, over which `terms.principal` is repaid by instalments no larger than
/// `level` — the payment of equal instalments, the principal of equal principal
/// (`⌈P / level⌉` months). The methods that repay principal at maturity keep their term.
pub fn months_keeping_instalment(terms: &LoanTerms, level: Fen) -> Result<u32, ScheduleError> {
    validate(terms)?;
    if !level.is_positive() {
        return Ok(terms.term_months);
    }
    match terms.method {
        RepaymentMethod::EqualPrincipal => {
            let months = terms.principal.fen().div_euclid(level.fen())
                + i64::from(terms.principal.fen().rem_euclid(level.fen()) > 0);
            let months = u32::try_from(months).unwrap_or(u32::MAX);
            Ok(months.clamp(1, terms.term_months))
        }
        RepaymentMethod::EqualInstalment => {
            for months in 1..terms.term_months {
                let shorter = LoanTerms {
                    term_months: months,
                    grace_months: 0,
                    ..*terms
                };
                if level_amount(&shorter)? <= level {
                    return Ok(months);
                }
            }
            Ok(terms.term_months)
        }
        _ => Ok(terms.term_months),
    }
}

/// Refuses terms no schedule can be computed for.
fn validate(terms: &LoanTerms) -> Result<(), ScheduleError> {
    if !terms.principal.is_positive() {
        return Err(ScheduleError::NonPositivePrincipal {
            principal: terms.principal,
        });
    }
    if terms.term_months == 0 {
        return Err(ScheduleError::ZeroTerm);
    }
    if terms.term_months > MAX_TERM_MONTHS {
        return Err(ScheduleError::TermTooLong {
            months: terms.term_months,
            max: MAX_TERM_MONTHS,
        });
    }
    if !(0..=1_000_000).contains(&terms.rate.ppm()) {
        return Err(ScheduleError::RateOutOfRange { rate: terms.rate });
    }
    if terms.start.add_months_clamped(terms.term_months).is_none() {
        return Err(ScheduleError::BeyondCalendar {
            start: terms.start,
            months: terms.term_months,
        });
    }
    terms.method.check_day_count(terms.day_count)?;
    terms
        .method
        .check_grace(terms.grace_months, terms.term_months)
}

/// Months from the start to each due date; the last is the term.
fn due_offsets(method: RepaymentMethod, term_months: u32) -> Vec<u32> {
    let step = method.period_months().unwrap_or(term_months);
    let mut offsets: Vec<u32> = (1..)
        .map(|k| k * step)
        .take_while(|months| *months < term_months)
        .collect();
    offsets.push(term_months);
    offsets
}

/// Interest for one month on `outstanding`: `round(outstanding × annual rate / 12)`.
fn monthly_interest(outstanding: Fen, rate: Rate) -> Result<Fen, ScheduleError> {
    outstanding
        .mul_ratio_half_up(i128::from(rate.ppm()), i128::from(MONTHLY_RATE_DENOMINATOR))
        .ok_or(ScheduleError::Overflow)
}

/// The rounded level amount of the amortising methods: the payment of equal instalments, the
/// principal of equal principal; zero (unused) for the other methods.
fn level_amount(terms: &LoanTerms) -> Result<Fen, ScheduleError> {
    let term = i128::from(amortising_months(terms));
    let level = match terms.method {
        RepaymentMethod::EqualPrincipal => terms.principal.mul_ratio_half_up(1, term),
        RepaymentMethod::EqualInstalment if terms.rate == Rate::ZERO => {
            terms.principal.mul_ratio_half_up(1, term)
        }
        RepaymentMethod::EqualInstalment => annuity_payment(terms),
        _ => Some(Fen::ZERO),
    };
    level.ok_or(ScheduleError::Overflow)
}

/// Months over which principal is repaid: the term less the grace.
fn amortising_months(terms: &LoanTerms) -> u32 {
    terms.term_months - terms.grace_months
}

/// The annuity payment `P·r·q^n / (q^n − 1)` (r = ppm / B, q = 1 + r, B = 12,000,000),
/// rounded half-up to the fen, computed exactly.
///
/// With `A = B + ppm` the payment is the rational `X = P·ppm·A^n / (B·(A^n − B^n))`. The
/// rounded payment is the largest `k` with `X ≥ k − ½`, i.e. `2·P·ppm·A^n ≥ (2k − 1)·B·(A^n −
/// B^n)`: a comparison of big integers, searched by bisection over `0..=2P` (the payment is
/// at most `P·q` ≤ 13/12 P for rates up to 100 %). Since `X ≥ P·r`, the rounded payment is at
/// least the rounded interest on any outstanding principal up to `P`.
///
/// `None` if the payment does not fit in 64-bit fen. Requires a principal and rate above zero.
fn annuity_payment(terms: &LoanTerms) -> Option<Fen> {
    let principal = u64::try_from(terms.principal.fen()).ok()?;
    let ppm = u64::try_from(terms.rate.ppm()).ok()?;
    let a = MONTHLY_RATE_DENOMINATOR.checked_add(ppm)?;
    let a_pow = Natural::power(a, amortising_months(terms));
    let b_pow = Natural::power(MONTHLY_RATE_DENOMINATOR, amortising_months(terms));
    let mut twice_numerator = a_pow.clone();
    twice_numerator.mul_small(principal);
    twice_numerator.mul_small(ppm);
    twice_numerator.mul_small(2);
    let mut denominator = a_pow.minus(&b_pow);
    denominator.mul_small(MONTHLY_RATE_DENOMINATOR);
    // X ≥ k − ½, for k ≥ 1.
    let at_least_half_below = |k: u64| {
        let mut bound = denominator.clone();
        bound.mul_small(2 * (k - 1) + 1);
        twice_numerator.compare(&bound) != Ordering::Less
    };
    // Up to one past the largest fen amount, so that `2k − 1` fits in a u64.
    let past_largest = i64::MAX.unsigned_abs() + 1;
    let (mut low, mut high) = (0_u64, principal.saturating_mul(2).min(past_largest));
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if at_least_half_below(middle) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    i64::try_from(low).ok().map(Fen::new)
}

/// A non-negative big integer: little-endian 64-bit limbs, no trailing zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Natural(Vec<u64>);

impl Natural {
    /// `base^exponent`.
    fn power(base: u64, exponent: u32) -> Natural {
        let mut result = Natural(vec![1]);
        for _ in 0..exponent {
            result.mul_small(base);
        }
        result
    }

    /// `self × factor`, in place.
    fn mul_small(&mut self, factor: u64) {
        let mut carry: u128 = 0;
        for limb in &mut self.0 {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            // Keeping the low 64 bits is the point of the limb arithmetic.
            *limb = product as u64;
            carry = product >> 64;
        }
        if carry > 0 {
            self.0.push(carry as u64);
        }
        self.trim();
    }

    /// `self − other`; `self` must be at least `other`.
    fn minus(&self, other: &Natural) -> Natural {
        debug_assert!(self.compare(other) != Ordering::Less, "negative difference");
        let mut limbs = Vec::with_capacity(self.0.len());
        let mut borrow = false;
        for (index, limb) in self.0.iter().enumerate() {
            let subtrahend = other.0.get(index).copied().unwrap_or(0);
            let (difference, borrow_one) = limb.overflowing_sub(subtrahend);
            let (difference, borrow_two) = difference.overflowing_sub(u64::from(borrow));
            limbs.push(difference);
            borrow = borrow_one || borrow_two;
        }
        let mut result = Natural(limbs);
        result.trim();
        result
    }

    /// Numeric comparison.
    fn compare(&self, other: &Natural) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// Drops high zero limbs so that the length orders magnitudes.
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
}

/// The guarantees of [`schedule`], for `debug_assert!` and tests.
fn invariants_hold(terms: &LoanTerms, instalments: &[Instalment]) -> bool {
    let principals_sum =
        Fen::checked_sum(instalments.iter().map(|row| row.principal)) == Some(terms.principal);
    let nothing_negative = instalments.iter().all(|row| {
        !row.principal.is_negative()
            && !row.interest.is_negative()
            && !row.remaining_principal.is_negative()
            && row.days > 0
    });
    let mut previous_date = terms.start;
    let mut previous_remaining = terms.principal;
    let mut ordered = true;
    for row in instalments {
        ordered &= row.period_start == previous_date
            && row.due_date > previous_date
            && row.remaining_principal <= previous_remaining
            && row.total().is_some();
        previous_date = row.due_date;
        previous_remaining = row.remaining_principal;
    }
    let ends_at_zero = instalments
        .last()
        .is_some_and(|row| row.remaining_principal == Fen::ZERO);
    principals_sum && nothing_negative && ordered && ends_at_zero
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str) -> BusinessDate {
        BusinessDate::parse(text).expect("valid test date")
    }

    fn yuan(text: &str) -> Fen {
        Fen::parse_yuan(text).expect("valid test amount")
    }

    fn terms(
        principal: &str,
        percent: &str,
        months: u32,
        method: RepaymentMethod,
        start: &str,
        day_count: DayCount,
    ) -> LoanTerms {
        LoanTerms {
            principal: yuan(principal),
            rate: Rate::parse_percent(percent).expect("valid test rate"),
            term_months: months,
            method,
            start: date(start),
            day_count,
            grace_months: 0,
        }
    }

    /// An expected row: number, due date, days, principal, interest, total, remaining.
    type Row = (
        u32,
        &'static str,
        i64,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    /// Checks the listed rows (not necessarily all), the row count and the total interest.
    fn check_golden(terms: &LoanTerms, count: usize, rows: &[Row], total_interest: &str) {
        let instalments = schedule(terms).expect("schedule");
        assert_eq!(instalments.len(), count, "{terms:?}");
        for &(number, due, days, principal, interest, total, remaining) in rows {
            let row = instalments[number as usize - 1];
            let context = format!("{terms:?}, instalment {number}");
            assert_eq!(row.number, number, "{context}");
            assert_eq!(row.due_date, date(due), "{context}");
            assert_eq!(row.days, days, "{context}");
            assert_eq!(row.principal, yuan(principal), "{context}");
            assert_eq!(row.interest, yuan(interest), "{context}");
            assert_eq!(row.total(), Some(yuan(total)), "{context}");
            assert_eq!(row.remaining_principal, yuan(remaining), "{context}");
        }
        let interest = Fen::checked_sum(instalments.iter().map(|row| row.interest));
        assert_eq!(interest, Some(yuan(total_interest)), "{terms:?}");
        assert!(invariants_hold(terms, &instalments));
    }

    // Golden schedules. Every expected number below was computed independently of this module
    // with Python's `decimal` module (60 significant digits, ROUND_HALF_UP), calendar dates
    // from `datetime`/`calendar`, and the textbook formulas — PMT = P·r(1+r)^n/((1+r)^n − 1),
    // r = annual / 12 — by this script, run as `python3 golden.py 50000 4.75 36
    // equal_instalment 2017-03-15 [act/360|act/365|30/360]`:
    //
    // import calendar, datetime as dt, sys
    // from decimal import Decimal as D, getcontext, ROUND_HALF_UP
    // getcontext().prec = 60
    // fen = lambda x: x.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    // def add_months(d, k):          # same day k months later, clamped to the month's end
    //     y, m = divmod(d.month - 1 + k, 12)
    //     y += d.year; m += 1
    //     return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))
    // def days(a, b, dc):            # accrual days from a to b
    //     if dc == "30/360":         # 30E/360: a 31st counts as the 30th
    //         return 360*(b.year-a.year) + 30*(b.month-a.month) + min(b.day, 30) - min(a.day, 30)
    //     return (b - a).days
    // def schedule(P, pct, n, method, start, dc="act/360"):
    //     P, y = D(P), D(pct) / 100
    //     r = y / 12                                   # monthly rate for the amortising methods
    //     basis = D(365 if dc == "act/365" else 360)
    //     step = {"quarterly_interest": 3, "bullet": n}.get(method, 1)
    //     offsets = list(range(step, n, step)) + [n]
    //     if method == "equal_instalment":
    //         pmt = fen(P*r*(1+r)**n / ((1+r)**n - 1)) if r else fen(P/n)   # PMT
    //     rows, rem, prev = [], P, start
    //     for i, k in enumerate(offsets, 1):
    //         due, last = add_months(start, k), k == n
    //         if method == "equal_instalment":
    //             it = fen(rem*r); pr = rem if last else pmt - it
    //         elif method == "equal_principal":
    //             it = fen(rem*r); pr = rem if last else fen(P/n)
    //         else:
    //             it = fen(P*y*days(prev, due, dc)/basis); pr = P if last else D(0)
    //         pr = min(pr, rem)                        # never repay more than is owed
    //         rem -= pr
    //         rows.append((i, due.isoformat(), (due-prev).days, pr, it, pr+it, rem))
    //         prev = due
    //     return rows
    // if __name__ == "__main__":
    //     a = sys.argv[1:]
    //     rows = schedule(a[0], a[1], int(a[2]), a[3], dt.date.fromisoformat(a[4]), *a[5:])
    //     for row in rows: print(*row)
    //     print("total interest", sum(r[4] for r in rows), "total", sum(r[5] for r in rows))
    //
    // The level payment of the first case, 1,492.94 yuan a month, is also what the common
    // online 等额本息 calculators (and a spreadsheet's =PMT(4.75%/12, 36, -50000) = 1492.9399…)
    // give for 50,000 yuan over 3 years at 4.75 %; they quote total interest 3,745.84 = 36 ×
    // 1,492.94 − 50,000, ours is 2 fen less because the last instalment takes the residue.

    #[test]
    fn golden_equal_instalment_50000_at_4_75_for_36_months() {
        let terms = terms(
            "50000",
            "4.75",
            36,
            RepaymentMethod::EqualInstalment,
            "2017-03-15",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (
                1,
                "2017-04-15",
                31,
                "1295.02",
                "197.92",
                "1492.94",
                "48704.98",
            ),
            (
                2,
                "2017-05-15",
                30,
                "1300.15",
                "192.79",
                "1492.94",
                "47404.83",
            ),
            (
                3,
                "2017-06-15",
                31,
                "1305.30",
                "187.64",
                "1492.94",
                "46099.53",
            ),
            (
                18,
                "2018-09-15",
                31,
                "1384.98",
                "107.96",
                "1492.94",
                "25888.46",
            ),
            (
                19,
                "2018-10-15",
                30,
                "1390.46",
                "102.48",
                "1492.94",
                "24498.00",
            ),
            (
                35,
                "2020-02-15",
                31,
                "1481.19",
                "11.75",
                "1492.94",
                "1487.03",
            ),
            (36, "2020-03-15", 29, "1487.03", "5.89", "1492.92", "0.00"),
        ];
        check_golden(&terms, 36, rows, "3745.82");
    }

    #[test]
    fn golden_equal_principal_50000_at_4_75_for_36_months() {
        let terms = terms(
            "50000",
            "4.75",
            36,
            RepaymentMethod::EqualPrincipal,
            "2017-03-15",
            DayCount::Thirty360,
        );
        let rows: &[Row] = &[
            (
                1,
                "2017-04-15",
                31,
                "1388.89",
                "197.92",
                "1586.81",
                "48611.11",
            ),
            (
                17,
                "2018-08-15",
                31,
                "1388.89",
                "109.95",
                "1498.84",
                "26388.87",
            ),
            (
                34,
                "2020-01-15",
                31,
                "1388.89",
                "16.49",
                "1405.38",
                "2777.74",
            ),
            (
                35,
                "2020-02-15",
                31,
                "1388.89",
                "11.00",
                "1399.89",
                "1388.85",
            ),
            (36, "2020-03-15", 29, "1388.85", "5.50", "1394.35", "0.00"),
        ];
        check_golden(&terms, 36, rows, "3661.47");
    }

    #[test]
    fn golden_equal_instalment_from_a_month_end_over_a_leap_february() {
        // Due dates clamp to month ends (29 Feb 2016, then back to the 31st); the interest is
        // a twelfth of the annual rate whatever the days.
        let terms = terms(
            "10000",
            "4.35",
            12,
            RepaymentMethod::EqualInstalment,
            "2016-01-31",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (1, "2016-02-29", 29, "816.85", "36.25", "853.10", "9183.15"),
            (2, "2016-03-31", 31, "819.81", "33.29", "853.10", "8363.34"),
            (3, "2016-04-30", 30, "822.78", "30.32", "853.10", "7540.56"),
            (4, "2016-05-31", 31, "825.77", "27.33", "853.10", "6714.79"),
            (5, "2016-06-30", 30, "828.76", "24.34", "853.10", "5886.03"),
            (6, "2016-07-31", 31, "831.76", "21.34", "853.10", "5054.27"),
            (7, "2016-08-31", 31, "834.78", "18.32", "853.10", "4219.49"),
            (8, "2016-09-30", 30, "837.80", "15.30", "853.10", "3381.69"),
            (9, "2016-10-31", 31, "840.84", "12.26", "853.10", "2540.85"),
            (10, "2016-11-30", 30, "843.89", "9.21", "853.10", "1696.96"),
            (11, "2016-12-31", 31, "846.95", "6.15", "853.10", "850.01"),
            (12, "2017-01-31", 31, "850.01", "3.08", "853.09", "0.00"),
        ];
        check_golden(&terms, 12, rows, "237.19");
    }

    #[test]
    fn golden_equal_instalment_long_and_dear() {
        // 30 years at 24 %: the residue of the rounded payment compounds into the last
        // instalment (353.79 instead of 300.24).
        let small = terms(
            "15000",
            "24",
            360,
            RepaymentMethod::EqualInstalment,
            "2017-03-15",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (1, "2017-04-15", 31, "0.24", "300.00", "300.24", "14999.76"),
            (359, "2047-02-15", 31, "287.55", "12.69", "300.24", "346.85"),
            (360, "2047-03-15", 28, "346.85", "6.94", "353.79", "0.00"),
        ];
        check_golden(&small, 360, rows, "93139.95");
        let large = LoanTerms {
            principal: yuan("1000000"),
            ..small
        };
        let rows: &[Row] = &[
            (
                1,
                "2017-04-15",
                31,
                "16.04",
                "20000.00",
                "20016.04",
                "999983.96",
            ),
            (
                358,
                "2047-01-15",
                31,
                "18856.25",
                "1159.79",
                "20016.04",
                "39133.47",
            ),
            (
                359,
                "2047-02-15",
                31,
                "19233.37",
                "782.67",
                "20016.04",
                "19900.10",
            ),
            (
                360,
                "2047-03-15",
                28,
                "19900.10",
                "398.00",
                "20298.10",
                "0.00",
            ),
        ];
        check_golden(&large, 360, rows, "6206056.46");
    }

    #[test]
    fn golden_zero_rate_and_one_month() {
        let zero = terms(
            "50000",
            "0",
            36,
            RepaymentMethod::EqualInstalment,
            "2017-03-15",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (
                1,
                "2017-04-15",
                31,
                "1388.89",
                "0.00",
                "1388.89",
                "48611.11",
            ),
            (
                35,
                "2020-02-15",
                31,
                "1388.89",
                "0.00",
                "1388.89",
                "1388.85",
            ),
            (36, "2020-03-15", 29, "1388.85", "0.00", "1388.85", "0.00"),
        ];
        check_golden(&zero, 36, rows, "0.00");
        // A twelfth for equal instalment; 28 days / 360 for equal principal:
        // 10,000 × 4.35 % × 28 / 360 = 33.833… → 33.83.
        for (method, interest, total) in [
            (RepaymentMethod::EqualInstalment, "36.25", "10036.25"),
            (RepaymentMethod::EqualPrincipal, "33.83", "10033.83"),
        ] {
            let one = terms("10000", "4.35", 1, method, "2017-01-31", DayCount::Act360);
            let rows: &[Row] = &[(1, "2017-02-28", 28, "10000", interest, total, "0")];
            check_golden(&one, 1, rows, interest);
        }
    }

    #[test]
    fn tiny_loans_stop_once_repaid() {
        // 0.54 yuan over 36 months: the level principal round(54 / 36) = 2 fen repays the loan
        // after 27 instalments; the rest are zero (same script, with its `min(pr, rem)`).
        for method in [
            RepaymentMethod::EqualInstalment,
            RepaymentMethod::EqualPrincipal,
        ] {
            let terms = terms("0.54", "0", 36, method, "2017-01-31", DayCount::Act360);
            let rows: &[Row] = &[
                (27, "2019-04-30", 30, "0.02", "0.00", "0.02", "0.00"),
                (28, "2019-05-31", 31, "0.00", "0.00", "0.00", "0.00"),
                (36, "2020-01-31", 31, "0.00", "0.00", "0.00", "0.00"),
            ];
            check_golden(&terms, 36, rows, "0.00");
        }
    }

    #[test]
    fn golden_monthly_interest_30000_at_4_35_from_january_31() {
        let terms = terms(
            "30000",
            "4.35",
            12,
            RepaymentMethod::MonthlyInterest,
            "2017-01-31",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (1, "2017-02-28", 28, "0", "101.50", "101.50", "30000"),
            (2, "2017-03-31", 31, "0", "112.38", "112.38", "30000"),
            (3, "2017-04-30", 30, "0", "108.75", "108.75", "30000"),
            (4, "2017-05-31", 31, "0", "112.38", "112.38", "30000"),
            (5, "2017-06-30", 30, "0", "108.75", "108.75", "30000"),
            (6, "2017-07-31", 31, "0", "112.38", "112.38", "30000"),
            (7, "2017-08-31", 31, "0", "112.38", "112.38", "30000"),
            (8, "2017-09-30", 30, "0", "108.75", "108.75", "30000"),
            (9, "2017-10-31", 31, "0", "112.38", "112.38", "30000"),
            (10, "2017-11-30", 30, "0", "108.75", "108.75", "30000"),
            (11, "2017-12-31", 31, "0", "112.38", "112.38", "30000"),
            (12, "2018-01-31", 31, "30000", "112.38", "30112.38", "0"),
        ];
        check_golden(&terms, 12, rows, "1323.16");
    }

    #[test]
    fn golden_monthly_interest_act_365_and_30_360() {
        let act_365 = terms(
            "30000",
            "4.35",
            12,
            RepaymentMethod::MonthlyInterest,
            "2017-01-31",
            DayCount::Act365,
        );
        let rows: &[Row] = &[
            (1, "2017-02-28", 28, "0", "100.11", "100.11", "30000"),
            (2, "2017-03-31", 31, "0", "110.84", "110.84", "30000"),
            (3, "2017-04-30", 30, "0", "107.26", "107.26", "30000"),
            (12, "2018-01-31", 31, "30000", "110.84", "30110.84", "0"),
        ];
        check_golden(&act_365, 12, rows, "1305.03");
        // 30E/360 over a leap February: 31 Jan → 29 Feb counts 29 days, 29 Feb → 31 Mar 31;
        // every later month 30 days.
        let thirty_360 = terms(
            "30000",
            "4.35",
            12,
            RepaymentMethod::MonthlyInterest,
            "2016-01-31",
            DayCount::Thirty360,
        );
        let rows: &[Row] = &[
            (1, "2016-02-29", 29, "0", "105.13", "105.13", "30000"),
            (2, "2016-03-31", 31, "0", "112.38", "112.38", "30000"),
            (3, "2016-04-30", 30, "0", "108.75", "108.75", "30000"),
            (4, "2016-05-31", 31, "0", "108.75", "108.75", "30000"),
            (11, "2016-12-31", 31, "0", "108.75", "108.75", "30000"),
            (12, "2017-01-31", 31, "30000", "108.75", "30108.75", "0"),
        ];
        check_golden(&thirty_360, 12, rows, "1305.01");
    }

    #[test]
    fn golden_bullet() {
        let cases = [
            // (start, day count, due, days, interest, total): ACT/360 charges 365/360 of the
            // annual rate for a year; ACT/365 counts the leap day.
            (
                "2017-01-31",
                DayCount::Act360,
                "2018-01-31",
                365,
                "1323.13",
                "31323.13",
            ),
            (
                "2016-01-31",
                DayCount::Act365,
                "2017-01-31",
                366,
                "1308.58",
                "31308.58",
            ),
            (
                "2017-01-31",
                DayCount::Thirty360,
                "2018-01-31",
                365,
                "1305.00",
                "31305.00",
            ),
        ];
        for (start, day_count, due, days, interest, total) in cases {
            let terms = terms(
                "30000",
                "4.35",
                12,
                RepaymentMethod::Bullet,
                start,
                day_count,
            );
            let rows: &[Row] = &[(1, due, days, "30000", interest, total, "0")];
            check_golden(&terms, 1, rows, interest);
        }
    }

    #[test]
    fn golden_quarterly_interest() {
        let twelve = terms(
            "30000",
            "4.35",
            12,
            RepaymentMethod::QuarterlyInterest,
            "2017-01-31",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (1, "2017-04-30", 89, "0", "322.63", "322.63", "30000"),
            (2, "2017-07-31", 92, "0", "333.50", "333.50", "30000"),
            (3, "2017-10-31", 92, "0", "333.50", "333.50", "30000"),
            (4, "2018-01-31", 92, "30000", "333.50", "30333.50", "0"),
        ];
        check_golden(&twelve, 4, rows, "1323.13");
        // A term that is not a multiple of three ends with a two-month period.
        let eight = LoanTerms {
            term_months: 8,
            ..twelve
        };
        let rows: &[Row] = &[
            (1, "2017-04-30", 89, "0", "322.63", "322.63", "30000"),
            (2, "2017-07-31", 92, "0", "333.50", "333.50", "30000"),
            (3, "2017-09-30", 61, "30000", "221.13", "30221.13", "0"),
        ];
        check_golden(&eight, 3, rows, "877.26");
        let three_years = terms(
            "50000",
            "4.75",
            36,
            RepaymentMethod::QuarterlyInterest,
            "2017-03-15",
            DayCount::Act360,
        );
        let rows: &[Row] = &[
            (1, "2017-06-15", 92, "0", "606.94", "606.94", "50000"),
            (11, "2019-12-15", 91, "0", "600.35", "600.35", "50000"),
            (12, "2020-03-15", 91, "50000", "600.35", "50600.35", "0"),
        ];
        check_golden(&three_years, 12, rows, "7230.54");
    }

    #[test]
    fn equal_instalment_keeps_the_annuity_whatever_the_360_day_count() {
        let base = terms(
            "50000",
            "4.75",
            36,
            RepaymentMethod::EqualInstalment,
            "2017-01-31",
            DayCount::Act360,
        );
        let expected = schedule(&base).expect("schedule");
        let thirty = LoanTerms {
            day_count: DayCount::Thirty360,
            ..base
        };
        assert_eq!(schedule(&thirty).expect("schedule"), expected);
        let act365 = LoanTerms {
            day_count: DayCount::Act365,
            ..base
        };
        let error = schedule(&act365).expect_err("act/365 cannot apply to an annuity");
        assert!(matches!(error, ScheduleError::DayCountCannotApply { .. }));
        let message = error.to_string();
        assert!(message.contains("equal_instalment"), "{message}");
        assert!(message.contains("act/365"), "{message}");
    }

    // Equal principal accruing by the day count. Expected figures from
    // tests/reference/equal_principal_day_count.py (Python decimal, ROUND_HALF_UP, datetime),
    // written apart from this module: `python3 tests/reference/equal_principal_day_count.py
    // 864000 4.75 12 2016-12-15 act/360`. By hand, instalment 1: 864,000 × 4.75 % × 31 / 360
    // = 3,534.00; instalment 3 (28 days): 720,000 × 4.75 % × 28 / 360 = 2,660.00.
    // Grace months: interest only, then amortisation over the months left. Equal principal
    // from tests/reference/equal_principal_day_count.py `120000 4.75 12 2017-03-15 act/360 3`;
    // equal instalment by Python decimal: PMT over 9 months at 4.75 %/12 = 13,598.61.
    // After a prepayment keeping the instalment. Equal principal: 500,000 at 72,000 a month
    // takes ⌈6.94⌉ = 7 months. Equal instalment (Python decimal, PMT = P·r/(1−(1+r)^−n), r =
    // 4.75 %/12): 100,000 over 10 months = 10,219.00, over 11 = 9,308.24; so a payment of
    // 10,000 needs 11 months, and one of 10,219.00 exactly 10.
    #[test]
    fn months_keeping_the_instalment() {
        let mut terms = terms(
            "500000",
            "4.75",
            12,
            RepaymentMethod::EqualPrincipal,
            "2017-03-15",
            DayCount::Act360,
        );
        assert_eq!(months_keeping_instalment(&terms, yuan("72000")), Ok(7));
        assert_eq!(months_keeping_instalment(&terms, yuan("50000")), Ok(10));
        assert_eq!(months_keeping_instalment(&terms, yuan("10000")), Ok(12));
        terms.principal = yuan("100000");
        terms.method = RepaymentMethod::EqualInstalment;
        assert_eq!(months_keeping_instalment(&terms, yuan("10000")), Ok(11));
        assert_eq!(months_keeping_instalment(&terms, yuan("10219.00")), Ok(10));
        assert_eq!(months_keeping_instalment(&terms, yuan("10218.99")), Ok(11));
    }

    #[test]
    fn golden_grace_months() {
        let mut graced = terms(
            "120000",
            "4.75",
            12,
            RepaymentMethod::EqualPrincipal,
            "2017-03-15",
            DayCount::Act360,
        );
        graced.grace_months = 3;
        let rows: &[Row] = &[
            (1, "2017-04-15", 31, "0", "490.83", "490.83", "120000"),
            (3, "2017-06-15", 31, "0", "490.83", "490.83", "120000"),
            (
                4,
                "2017-07-15",
                30,
                "13333.33",
                "475.00",
                "13808.33",
                "106666.67",
            ),
            (12, "2018-03-15", 28, "13333.36", "49.26", "13382.62", "0"),
        ];
        check_golden(&graced, 12, rows, "3872.13");
        graced.method = RepaymentMethod::EqualInstalment;
        let rows: &[Row] = &[
            (1, "2017-04-15", 31, "0", "475.00", "475.00", "120000"),
            (
                4,
                "2017-07-15",
                30,
                "13123.61",
                "475.00",
                "13598.61",
                "106876.39",
            ),
            (
                5,
                "2017-08-15",
                31,
                "13175.56",
                "423.05",
                "13598.61",
                "93700.83",
            ),
            (12, "2018-03-15", 28, "13545.01", "53.62", "13598.63", "0"),
        ];
        check_golden(&graced, 12, rows, "3812.51");
        graced.grace_months = 12;
        assert!(matches!(
            schedule(&graced),
            Err(ScheduleError::GraceTooLong { .. })
        ));
        graced.grace_months = 3;
        graced.method = RepaymentMethod::Bullet;
        assert!(matches!(
            schedule(&graced),
            Err(ScheduleError::GraceNotAmortising { .. })
        ));
    }

    #[test]
    fn golden_equal_principal_864000_by_each_day_count() {
        let cases: [(DayCount, &[Row], &str); 3] = [
            (
                DayCount::Act360,
                &[
                    (
                        1,
                        "2017-01-15",
                        31,
                        "72000",
                        "3534.00",
                        "75534.00",
                        "792000",
                    ),
                    (
                        2,
                        "2017-02-15",
                        31,
                        "72000",
                        "3239.50",
                        "75239.50",
                        "720000",
                    ),
                    (
                        3,
                        "2017-03-15",
                        28,
                        "72000",
                        "2660.00",
                        "74660.00",
                        "648000",
                    ),
                    (
                        4,
                        "2017-04-15",
                        31,
                        "72000",
                        "2650.50",
                        "74650.50",
                        "576000",
                    ),
                    (
                        5,
                        "2017-05-15",
                        30,
                        "72000",
                        "2280.00",
                        "74280.00",
                        "504000",
                    ),
                    (11, "2017-11-15", 31, "72000", "589.00", "72589.00", "72000"),
                    (12, "2017-12-15", 30, "72000", "285.00", "72285.00", "0"),
                ],
                "22515.00",
            ),
            (
                DayCount::Act365,
                &[
                    (
                        1,
                        "2017-01-15",
                        31,
                        "72000",
                        "3485.59",
                        "75485.59",
                        "792000",
                    ),
                    (
                        3,
                        "2017-03-15",
                        28,
                        "72000",
                        "2623.56",
                        "74623.56",
                        "648000",
                    ),
                    (12, "2017-12-15", 30, "72000", "281.10", "72281.10", "0"),
                ],
                "22206.58",
            ),
            (
                DayCount::Thirty360,
                &[
                    (
                        1,
                        "2017-01-15",
                        31,
                        "72000",
                        "3420.00",
                        "75420.00",
                        "792000",
                    ),
                    (
                        3,
                        "2017-03-15",
                        28,
                        "72000",
                        "2850.00",
                        "74850.00",
                        "648000",
                    ),
                    (12, "2017-12-15", 30, "72000", "285.00", "72285.00", "0"),
                ],
                "22230.00",
            ),
        ];
        for (day_count, rows, interest) in cases {
            let terms = terms(
                "864000",
                "4.75",
                12,
                RepaymentMethod::EqualPrincipal,
                "2016-12-15",
                day_count,
            );
            check_golden(&terms, 12, rows, interest);
        }
    }

    #[test]
    fn accrued_interest_cases() {
        let principal = yuan("50000");
        let rate = Rate::parse_percent("4.75").expect("rate");
        let cases = [
            // (from, to, day count, expected) — 50,000 × 4.75 % × days / basis, half-up.
            ("2017-03-15", "2017-04-14", DayCount::Act360, Some("197.92")), // 30 days
            ("2017-03-15", "2017-03-16", DayCount::Act360, Some("6.60")),   // 6.5972…
            (
                "2017-03-15",
                "2018-03-10",
                DayCount::Act360,
                Some("2375.00"),
            ), // 360 days
            (
                "2017-03-15",
                "2018-03-15",
                DayCount::Act365,
                Some("2375.00"),
            ),
            ("2017-03-15", "2017-03-15", DayCount::Act360, Some("0.00")),
            (
                "2017-03-31",
                "2017-04-01",
                DayCount::Thirty360,
                Some("6.60"),
            ), // 1 day
            (
                "2017-03-30",
                "2017-03-31",
                DayCount::Thirty360,
                Some("0.00"),
            ), // 0 days
            (
                "2017-02-28",
                "2017-03-01",
                DayCount::Thirty360,
                Some("19.79"),
            ), // 3 days
            ("2017-03-16", "2017-03-15", DayCount::Act360, None),
        ];
        for (from, to, day_count, expected) in cases {
            assert_eq!(
                accrued_interest(principal, rate, date(from), date(to), day_count),
                expected.map(yuan),
                "{from} → {to} {day_count}"
            );
        }
        let huge = accrued_interest(
            Fen::new(i64::MAX),
            Rate::from_ppm(1_000_000),
            date("1900-01-01"),
            date("2200-12-31"),
            DayCount::Act360,
        );
        assert_eq!(huge, None);
        assert_eq!(
            accrued_interest(
                yuan("-50000"),
                rate,
                date("2017-03-15"),
                date("2017-03-16"),
                DayCount::Act360
            ),
            Some(yuan("-6.60"))
        );
    }

    #[test]
    fn refuses_impossible_terms() {
        let good = terms(
            "50000",
            "4.75",
            36,
            RepaymentMethod::EqualInstalment,
            "2017-03-15",
            DayCount::Act360,
        );
        let cases = [
            (
                LoanTerms {
                    principal: Fen::ZERO,
                    ..good
                },
                "the principal must be above zero, not 0.00 yuan",
            ),
            (
                LoanTerms {
                    principal: yuan("-1"),
                    ..good
                },
                "above zero, not -1.00 yuan",
            ),
            (
                LoanTerms {
                    term_months: 0,
                    ..good
                },
                "the term must be at least one month",
            ),
            (
                LoanTerms {
                    term_months: 601,
                    ..good
                },
                "a term of 601 months is longer than the 600 months allowed",
            ),
            (
                LoanTerms {
                    rate: Rate::from_ppm(-1),
                    ..good
                },
                "the rate -0.0001% is outside 0%..=100%",
            ),
            (
                LoanTerms {
                    rate: Rate::from_ppm(1_000_001),
                    ..good
                },
                "outside 0%..=100%",
            ),
            (
                LoanTerms {
                    start: date("2200-01-31"),
                    term_months: 12,
                    ..good
                },
                "a loan from 2200-01-31 for 12 months would end after 2200-12-31",
            ),
            (
                LoanTerms {
                    principal: Fen::new(i64::MAX),
                    rate: Rate::from_ppm(1_000_000),
                    term_months: 1,
                    ..good
                },
                "too large to compute in fen",
            ),
            (
                LoanTerms {
                    principal: Fen::new(i64::MAX),
                    method: RepaymentMethod::Bullet,
                    ..good
                },
                "too large to compute in fen",
            ),
        ];
        for (terms, message) in cases {
            let error = schedule(&terms).expect_err(message).to_string();
            assert!(error.contains(message), "{terms:?}: {error}");
        }
        // The last supported month is fine.
        let last = LoanTerms {
            start: date("2199-12-31"),
            term_months: 12,
            ..good
        };
        let rows = schedule(&last).expect("schedule");
        assert_eq!(
            rows.last().map(|row| row.due_date),
            Some(date("2200-12-31"))
        );
    }

    #[test]
    fn parses_methods_and_day_counts() {
        let methods = [
            ("equal_instalment", RepaymentMethod::EqualInstalment),
            ("equal-instalment", RepaymentMethod::EqualInstalment),
            (" Equal_Installment ", RepaymentMethod::EqualInstalment),
            ("等额本息", RepaymentMethod::EqualInstalment),
            ("equal_principal", RepaymentMethod::EqualPrincipal),
            ("等额本金", RepaymentMethod::EqualPrincipal),
            ("monthly-interest", RepaymentMethod::MonthlyInterest),
            ("按月付息到期还本", RepaymentMethod::MonthlyInterest),
            ("按月付息", RepaymentMethod::MonthlyInterest),
            ("QUARTERLY_INTEREST", RepaymentMethod::QuarterlyInterest),
            ("按季付息到期还本", RepaymentMethod::QuarterlyInterest),
            ("bullet", RepaymentMethod::Bullet),
            ("到期一次还本付息", RepaymentMethod::Bullet),
            ("利随本清", RepaymentMethod::Bullet),
        ];
        for (input, expected) in methods {
            assert_eq!(RepaymentMethod::parse(input), Ok(expected), "{input}");
        }
        for method in RepaymentMethod::ALL {
            assert_eq!(RepaymentMethod::parse(method.as_str()), Ok(method));
            assert_eq!(RepaymentMethod::parse(method.name_zh()), Ok(method));
            assert_eq!(method.to_string(), method.as_str());
        }
        let message = RepaymentMethod::parse(" annuity ")
            .expect_err("unknown")
            .to_string();
        assert!(
            message.starts_with("\"annuity\": not a repayment method (expected equal_instalment"),
            "{message}"
        );
        let day_counts = [
            ("act/360", DayCount::Act360),
            ("ACT/360", DayCount::Act360),
            ("act360", DayCount::Act360),
            ("Actual/360", DayCount::Act360),
            ("act/365", DayCount::Act365),
            ("ACT/365F", DayCount::Act365),
            ("30/360", DayCount::Thirty360),
            ("30E/360", DayCount::Thirty360),
            (" 30_360 ", DayCount::Thirty360),
        ];
        for (input, expected) in day_counts {
            assert_eq!(DayCount::parse(input), Ok(expected), "{input}");
        }
        for day_count in DayCount::ALL {
            assert_eq!(DayCount::parse(day_count.as_str()), Ok(day_count));
        }
        for refused in ["", "act/366", "30/365", "daily"] {
            let message = DayCount::parse(refused).expect_err(refused).to_string();
            assert!(message.contains("not a day count"), "{message}");
        }
        assert_eq!(DayCount::default(), DayCount::Act360);
    }

    #[test]
    fn big_integers() {
        let mut value = Natural::power(2, 64);
        assert_eq!(value, Natural(vec![0, 1]));
        assert_eq!(value.minus(&Natural(vec![1])), Natural(vec![u64::MAX]));
        value.mul_small(u64::MAX);
        assert_eq!(value, Natural(vec![0, u64::MAX]));
        assert_eq!(
            Natural::power(10, 3).compare(&Natural(vec![999])),
            Ordering::Greater
        );
        assert_eq!(
            Natural(vec![5, 1]).compare(&Natural(vec![6, 0]).minus(&Natural(vec![0]))),
            Ordering::Greater
        );
        let mut zero = Natural(vec![7]);
        zero.mul_small(0);
        assert_eq!(zero, Natural(Vec::new()));
        assert_eq!(zero.compare(&Natural(vec![1])), Ordering::Less);
    }

    fn any_method() -> impl Strategy<Value = RepaymentMethod> {
        proptest::sample::select(RepaymentMethod::ALL.to_vec())
    }

    fn any_day_count() -> impl Strategy<Value = DayCount> {
        proptest::sample::select(DayCount::ALL.to_vec())
    }

    fn any_start() -> impl Strategy<Value = BusinessDate> {
        let first = BusinessDate::from_ymd(1990, 1, 1).expect("valid");
        let span = first.days_until(BusinessDate::from_ymd(2150, 12, 31).expect("valid"));
        (0..=span).prop_map(move |offset| first.add_days(offset).expect("in range"))
    }

    fn any_terms() -> impl Strategy<Value = LoanTerms> {
        (
            1_i64..=1_000_000_000,
            0_i64..=240_000,
            1_u32..=360,
            any_method(),
            any_start(),
            any_day_count(),
        )
            .prop_map(|(principal, ppm, term_months, method, start, day_count)| {
                // Equal instalment cannot accrue by act/365 (refused, tested apart).
                let day_count = match (method, day_count) {
                    (RepaymentMethod::EqualInstalment, DayCount::Act365) => DayCount::Act360,
                    _ => day_count,
                };
                LoanTerms {
                    principal: Fen::new(principal),
                    rate: Rate::from_ppm(ppm),
                    term_months,
                    method,
                    start,
                    day_count,
                    grace_months: 0,
                }
            })
    }

    proptest! {
        #[test]
        fn schedules_keep_their_invariants(terms in any_terms()) {
            let rows = schedule(&terms).expect("valid terms");
            let expected_count = match terms.method {
                RepaymentMethod::QuarterlyInterest => terms.term_months.div_ceil(3),
                RepaymentMethod::Bullet => 1,
                _ => terms.term_months,
            };
            prop_assert_eq!(rows.len(), expected_count as usize);
            prop_assert_eq!(
                Fen::checked_sum(rows.iter().map(|row| row.principal)),
                Some(terms.principal)
            );
            let mut previous_date = terms.start;
            let mut previous_remaining = terms.principal;
            for (index, row) in rows.iter().enumerate() {
                prop_assert_eq!(row.number as usize, index + 1);
                prop_assert!(!row.principal.is_negative());
                prop_assert!(!row.interest.is_negative());
                prop_assert!(row.total().is_some());
                prop_assert_eq!(row.period_start, previous_date);
                prop_assert!(row.due_date > previous_date);
                prop_assert_eq!(row.days, previous_date.days_until(row.due_date));
                prop_assert!(row.remaining_principal <= previous_remaining);
                prop_assert!(!row.remaining_principal.is_negative());
                prop_assert_eq!(
                    row.remaining_principal,
                    Fen::new(previous_remaining.fen() - row.principal.fen())
                );
                // Due dates are counted from the start, not from the previous due date.
                let months = match terms.method {
                    RepaymentMethod::QuarterlyInterest => (row.number * 3).min(terms.term_months),
                    RepaymentMethod::Bullet => terms.term_months,
                    _ => row.number,
                };
                prop_assert_eq!(Some(row.due_date), terms.start.add_months_clamped(months));
                if terms.rate == Rate::ZERO {
                    prop_assert_eq!(row.interest, Fen::ZERO);
                }
                previous_date = row.due_date;
                previous_remaining = row.remaining_principal;
            }
            prop_assert_eq!(previous_remaining, Fen::ZERO);
            prop_assert_eq!(Some(previous_date), terms.start.add_months_clamped(terms.term_months));
        }

        #[test]
        fn equal_instalments_are_level(terms in any_terms()) {
            let terms = LoanTerms {
                method: RepaymentMethod::EqualInstalment,
                day_count: DayCount::Act360,
                ..terms
            };
            let rows = schedule(&terms).expect("valid terms");
            // Until the loan is repaid, every instalment but the last pays the same total,
            // and the interest is a twelfth of the annual rate on what is owed.
            let mut owed = terms.principal;
            for row in &rows[..rows.len() - 1] {
                if row.remaining_principal.is_positive() {
                    prop_assert_eq!(row.total(), rows[0].total());
                }
                let interest = owed.mul_ratio_half_up(i128::from(terms.rate.ppm()), 12_000_000);
                prop_assert_eq!(Some(row.interest), interest);
                owed = row.remaining_principal;
            }
        }

        #[test]
        fn level_payment_matches_the_decimal_formula(terms in any_terms()) {
            // Cross-check of the exact big-integer payment against rust_decimal's, which
            // carries 28 significant digits: they agree unless the exact payment is within
            // 1e-6 fen of a half fen (then the decimal one may round either way).
            use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};
            prop_assume!(terms.rate.ppm() > 0);
            let terms = LoanTerms { method: RepaymentMethod::EqualInstalment, ..terms };
            let exact = annuity_payment(&terms).expect("fits").fen();
            let r = terms.rate.as_decimal_fraction() / Decimal::from(12);
            let discount = Decimal::ONE - (Decimal::ONE + r).powi(-i64::from(terms.term_months));
            let payment = Decimal::from(terms.principal.fen()) * r / discount;
            let frac = payment.fract();
            let near_half = (frac - Decimal::new(5, 1)).abs() < Decimal::new(1, 6);
            if !near_half {
                let rounded = payment.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
                prop_assert_eq!(Decimal::from(exact), rounded);
            }
        }

        #[test]
        fn extreme_terms_compute_or_report_overflow(
            principal in 1_i64..=i64::MAX,
            ppm in 0_i64..=1_000_000,
            term_months in 1_u32..=MAX_TERM_MONTHS,
            method in any_method(),
            day_count in any_day_count(),
        ) {
            let terms = LoanTerms {
                principal: Fen::new(principal),
                rate: Rate::from_ppm(ppm),
                term_months,
                method,
                start: BusinessDate::from_ymd(2017, 1, 31).expect("valid"),
                day_count,
                grace_months: 0,
            };
            match schedule(&terms) {
                Ok(rows) => prop_assert!(invariants_hold(&terms, &rows)),
                Err(ScheduleError::DayCountCannotApply { .. }) => {
                    prop_assert_eq!(method, RepaymentMethod::EqualInstalment);
                    prop_assert_eq!(day_count, DayCount::Act365);
                }
                Err(error) => prop_assert_eq!(error, ScheduleError::Overflow),
            }
        }

        #[test]
        fn thirty_e_360_is_additive(a in any_start(), b in any_start(), c in any_start()) {
            let mut dates = [a, b, c];
            dates.sort();
            let [a, b, c] = dates;
            for day_count in DayCount::ALL {
                prop_assert_eq!(
                    day_count.days(a, b) + day_count.days(b, c),
                    day_count.days(a, c)
                );
                prop_assert!(day_count.days(a, b) >= 0);
            }
        }
    }
}
