//! Allocating a repayment to a loan's instalments, and the loan's standing on a date.
//!
//! Order: penalty interest outstanding (罚息) first, then overdue interest, overdue principal,
//! the current instalment's interest, the current instalment's principal — 先罚息、后利息、再本金,
//! as Chinese bank contracts commonly collect overdue amounts (penalty is only ever charged on
//! overdue principal, so it is always part of what is overdue). An instalment is overdue on a
//! date after its due date; the current one is the first not fully paid that falls due on or
//! after the date. A payment larger than that is refused — unless it is exactly what settles
//! the loan (the penalty outstanding, all principal left, the interest due so far and the
//! current instalment's interest), in which case later instalments' interest is not owed.
//!
//! A partial prepayment (提前部分还款, [`prepay`]) may pay more than is due: what is due is
//! allocated in the usual order (so the current instalment is paid whole, its interest
//! included), and the rest repays principal, for which the caller draws a new schedule from the
//! current instalment's due date ([`PrepaymentOption`]). Above the settlement amount it is
//! refused, naming that amount.

use crate::{BusinessDate, Fen, Rate};

/// An instalment with what has been paid of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalmentState {
    pub number: u32,
    pub due_on: BusinessDate,
    pub principal: Fen,
    pub interest: Fen,
    pub paid_principal: Fen,
    pub paid_interest: Fen,
}

impl InstalmentState {
    pub fn principal_left(&self) -> Fen {
        Fen::new(self.principal.fen() - self.paid_principal.fen())
    }

    pub fn interest_left(&self) -> Fen {
        Fen::new(self.interest.fen() - self.paid_interest.fen())
    }

    pub fn is_paid(&self) -> bool {
        !self.principal_left().is_positive() && !self.interest_left().is_positive()
    }
}

/// One part of a repayment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub number: u32,
    pub principal: Fen,
    pub interest: Fen,
}

/// How a repayment is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Penalty interest (罚息) collected, taken before any instalment.
    pub penalty: Fen,
    pub allocations: Vec<Allocation>,
    /// The payment settles the loan: every later instalment is no longer due.
    pub settles: bool,
}

impl Applied {
    pub fn principal(&self) -> Fen {
        Fen::new(self.allocations.iter().map(|a| a.principal.fen()).sum())
    }

    pub fn interest(&self) -> Fen {
        Fen::new(self.allocations.iter().map(|a| a.interest.fen()).sum())
    }
}

/// Why a repayment cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RepaymentError {
    #[error("the amount must be positive, not {0}")]
    NotPositive(Fen),
    #[error("nothing is owed on {0}")]
    NothingOwed(BusinessDate),
    #[error(
        "{amount} is more than is due on {date} ({due}) and is not the settlement amount ({settlement}); \
         the excess would be lost, so the payment is refused"
    )]
    Overpayment {
        amount: Fen,
        date: BusinessDate,
        due: Fen,
        settlement: Fen,
    },
    #[error(
        "{amount} is more than the settlement amount on {date} ({settlement}): a prepayment \
         can repay at most the whole loan"
    )]
    AboveSettlement {
        amount: Fen,
        date: BusinessDate,
        settlement: Fen,
    },
}

/// What a partial prepayment does to the schedule (提前部分还款方式).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrepaymentOption {
    /// Keep the maturity, lower the instalments (期限不变，月供减少).
    KeepTerm,
    /// Keep the instalment, shorten the term (月供不变，期限缩短).
    KeepInstalment,
}

impl PrepaymentOption {
    pub const ALL: [PrepaymentOption; 2] =
        [PrepaymentOption::KeepTerm, PrepaymentOption::KeepInstalment];

    /// `keep_term` or `keep_instalment`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrepaymentOption::KeepTerm => "keep_term",
            PrepaymentOption::KeepInstalment => "keep_instalment",
        }
    }

    /// `keep_term`/`keep-term`/`期限不变`, `keep_instalment`/`keep-instalment`/
    /// `keep_installment`/`月供不变`, any ASCII case, trimmed.
    pub fn parse(text: &str) -> Option<PrepaymentOption> {
        let normal = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match normal.as_str() {
            "keep_term" | "期限不变" => Some(PrepaymentOption::KeepTerm),
            "keep_instalment" | "keep_installment" | "月供不变" => {
                Some(PrepaymentOption::KeepInstalment)
            }
            _ => None,
        }
    }
}

/// A prepayment allocated: what is due, and the principal repaid ahead of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepaid {
    /// What is due, allocated in the usual order (or the settlement).
    pub applied: Applied,
    /// Principal repaid beyond what is due; zero when the payment was no more than due.
    pub ahead: Fen,
}

/// Allocates a prepayment of `amount` on `date`: what is due first, the rest to principal.
/// No more than is due is an ordinary payment; exactly the settlement amount settles; above it
/// is refused. `penalty` is the penalty interest outstanding, collected first.
pub fn prepay(
    instalments: &[InstalmentState],
    date: BusinessDate,
    amount: Fen,
    penalty: Fen,
) -> Result<Prepaid, RepaymentError> {
    if !amount.is_positive() {
        return Err(RepaymentError::NotPositive(amount));
    }
    let due = amount_due(instalments, date, penalty);
    let settlement = settlement_amount(instalments, date, penalty);
    if !settlement.is_positive() {
        return Err(RepaymentError::NothingOwed(date));
    }
    if amount > settlement {
        return Err(RepaymentError::AboveSettlement {
            amount,
            date,
            settlement,
        });
    }
    if amount == settlement {
        return Ok(Prepaid {
            applied: settle(instalments, date, penalty),
            ahead: Fen::ZERO,
        });
    }
    let paid_now = amount.min(due);
    Ok(Prepaid {
        applied: in_order(instalments, date, paid_now, penalty),
        ahead: Fen::new(amount.fen() - paid_now.fen()),
    })
}

/// What is due on `date`: the penalty outstanding, and overdue and current instalments'
/// interest and principal.
pub fn amount_due(instalments: &[InstalmentState], date: BusinessDate, penalty: Fen) -> Fen {
    let current = current_number(instalments, date);
    let instalments: i64 = instalments
        .iter()
        .filter(|i| i.due_on < date || Some(i.number) == current)
        .map(|i| i.principal_left().fen() + i.interest_left().fen())
        .sum();
    Fen::new(penalty.fen().max(0) + instalments)
}

/// What settles the loan on `date`: the penalty outstanding, all principal left, and the
/// interest of overdue instalments and of the current one.
pub fn settlement_amount(instalments: &[InstalmentState], date: BusinessDate, penalty: Fen) -> Fen {
    let current = current_number(instalments, date);
    let principal: i64 = instalments.iter().map(|i| i.principal_left().fen()).sum();
    let interest: i64 = instalments
        .iter()
        .filter(|i| i.due_on < date || Some(i.number) == current)
        .map(|i| i.interest_left().fen())
        .sum();
    Fen::new(penalty.fen().max(0) + principal + interest)
}

/// The current instalment on `date`: the first not fully paid due on or after it.
fn current_number(instalments: &[InstalmentState], date: BusinessDate) -> Option<u32> {
    instalments
        .iter()
        .find(|i| i.due_on >= date && !i.is_paid())
        .map(|i| i.number)
}

/// Allocates `amount` paid on `date`. `instalments` are in due order; `penalty` is the
/// penalty interest outstanding, collected first.
pub fn allocate(
    instalments: &[InstalmentState],
    date: BusinessDate,
    amount: Fen,
    penalty: Fen,
) -> Result<Applied, RepaymentError> {
    if !amount.is_positive() {
        return Err(RepaymentError::NotPositive(amount));
    }
    let due = amount_due(instalments, date, penalty);
    let settlement = settlement_amount(instalments, date, penalty);
    if !settlement.is_positive() {
        return Err(RepaymentError::NothingOwed(date));
    }
    if amount == settlement {
        return Ok(settle(instalments, date, penalty));
    }
    if amount > due {
        return Err(RepaymentError::Overpayment {
            amount,
            date,
            due,
            settlement,
        });
    }
    Ok(in_order(instalments, date, amount, penalty))
}

/// Penalty, overdue interest, overdue principal, current interest, current principal.
fn in_order(
    instalments: &[InstalmentState],
    date: BusinessDate,
    amount: Fen,
    penalty: Fen,
) -> Applied {
    let penalty_paid = penalty.fen().max(0).min(amount.fen());
    let current = current_number(instalments, date);
    let overdue: Vec<&InstalmentState> = instalments.iter().filter(|i| i.due_on < date).collect();
    let current: Vec<&InstalmentState> = instalments
        .iter()
        .filter(|i| Some(i.number) == current)
        .collect();
    let mut left = amount.fen() - penalty_paid;
    let mut parts: Vec<Allocation> = Vec::new();
    for (group, interest_first) in [
        (&overdue, true),
        (&overdue, false),
        (&current, true),
        (&current, false),
    ] {
        for instalment in group.iter() {
            let owed = match interest_first {
                true => instalment.interest_left().fen(),
                false => instalment.principal_left().fen(),
            };
            let take = owed.min(left);
            if take > 0 {
                add_part(&mut parts, instalment.number, interest_first, take);
                left -= take;
            }
        }
    }
    debug_assert_eq!(left, 0, "the caller checked the amount against what is due");
    Applied {
        penalty: Fen::new(penalty_paid),
        allocations: parts,
        settles: false,
    }
}

fn add_part(parts: &mut Vec<Allocation>, number: u32, is_interest: bool, amount_fen: i64) {
    let index = match parts.iter().position(|p| p.number == number) {
        Some(index) => index,
        None => {
            parts.push(Allocation {
                number,
                principal: Fen::ZERO,
                interest: Fen::ZERO,
            });
            parts.len() - 1
        }
    };
    let part = &mut parts[index];
    match is_interest {
        true => part.interest = Fen::new(part.interest.fen() + amount_fen),
        false => part.principal = Fen::new(part.principal.fen() + amount_fen),
    }
}

fn settle(instalments: &[InstalmentState], date: BusinessDate, penalty: Fen) -> Applied {
    let current = current_number(instalments, date);
    let allocations = instalments
        .iter()
        .filter(|i| !i.is_paid())
        .map(|i| {
            let interest_owed = i.due_on < date || Some(i.number) == current;
            Allocation {
                number: i.number,
                principal: i.principal_left(),
                interest: if interest_owed {
                    i.interest_left()
                } else {
                    Fen::ZERO
                },
            }
        })
        .filter(|a| a.principal.is_positive() || a.interest.is_positive())
        .collect();
    Applied {
        penalty: Fen::new(penalty.fen().max(0)),
        allocations,
        settles: true,
    }
}

/// The earliest due date of an instalment not fully paid.
pub fn next_unpaid_due(instalments: &[InstalmentState]) -> Option<BusinessDate> {
    instalments
        .iter()
        .filter(|i| !i.is_paid())
        .map(|i| i.due_on)
        .min()
}

/// Principal overdue on `date` for penalty interest: that of instalments due more than
/// `grace_days` before it (with no grace, due before it — from the day after the due date).
pub fn penalised_principal(
    instalments: &[InstalmentState],
    date: BusinessDate,
    grace_days: i64,
) -> Fen {
    Fen::new(
        instalments
            .iter()
            .filter(|i| i.due_on.days_until(date) > grace_days)
            .map(|i| i.principal_left().fen().max(0))
            .sum(),
    )
}

/// One day's penalty interest (罚息) on `principal`: the contract rate raised by
/// `uplift_ppm` (500,000 = +50 %), over one day of a `basis`-day year, rounded half away from
/// zero to the fen. `None` on overflow.
pub fn daily_penalty(principal: Fen, rate: Rate, uplift_ppm: i64, basis: i64) -> Option<Fen> {
    let raised = i128::from(rate.ppm()).checked_mul(1_000_000 + i128::from(uplift_ppm))?;
    principal.mul_ratio_half_up(raised, 1_000_000_000_000 * i128::from(basis))
}

/// The five-category classification (五级分类) by overdue days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Classification {
    Normal,
    SpecialMention,
    Substandard,
    Doubtful,
    Loss,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Normal => "normal",
            Classification::SpecialMention => "special_mention",
            Classification::Substandard => "substandard",
            Classification::Doubtful => "doubtful",
            Classification::Loss => "loss",
        }
    }

    pub fn parse(text: &str) -> Option<Classification> {
        [
            Classification::Normal,
            Classification::SpecialMention,
            Classification::Substandard,
            Classification::Doubtful,
            Classification::Loss,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

/// The overdue days at which each worse category starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub special_mention_days: i64,
    pub substandard_days: i64,
    pub doubtful_days: i64,
    pub loss_days: i64,
}

impl Default for Thresholds {
    /// Normal 0 days; special mention 1–90; substandard 91–180; doubtful 181–360; loss > 360.
    fn default() -> Thresholds {
        Thresholds {
            special_mention_days: 1,
            substandard_days: 91,
            doubtful_days: 181,
            loss_days: 361,
        }
    }
}

impl Thresholds {
    pub fn classify(&self, overdue_days: i64) -> Classification {
        if overdue_days >= self.loss_days {
            Classification::Loss
        } else if overdue_days >= self.doubtful_days {
            Classification::Doubtful
        } else if overdue_days >= self.substandard_days {
            Classification::Substandard
        } else if overdue_days >= self.special_mention_days {
            Classification::SpecialMention
        } else {
            Classification::Normal
        }
    }
}

/// Overdue days at the end of `date` given the earliest unpaid due date: an instalment unpaid at
/// the end of its due date is overdue from the next day.
pub fn overdue_days(next_unpaid_due: Option<BusinessDate>, date: BusinessDate) -> i64 {
    match next_unpaid_due {
        Some(due) if due < date => due.days_until(date),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> BusinessDate {
        BusinessDate::parse(text).expect("date")
    }

    fn yuan(text: &str) -> Fen {
        Fen::parse_yuan(text).expect("amount")
    }

    /// Three monthly instalments of 1,000 principal and 10 interest, due 15 Jan, Feb, Mar.
    fn loan() -> Vec<InstalmentState> {
        ["2017-01-15", "2017-02-15", "2017-03-15"]
            .iter()
            .enumerate()
            .map(|(index, due)| InstalmentState {
                number: index as u32 + 1,
                due_on: date(due),
                principal: yuan("1000"),
                interest: yuan("10"),
                paid_principal: Fen::ZERO,
                paid_interest: Fen::ZERO,
            })
            .collect()
    }

    fn check(on: &str, amount: &str, expected: &[(u32, &str, &str)], settles: bool) {
        let applied = allocate(&loan(), date(on), yuan(amount), Fen::ZERO).expect("applies");
        let got: Vec<(u32, Fen, Fen)> = applied
            .allocations
            .iter()
            .map(|a| (a.number, a.principal, a.interest))
            .collect();
        let want: Vec<(u32, Fen, Fen)> = expected
            .iter()
            .map(|(n, p, i)| (*n, yuan(p), yuan(i)))
            .collect();
        assert_eq!(got, want, "{amount} on {on}");
        assert_eq!(applied.settles, settles);
        assert_eq!(
            applied.principal().fen() + applied.interest().fen(),
            yuan(amount).fen()
        );
    }

    #[test]
    fn allocation_order() {
        // On the due date the first instalment is current.
        check("2017-01-15", "1010", &[(1, "1000", "10")], false);
        check("2017-01-15", "5", &[(1, "0", "5")], false);
        // A month late: overdue interest, overdue principal, then current interest and principal.
        check("2017-02-10", "15", &[(1, "5", "10")], false);
        check(
            "2017-02-10",
            "1015",
            &[(1, "1000", "10"), (2, "0", "5")],
            false,
        );
        check("2017-02-16", "25", &[(1, "5", "10"), (2, "0", "10")], false);
        // Interest of every overdue instalment comes before the principal of any.
        check(
            "2017-02-20",
            "30",
            &[(1, "10", "10"), (2, "0", "10")],
            false,
        );
    }

    #[test]
    fn settlement_pays_principal_and_interest_to_date() {
        // Settlement on 20 Jan: all principal, the overdue January interest and the current
        // (February) instalment's interest; March's interest is not owed.
        check(
            "2017-01-20",
            "3020",
            &[(1, "1000", "10"), (2, "1000", "10"), (3, "1000", "0")],
            true,
        );
        // Paying exactly what is due (January and February) is not a settlement.
        check(
            "2017-01-20",
            "2020",
            &[(1, "1000", "10"), (2, "1000", "10")],
            false,
        );
    }

    #[test]
    fn overpayment_is_refused() {
        let error =
            allocate(&loan(), date("2017-01-15"), yuan("1500"), Fen::ZERO).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "1,500.00 is more than is due on 2017-01-15 (1,010.00) and is not the settlement amount (3,010.00); \
             the excess would be lost, so the payment is refused"
        );
    }

    #[test]
    fn prepayment_pays_what_is_due_then_principal() {
        // On 20 Jan, due: January (overdue, 1,010) and February (current, 1,010) = 2,020;
        // 2,500 leaves 480 of principal ahead. Settlement: 3,000 principal + 20 interest.
        let loan = loan();
        let paid = prepay(&loan, date("2017-01-20"), yuan("2500"), Fen::ZERO).expect("applies");
        let parts: Vec<(u32, Fen, Fen)> = paid
            .applied
            .allocations
            .iter()
            .map(|a| (a.number, a.principal, a.interest))
            .collect();
        assert_eq!(
            parts,
            vec![(1, yuan("1000"), yuan("10")), (2, yuan("1000"), yuan("10"))]
        );
        assert_eq!(paid.ahead, yuan("480"));
        assert!(!paid.applied.settles);
        // No more than is due: an ordinary payment.
        let paid = prepay(&loan, date("2017-01-20"), yuan("15"), Fen::ZERO).expect("applies");
        assert_eq!(paid.ahead, Fen::ZERO);
        assert_eq!(paid.applied.interest(), yuan("10"));
        // Exactly the settlement settles; above it is refused naming it.
        let paid = prepay(&loan, date("2017-01-20"), yuan("3020"), Fen::ZERO).expect("settles");
        assert!(paid.applied.settles);
        let error =
            prepay(&loan, date("2017-01-20"), yuan("3020.01"), Fen::ZERO).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "3,020.01 is more than the settlement amount on 2017-01-20 (3,020.00): a \
             prepayment can repay at most the whole loan"
        );
        assert_eq!(
            PrepaymentOption::parse(" Keep-Instalment"),
            Some(PrepaymentOption::KeepInstalment)
        );
        assert_eq!(
            PrepaymentOption::parse("期限不变"),
            Some(PrepaymentOption::KeepTerm)
        );
        assert_eq!(PrepaymentOption::parse("shorter"), None);
    }

    #[test]
    fn penalty_is_collected_first_and_settles_with_the_loan() {
        // On 20 Feb with 7.35 of penalty outstanding: January overdue (1,010), February
        // overdue (1,010). 7.35 + 10 + 10 = 27.35 pays the penalty and both interests first.
        let penalty = yuan("7.35");
        let paid = allocate(&loan(), date("2017-02-20"), yuan("27.35"), penalty).expect("applies");
        assert_eq!(paid.penalty, penalty);
        assert_eq!(paid.interest(), yuan("20"));
        assert_eq!(paid.principal(), Fen::ZERO);
        // Less than the penalty: all of it goes to the penalty.
        let paid = allocate(&loan(), date("2017-02-20"), yuan("5"), penalty).expect("applies");
        assert_eq!((paid.penalty, paid.allocations.len()), (yuan("5"), 0));
        // On 20 Jan: January overdue, February current. Due: 7.35 + 2 × 1,010 = 2,027.35.
        // Settlement: 7.35 + 3,000 principal + January's and February's interest 20 = 3,027.35.
        let error = allocate(&loan(), date("2017-01-20"), yuan("2100"), penalty).expect_err("no");
        assert_eq!(
            error.to_string(),
            "2,100.00 is more than is due on 2017-01-20 (2,027.35) and is not the settlement \
             amount (3,027.35); the excess would be lost, so the payment is refused"
        );
        let settled = allocate(&loan(), date("2017-01-20"), yuan("3027.35"), penalty).expect("ok");
        assert!(settled.settles);
        assert_eq!(settled.penalty, penalty);
        // A prepayment takes the penalty with what is due before any principal ahead.
        let prepaid = prepay(&loan(), date("2017-01-20"), yuan("2100"), penalty).expect("ok");
        assert_eq!(prepaid.applied.penalty, penalty);
        assert_eq!(prepaid.ahead, yuan("72.65"));
    }

    #[test]
    fn penalty_runs_on_overdue_principal_after_any_grace() {
        // January's 1,000 is unpaid: penalised from 16 January; with 3 days' grace, from 19th.
        let loan = loan();
        assert_eq!(penalised_principal(&loan, date("2017-01-15"), 0), Fen::ZERO);
        assert_eq!(
            penalised_principal(&loan, date("2017-01-16"), 0),
            yuan("1000")
        );
        assert_eq!(penalised_principal(&loan, date("2017-01-18"), 3), Fen::ZERO);
        assert_eq!(
            penalised_principal(&loan, date("2017-01-19"), 3),
            yuan("1000")
        );
        assert_eq!(
            penalised_principal(&loan, date("2017-02-16"), 0),
            yuan("2000")
        );
        // By hand: 100,000 × 6 % × 1.5 / 360 = 25.00 a day; 1,000 × 4.75 % × 1.5 / 360 =
        // 0.19791… → 0.20.
        let six = Rate::parse_percent("6").expect("rate");
        assert_eq!(
            daily_penalty(yuan("100000"), six, 500_000, 360),
            Some(yuan("25.00"))
        );
        let rate = Rate::parse_percent("4.75").expect("rate");
        assert_eq!(
            daily_penalty(yuan("1000"), rate, 500_000, 360),
            Some(yuan("0.20"))
        );
        assert_eq!(
            daily_penalty(Fen::ZERO, rate, 500_000, 360),
            Some(Fen::ZERO)
        );
    }

    #[test]
    fn overdue_days_and_classes() {
        let thresholds = Thresholds::default();
        for (due, on, days, class) in [
            ("2017-01-15", "2017-01-15", 0, Classification::Normal),
            (
                "2017-01-15",
                "2017-01-16",
                1,
                Classification::SpecialMention,
            ),
            (
                "2017-01-15",
                "2017-04-15",
                90,
                Classification::SpecialMention,
            ),
            ("2017-01-15", "2017-04-16", 91, Classification::Substandard),
            ("2017-01-15", "2017-07-15", 181, Classification::Doubtful),
            ("2017-01-15", "2018-01-11", 361, Classification::Loss),
        ] {
            let overdue = overdue_days(Some(date(due)), date(on));
            assert_eq!(overdue, days, "due {due} on {on}");
            assert_eq!(thresholds.classify(overdue), class, "due {due} on {on}");
        }
        assert_eq!(overdue_days(None, date("2017-01-01")), 0);
    }
}
