//! The pure hot paths of `fupin-core`: schedules, identifier checks, money and rate parsing,
//! repayment allocation and the indicator formula language.
//!
//! `cargo bench -p fupin-core` (divan). Every input is built once outside the timed closure;
//! `black_box` keeps the optimiser from seeing through it. Baselines (the same work done the
//! naive way) sit beside the case they are a baseline for, so ratios come from one run.

use std::hint::black_box;

use fupin_core::formula::{Expr, Leaf};
use fupin_core::repayment::{self, InstalmentState};
use fupin_core::schedule::{self, DayCount, LoanTerms, RepaymentMethod};
use fupin_core::{BusinessDate, CreditCode, Fen, Rate, ResidentId};
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

fn date(year: i32, month: u32, day: u32) -> BusinessDate {
    BusinessDate::from_ymd(year, month, day).expect("valid date")
}

fn terms(months: u32, method: RepaymentMethod) -> LoanTerms {
    LoanTerms {
        principal: Fen::new(5_000_000),
        rate: Rate::parse_percent("4.75").expect("rate"),
        term_months: months,
        method,
        start: date(2017, 3, 15),
        day_count: DayCount::Act360,
        grace_months: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// schedules

mod schedules {
    use super::*;

    /// A micro-credit loan: 50,000 yuan, 4.75 %, 36 months, equal instalments (等额本息).
    #[divan::bench(args = [36, 360])]
    fn equal_instalment(bencher: divan::Bencher, months: u32) {
        let terms = terms(months, RepaymentMethod::EqualInstalment);
        bencher
            .counter(divan::counter::ItemsCount::new(months))
            .bench(|| schedule::schedule(black_box(&terms)).expect("schedule"));
    }

    /// Baseline: the same annuity in `f64` (what a spreadsheet does), without exactness,
    /// due dates or rounding rules — the cost floor of "just the arithmetic".
    #[divan::bench(args = [36, 360])]
    fn equal_instalment_f64_baseline(bencher: divan::Bencher, months: u32) {
        bencher
            .counter(divan::counter::ItemsCount::new(months))
            .bench(|| {
                let (principal, rate, n) = (black_box(50_000.0f64), black_box(0.0475f64), months);
                let r = rate / 12.0;
                let growth = (1.0 + r).powi(n as i32);
                let payment = principal * r * growth / (growth - 1.0);
                let mut remaining = principal;
                let mut rows = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let interest = (remaining * r * 100.0).round() / 100.0;
                    let repaid = payment - interest;
                    remaining -= repaid;
                    rows.push((repaid, interest, remaining));
                }
                rows
            });
    }

    #[divan::bench(args = [36, 360])]
    fn equal_principal(bencher: divan::Bencher, months: u32) {
        let terms = terms(months, RepaymentMethod::EqualPrincipal);
        bencher.bench(|| schedule::schedule(black_box(&terms)).expect("schedule"));
    }

    #[divan::bench(args = [36, 360])]
    fn monthly_interest(bencher: divan::Bencher, months: u32) {
        let terms = terms(months, RepaymentMethod::MonthlyInterest);
        bencher.bench(|| schedule::schedule(black_box(&terms)).expect("schedule"));
    }
}

// ---------------------------------------------------------------------------------------------
// identifiers

/// Valid resident ID numbers of Shangrao (GB 11643), distinct birth dates and sequences.
fn resident_ids(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let birth = date(1950, 1, 1)
                .add_days((i as i64 * 37) % 18_000)
                .expect("date");
            let first17 = format!(
                "361128{:04}{:02}{:02}{:03}",
                birth.year(),
                birth.month(),
                birth.day(),
                i % 1000
            );
            let check = fupin_core::resident_id::check_character(&first17).expect("digits");
            format!("{first17}{check}")
        })
        .collect()
}

/// Valid unified social credit codes (GB 32100).
fn credit_codes(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let first17 = format!("9136112{:02}{:08}", i % 100, i);
            let first17 = &first17[..17];
            let check = fupin_core::credit_code::check_character(first17).expect("alphabet");
            format!("{first17}{check}")
        })
        .collect()
}

mod identifiers {
    use super::*;

    const N: usize = 1_000;

    /// Full check: length, digits, check character, birth date not after "today".
    #[divan::bench]
    fn resident_id_parse(bencher: divan::Bencher) {
        let ids = resident_ids(N);
        let today = date(2017, 6, 30);
        assert!(ids.iter().all(|id| ResidentId::parse(id, today).is_ok()));
        bencher
            .counter(divan::counter::ItemsCount::new(N))
            .bench(|| {
                ids.iter()
                    .filter(|id| ResidentId::parse(black_box(id), today).is_ok())
                    .count()
            });
    }

    /// Baseline: length and ASCII-digit shape only (what a bare `CHECK (length(x) = 18)`
    /// would accept).
    #[divan::bench]
    fn resident_id_shape_only_baseline(bencher: divan::Bencher) {
        let ids = resident_ids(N);
        bencher
            .counter(divan::counter::ItemsCount::new(N))
            .bench(|| {
                ids.iter()
                    .filter(|id| {
                        let bytes = black_box(id).as_bytes();
                        bytes.len() == 18
                            && bytes[..17].iter().all(u8::is_ascii_digit)
                            && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
                    })
                    .count()
            });
    }

    #[divan::bench]
    fn credit_code_parse(bencher: divan::Bencher) {
        let codes = credit_codes(N);
        assert!(codes.iter().all(|code| CreditCode::parse(code).is_ok()));
        bencher
            .counter(divan::counter::ItemsCount::new(N))
            .bench(|| {
                codes
                    .iter()
                    .filter(|code| CreditCode::parse(black_box(code)).is_ok())
                    .count()
            });
    }
}

// ---------------------------------------------------------------------------------------------
// cell values

mod values {
    use super::*;

    const AMOUNTS: [&str; 8] = [
        "50000",
        "50,000.00",
        "1234.5",
        "0.01",
        "987654.32",
        "3,000",
        "12.30",
        "45000.00",
    ];

    #[divan::bench]
    fn money_parse_yuan(bencher: divan::Bencher) {
        bencher
            .counter(divan::counter::ItemsCount::new(AMOUNTS.len()))
            .bench(|| {
                AMOUNTS
                    .iter()
                    .map(|text| Fen::parse_yuan(black_box(text)).expect("amount").fen())
                    .sum::<i64>()
            });
    }

    #[divan::bench]
    fn rate_parse_percent(bencher: divan::Bencher) {
        let rates = ["4.35", "4.75%", "5.225", "0", "12.5"];
        bencher
            .counter(divan::counter::ItemsCount::new(rates.len()))
            .bench(|| {
                rates
                    .iter()
                    .map(|text| Rate::parse_percent(black_box(text)).expect("rate").ppm())
                    .sum::<i64>()
            });
    }

    #[divan::bench]
    fn date_parse(bencher: divan::Bencher) {
        let dates = ["2017-06-30", "2017/6/30", "20170630", "2016-12-31"];
        bencher
            .counter(divan::counter::ItemsCount::new(dates.len()))
            .bench(|| {
                dates
                    .iter()
                    .map(|text| BusinessDate::parse(black_box(text)).expect("date").day())
                    .sum::<u32>()
            });
    }
}

// ---------------------------------------------------------------------------------------------
// repayment allocation

mod allocation {
    use super::*;

    fn states(months: u32) -> Vec<InstalmentState> {
        schedule::schedule(&terms(months, RepaymentMethod::EqualInstalment))
            .expect("schedule")
            .into_iter()
            .map(|i| InstalmentState {
                number: i.number,
                due_on: i.due_date,
                principal: i.principal,
                interest: i.interest,
                paid_principal: Fen::ZERO,
                paid_interest: Fen::ZERO,
            })
            .collect()
    }

    /// One monthly payment on its due date, against a 36- or 360-instalment schedule.
    #[divan::bench(args = [36, 360])]
    fn allocate_on_due_date(bencher: divan::Bencher, months: u32) {
        let states = states(months);
        let first = states[0].clone();
        let amount = Fen::new(first.principal.fen() + first.interest.fen());
        bencher.bench(|| {
            repayment::allocate(
                black_box(&states),
                first.due_on,
                black_box(amount),
                Fen::ZERO,
            )
            .expect("allocate")
        });
    }
}

// ---------------------------------------------------------------------------------------------
// indicator formulas

/// Formulas of the shapes the built-in indicators use (balances, increases, growth rates,
/// gaps to the city, coverage shares).
const FORMULAS: [&str; 6] = [
    "ledger.balance[loan_principal:poverty_microcredit%]",
    "returns.element[loans_total] - base(returns.element[loans_total])",
    "pct(returns.element[loans_total] - base(returns.element[loans_total]), base(returns.element[loans_total]))",
    "pct(returns.element[loans_total] - base(returns.element[loans_total]), base(returns.element[loans_total])) - city(pct(returns.element[loans_total] - base(returns.element[loans_total]), base(returns.element[loans_total])))",
    "pct(territory.villages_covered, territory.villages_total)",
    "pct(loans.npl_balance, ledger.balance[loan_principal:%])",
];

mod formulas {
    use super::*;

    #[divan::bench]
    fn parse(bencher: divan::Bencher) {
        bencher
            .counter(divan::counter::ItemsCount::new(FORMULAS.len()))
            .bench(|| {
                FORMULAS
                    .iter()
                    .map(|text| Expr::parse(black_box(text)).expect("formula"))
                    .collect::<Vec<_>>()
            });
    }

    /// Lists the leaves (what to fetch) and evaluates with fetched values: the pure part of
    /// an indicator evaluation, once the database has answered.
    #[divan::bench]
    fn leaves_and_evaluate(bencher: divan::Bencher) {
        let parsed: Vec<Expr> = FORMULAS
            .iter()
            .map(|text| Expr::parse(text).expect("formula"))
            .collect();
        let value_of = |leaf: &Leaf| {
            let mut value = Decimal::new(3_599_600_000_000, 2);
            if leaf.context.at_base {
                value -= Decimal::new(386_600_000_000, 2);
            }
            if leaf.context.for_city {
                value *= Decimal::from(3);
            }
            Some(value)
        };
        bencher
            .counter(divan::counter::ItemsCount::new(parsed.len()))
            .bench(|| {
                parsed
                    .iter()
                    .map(|expr| {
                        let leaves = black_box(expr).leaves();
                        black_box(leaves.len());
                        expr.evaluate(&value_of)
                    })
                    .collect::<Vec<_>>()
            });
    }

    /// Parse and evaluate every time (no cache of parsed formulas).
    #[divan::bench]
    fn parse_and_evaluate(bencher: divan::Bencher) {
        let value_of = |_: &Leaf| Some(Decimal::new(12_345_678, 2));
        bencher
            .counter(divan::counter::ItemsCount::new(FORMULAS.len()))
            .bench(|| {
                FORMULAS
                    .iter()
                    .map(|text| {
                        Expr::parse(black_box(text))
                            .expect("formula")
                            .evaluate(&value_of)
                    })
                    .collect::<Vec<_>>()
            });
    }
}
