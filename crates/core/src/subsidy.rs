//! Interest subsidy (贴息) of a loan over a period: the outstanding principal of each day the
//! loan was not overdue, at the subsidy rate (never above the loan's own rate), over the day
//! count basis — summed exactly and rounded half-up to the fen once. Never on overdue or penalty
//! interest: overdue days simply earn nothing.

use crate::{BusinessDate, Fen, Rate};

/// The principal outstanding at the end of each day from `from` (inclusive) to `to` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub from: BusinessDate,
    pub to: BusinessDate,
    pub principal: Fen,
}

/// An overdue spell `[from, to)`; `to` is `None` while it lasts.
pub type Spell = (BusinessDate, Option<BusinessDate>);

/// What a loan earns over a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subsidy {
    /// Days with principal outstanding and not overdue.
    pub days: i64,
    pub amount: Fen,
}

/// The subsidy over the days of `segments`, leaving out overdue days, at `rate` over `basis`
/// days a year (360 for ACT/360). `None` on overflow.
pub fn subsidy(segments: &[Segment], overdue: &[Spell], rate: Rate, basis: i64) -> Option<Subsidy> {
    let mut days = 0i64;
    let mut principal_days: i128 = 0;
    for segment in segments {
        if !segment.principal.is_positive() {
            continue;
        }
        let eligible = eligible_days(segment.from, segment.to, overdue);
        days += eligible;
        principal_days = principal_days
            .checked_add(i128::from(segment.principal.fen()) * i128::from(eligible))?;
    }
    // principal × days × ppm / (1,000,000 × basis), half up, in exact integers.
    let numerator = principal_days.checked_mul(i128::from(rate.ppm()))?;
    let denominator = 1_000_000i128 * i128::from(basis);
    let amount = (numerator * 2 + denominator) / (2 * denominator);
    Some(Subsidy {
        days,
        amount: Fen::new(i64::try_from(amount).ok()?),
    })
}

/// Days of `[from, to)` outside every overdue spell.
fn eligible_days(from: BusinessDate, to: BusinessDate, overdue: &[Spell]) -> i64 {
    let total = from.days_until(to).max(0);
    let excluded: i64 = overdue
        .iter()
        .map(|(spell_from, spell_to)| {
            let start = (*spell_from).max(from);
            let end = spell_to.map_or(to, |t| t.min(to));
            start.days_until(end).max(0)
        })
        .sum();
    total - excluded
}

/// The rate the fund pays: the subsidy rate, capped at the loan's own rate.
pub fn capped_rate(subsidy_rate: Rate, loan_rate: Rate) -> Rate {
    subsidy_rate.min(loan_rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> BusinessDate {
        BusinessDate::parse(text).expect("date")
    }

    fn segment(from: &str, to: &str, yuan: i64) -> Segment {
        Segment {
            from: date(from),
            to: date(to),
            principal: Fen::from_yuan(yuan).expect("amount"),
        }
    }

    #[test]
    fn a_quarter_at_act_360() {
        // 50,000 for the 91 days of 2017Q2 at 4.75 %: 50,000 × 0.0475 × 91 / 360 = 600.347… → 600.35.
        let result = subsidy(
            &[segment("2017-04-01", "2017-07-01", 50_000)],
            &[],
            Rate::from_ppm(47_500),
            360,
        );
        assert_eq!(
            result,
            Some(Subsidy {
                days: 91,
                amount: Fen::new(60_035)
            })
        );
    }

    #[test]
    fn overdue_days_earn_nothing() {
        // Overdue 16 April – 17 May (31 days): 60 days left. 50,000 × 0.0475 × 60 / 360 = 395.83.
        let spells = [(date("2017-04-16"), Some(date("2017-05-17")))];
        let result = subsidy(
            &[segment("2017-04-01", "2017-07-01", 50_000)],
            &spells,
            Rate::from_ppm(47_500),
            360,
        );
        assert_eq!(
            result,
            Some(Subsidy {
                days: 60,
                amount: Fen::new(39_583)
            })
        );
        // A spell still open at the end of the period.
        let spells = [(date("2017-06-21"), None)];
        let result = subsidy(
            &[segment("2017-04-01", "2017-07-01", 50_000)],
            &spells,
            Rate::from_ppm(47_500),
            360,
        );
        assert_eq!(result.map(|s| s.days), Some(81));
    }

    #[test]
    fn principal_changes_and_rounding_once() {
        // 10,000 for 30 days then 5,000 for 61 days at 4.35 %: (300,000 + 305,000) × 0.0435 / 360
        // = 73.1041… → 73.10 (rounded once, not per segment).
        let segments = [
            segment("2017-04-01", "2017-05-01", 10_000),
            segment("2017-05-01", "2017-07-01", 5_000),
        ];
        let result = subsidy(&segments, &[], Rate::from_ppm(43_500), 360);
        assert_eq!(
            result,
            Some(Subsidy {
                days: 91,
                amount: Fen::new(7_310)
            })
        );
    }

    #[test]
    fn the_rate_is_capped_at_the_loans() {
        assert_eq!(
            capped_rate(Rate::from_ppm(47_500), Rate::from_ppm(43_500)),
            Rate::from_ppm(43_500)
        );
        assert_eq!(
            capped_rate(Rate::from_ppm(30_000), Rate::from_ppm(43_500)),
            Rate::from_ppm(30_000)
        );
    }
}
