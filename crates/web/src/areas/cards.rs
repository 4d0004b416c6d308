//! The dashboard's summary cards: the figures the regulator reports (the seed article's), each
//! with its change against the previous month-end and the beginning of the year. Three cached
//! evaluations per page at most: the page's date (shared with the table), the previous
//! month-end and the last day of the previous year, the latter two for the cards' codes only.

use fupin_app::fupin_core::BusinessDate;
use fupin_app::indicators::{self, Request, Value};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::Result;
use crate::i18n::Lang;
use crate::numbers;

/// The cards' indicators, in the order shown.
pub const CARD_CODES: &[&str] = &[
    "loans_total_balance",
    "loans_total_growth",
    "loans_total_growth_gap_pp",
    "poor_population",
    "townships_assigned_share",
    "village_service_coverage",
    "households_rated_share",
    "households_with_credit_line_share",
    "microcredit_balance",
    "subsidy_paid",
    "risk_fund_balance",
];

/// One card as the page shows it.
#[derive(Clone, Debug)]
pub struct Card {
    pub code: String,
    pub title: String,
    pub value: String,
    /// The exact value, on a hover.
    pub exact: String,
    /// Against the previous month-end, signed ("+1.20 亿元"), or "—".
    pub vs_month: String,
    /// Against the beginning of the year, signed, or "—".
    pub vs_year: String,
    /// The previous month-end and the beginning of the year (YYYY-MM-DD).
    pub month_date: String,
    pub year_date: String,
    /// A figure published elsewhere, in words, when there is one.
    pub reported: String,
    /// The published figure differs from the data's.
    pub flagged: bool,
}

/// The last day of the month before `as_of`'s month.
pub fn previous_month_end(as_of: BusinessDate) -> Option<BusinessDate> {
    let (year, month) = match as_of.month() {
        1 => (as_of.year() - 1, 12),
        month => (as_of.year(), month - 1),
    };
    BusinessDate::from_ymd(year, month, 1).map(|d| d.end_of_month())
}

/// The beginning of the year as Chinese statistics count it: the last day of the previous year.
pub fn year_start(as_of: BusinessDate) -> Option<BusinessDate> {
    BusinessDate::from_ymd(as_of.year() - 1, 12, 31)
}

/// The cards for `request` (its date and scope), from `values` (already evaluated at its date)
/// and two more cached evaluations.
pub async fn cards(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    request: &Request,
    values: &[Value],
) -> Result<Vec<Card>> {
    let codes: Vec<String> = CARD_CODES.iter().map(|c| c.to_string()).collect();
    let mut earlier = Vec::new();
    for date in [previous_month_end(request.as_of), year_start(request.as_of)] {
        let Some(date) = date else {
            earlier.push((String::new(), Vec::new()));
            continue;
        };
        let at = Request {
            as_of: date,
            base: None,
            codes: Some(codes.clone()),
            ..request.clone()
        };
        let found =
            indicators::evaluate_cached(&state.db, &user.ctx, &at, &state.indicator_cache).await?;
        earlier.push((date.to_string(), found.iter().cloned().collect::<Vec<_>>()));
    }
    let text_of = |values: &[Value], code: &str| -> Option<String> {
        values
            .iter()
            .find(|v| v.indicator.code == code)
            .and_then(Value::text)
    };
    let mut cards = Vec::new();
    for code in CARD_CODES {
        let Some(value) = values.iter().find(|v| v.indicator.code == *code) else {
            continue;
        };
        let unit = value.indicator.unit.as_str();
        let now = value.text();
        let change = |then: Option<String>| match (&now, then) {
            (Some(now), Some(then)) => delta(lang, code, unit, now, &then),
            _ => "—".to_string(),
        };
        cards.push(Card {
            code: code.to_string(),
            title: match lang {
                Lang::Zh => value.indicator.name.clone(),
                Lang::En => value.indicator.name_en.clone(),
            },
            value: now.as_deref().map_or_else(
                || "—".to_string(),
                |t| numbers::indicator_value(lang, code, unit, t),
            ),
            exact: now
                .as_deref()
                .map(|t| match unit {
                    "yuan" => numbers::money_exact_text(lang, t),
                    _ => t.to_string(),
                })
                .unwrap_or_default(),
            vs_month: change(text_of(&earlier[0].1, code)),
            vs_year: change(text_of(&earlier[1].1, code)),
            month_date: earlier[0].0.clone(),
            year_date: earlier[1].0.clone(),
            reported: value
                .reported
                .as_ref()
                .map(|r| numbers::indicator_value(lang, code, &r.unit, &r.value))
                .unwrap_or_default(),
            flagged: value.reported.as_ref().is_some_and(|r| r.differs),
        });
    }
    Ok(cards)
}

/// `now - then` in the indicator's unit, signed: money in 万元/亿元, percentages in percentage
/// points, counts with their unit.
fn delta(lang: Lang, code: &str, unit: &str, now: &str, then: &str) -> String {
    let sign = |value: i64| if value > 0 { "+" } else { "" };
    match unit {
        "count" => match (now.trim().parse::<i64>(), then.trim().parse::<i64>()) {
            (Ok(now), Ok(then)) => {
                let difference = now - then;
                format!(
                    "{}{}",
                    sign(difference),
                    numbers::count(lang, difference, numbers::Counted::of_indicator(code))
                )
            }
            _ => "—".to_string(),
        },
        _ => match (numbers::hundredths(now), numbers::hundredths(then)) {
            (Some(now), Some(then)) => {
                let difference = now - then;
                match unit {
                    "yuan" => format!("{}{}", sign(difference), numbers::money(lang, difference)),
                    "percent" | "pp" => format!(
                        "{}{} {}",
                        sign(difference),
                        numbers::two_decimals(difference),
                        lang.t("unit.pp")
                    ),
                    _ => format!("{}{}", sign(difference), numbers::two_decimals(difference)),
                }
            }
            _ => "—".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> BusinessDate {
        BusinessDate::parse(text).expect("date")
    }

    #[test]
    fn earlier_dates_are_the_previous_month_end_and_the_year_end_before() {
        assert_eq!(
            previous_month_end(date("2017-06-30")),
            Some(date("2017-05-31"))
        );
        assert_eq!(
            previous_month_end(date("2017-01-15")),
            Some(date("2016-12-31"))
        );
        assert_eq!(
            previous_month_end(date("2017-03-10")),
            Some(date("2017-02-28"))
        );
        assert_eq!(year_start(date("2017-06-30")), Some(date("2016-12-31")));
    }

    #[test]
    fn changes_are_signed_in_the_unit() {
        assert_eq!(
            delta(Lang::Zh, "x", "yuan", "300000000.00", "100000000.00"),
            "+2.00 亿元"
        );
        assert_eq!(
            delta(Lang::Zh, "x", "percent", "10.50", "12.00"),
            "-1.50 个百分点"
        );
        assert_eq!(
            delta(Lang::Zh, "poor_population", "count", "100", "90"),
            "+10 人"
        );
    }
}
