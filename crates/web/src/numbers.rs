//! Numbers as people read them on the pages: money in 万元 or 亿元 with thousands separators
//! (the exact amount in a `title=` hover), counts with separators and their unit (户, 人, 个, 笔),
//! percentages with two decimals. Only the pages use this: files and JSON keep exact fen.
//!
//! Amounts arrive as the exact decimal text the API gives (`"199912600000.00"` yuan) and are
//! turned into integer fen first, so no float ever touches money.

use crate::i18n::Lang;

/// Hundredths of a unit (fen of a yuan, hundredths of a percent) from decimal text with at
/// most two decimals: `"-12.3"` → -1230. `None` for anything else.
pub fn hundredths(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || fraction.len() > 2 || !plain(whole) || !plain(fraction) {
        return None;
    }
    let fraction = format!("{fraction:0<2}");
    let value = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(fraction.parse::<i64>().ok()?)?;
    Some(if negative { -value } else { value })
}

/// Digits with a comma every three: 380300 → "380,300".
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Hundredths as grouped text with two decimals: -123456 → "-1,234.56".
pub fn two_decimals(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let magnitude = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", grouped(magnitude / 100), magnitude % 100)
}

/// `value / divisor` rounded half away from zero, in hundredths of the result.
fn scaled(fen: i64, divisor: i64) -> i64 {
    let scaled = i128::from(fen) * 100;
    let divisor = i128::from(divisor);
    let half = divisor / 2;
    let rounded = if scaled < 0 {
        (scaled - half) / divisor
    } else {
        (scaled + half) / divisor
    };
    rounded as i64
}

const FEN_PER_WAN: i64 = 1_000_000;
const FEN_PER_YI: i64 = 10_000_000_000;

/// Money as a person reads it: 亿元 from one hundred million yuan, 万元 from ten thousand,
/// yuan below, two decimals and separators ("3,599.60 亿元", "5.00 万元", "850.00 元").
pub fn money(lang: Lang, fen: i64) -> String {
    let (value, unit) = match fen.unsigned_abs() {
        size if size >= FEN_PER_YI as u64 => (scaled(fen, FEN_PER_YI), lang.t("unit.yi_yuan")),
        size if size >= FEN_PER_WAN as u64 => (scaled(fen, FEN_PER_WAN), lang.t("unit.wan_yuan")),
        _ => (fen, lang.t("unit.yuan")),
    };
    format!("{} {unit}", two_decimals(value))
}

/// 万元 with two decimals and no separators, for chart data: 123,428.57 yuan → "12.34".
pub fn wan_plain(fen: i64) -> String {
    let hundredths = scaled(fen, FEN_PER_WAN);
    let sign = if hundredths < 0 { "-" } else { "" };
    let magnitude = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// The exact amount, for a hover or a detail: "199,912,600,000.00 元".
pub fn money_exact(lang: Lang, fen: i64) -> String {
    format!("{} {}", two_decimals(fen), lang.t("unit.yuan"))
}

/// [`money`] of decimal yuan text; the text itself when it is not an amount.
pub fn money_text(lang: Lang, yuan: &str) -> String {
    hundredths(yuan).map_or_else(|| yuan.to_string(), |fen| money(lang, fen))
}

/// [`money_exact`] of decimal yuan text; the text itself when it is not an amount.
pub fn money_exact_text(lang: Lang, yuan: &str) -> String {
    hundredths(yuan).map_or_else(|| yuan.to_string(), |fen| money_exact(lang, fen))
}

/// What a count counts, for its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Households,
    People,
    Loans,
    Items,
}

impl Counted {
    fn unit_key(self) -> &'static str {
        match self {
            Counted::Households => "unit.households",
            Counted::People => "unit.people",
            Counted::Loans => "unit.loans",
            Counted::Items => "unit.items",
        }
    }

    /// What an indicator of unit `count` counts, from its code (`poor_population` counts
    /// people, `credit_lines_households` households).
    pub fn of_indicator(code: &str) -> Counted {
        if code.contains("population") || code.contains("people") || code.contains("persons") {
            Counted::People
        } else if code.contains("households") {
            Counted::Households
        } else if code.starts_with("loans_count") || code.ends_with("_loans") {
            Counted::Loans
        } else {
            Counted::Items
        }
    }
}

/// A whole number a template counts with, however it is typed.
pub trait AsCount {
    fn as_count(&self) -> i64;
}

macro_rules! as_count {
    ($($t:ty),*) => {$(
        impl AsCount for $t {
            fn as_count(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
as_count!(i64, u64, usize, u32, i32);

impl<T: AsCount> AsCount for &T {
    fn as_count(&self) -> i64 {
        (**self).as_count()
    }
}

/// A count with separators and its unit: "380,300 人", "5,086 households".
pub fn count(lang: Lang, value: i64, counted: Counted) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let text = format!(
        "{sign}{} {}",
        grouped(value.unsigned_abs()),
        lang.t(counted.unit_key())
    );
    text.trim_end().to_string()
}

/// A percentage with two decimals from decimal text: "5.6612" → "5.66 %" (rounded half away
/// from zero); the text itself when it is not a number.
pub fn percent_text(text: &str) -> String {
    match rounded_hundredths(text) {
        Some(value) => format!("{} %", two_decimals(value)),
        None => text.to_string(),
    }
}

/// Decimal text of any precision in hundredths, rounded half away from zero.
fn rounded_hundredths(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() <= 2 {
        return hundredths(text);
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kept = hundredths(&format!("{whole}.{}", &fraction[..2]))?;
    let up = fraction.as_bytes()[2] >= b'5';
    let away = if whole.starts_with('-') { -1 } else { 1 };
    Some(if up { kept + away } else { kept })
}

/// An instant stored as RFC 3339 (UTC) in China time, to the minute: "2026-12-07 20:30";
/// other text as it is.
pub fn china_time(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(instant) => {
            let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset");
            instant
                .with_timezone(&china)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        }
        Err(_) => text.to_string(),
    }
}

/// An indicator's value as text for its unit (`yuan`, `percent`, `pp`, `times`, `count`).
pub fn indicator_value(lang: Lang, code: &str, unit: &str, text: &str) -> String {
    match unit {
        "yuan" => money_text(lang, text),
        "percent" => percent_text(text),
        "pp" => format!(
            "{} {}",
            percent_text(text).trim_end_matches(" %"),
            lang.t("unit.pp")
        ),
        "times" => format!(
            "{} {}",
            percent_text(text).trim_end_matches(" %"),
            lang.t("unit.times")
        ),
        _ => match text.trim().parse::<i64>() {
            Ok(value) => count(lang, value, Counted::of_indicator(code)),
            Err(_) => text.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str, format: impl Fn(&str) -> String) {
        assert_eq!(format(input), expect, "{input}");
    }

    #[test]
    fn money_in_wan_or_yi_with_separators() {
        let zh = |text: &str| money_text(Lang::Zh, text);
        check("199912600000.00", "1,999.13 亿元", zh);
        check("35996000000", "359.96 亿元", zh);
        check("100000000.00", "1.00 亿元", zh);
        check("99999999.99", "10,000.00 万元", zh);
        check("50000.00", "5.00 万元", zh);
        check("10000", "1.00 万元", zh);
        check("9999.99", "9,999.99 元", zh);
        check("850.5", "850.50 元", zh);
        check("0.00", "0.00 元", zh);
        check("-12345.00", "-1.23 万元", zh);
        check("-15000.00", "-1.50 万元", zh);
        check("not money", "not money", zh);
        let en = |text: &str| money_text(Lang::En, text);
        check("35996000000", "359.96 100m yuan", en);
        check("50000.00", "5.00 10k yuan", en);
    }

    #[test]
    fn exact_money_keeps_every_fen() {
        let exact = |text: &str| money_exact_text(Lang::Zh, text);
        check("199912600000.00", "199,912,600,000.00 元", exact);
        check("1492.94", "1,492.94 元", exact);
        check("-0.01", "-0.01 元", exact);
        check("12.345", "12.345", exact);
    }

    #[test]
    fn hundredths_parse_only_plain_decimals() {
        let parse = |text: &str| format!("{:?}", hundredths(text));
        check("12.3", "Some(1230)", parse);
        check("-0.05", "Some(-5)", parse);
        check("7", "Some(700)", parse);
        check("1.234", "None", parse);
        check("1e5", "None", parse);
        check("", "None", parse);
        check("-", "None", parse);
        check("+1", "None", parse);
        check("99999999999999999999", "None", parse);
    }

    #[test]
    fn counts_with_separators_and_units() {
        let indicator = |code: &str| indicator_value(Lang::Zh, code, "count", "380300");
        check("poor_population", "380,300 人", indicator);
        check("people_lifted_by_enterprises", "380,300 人", indicator);
        check("credit_lines_households", "380,300 户", indicator);
        check("townships_total", "380,300 个", indicator);
        check("breeding_bases", "380,300 个", indicator);
        check("microcredit_loans", "380,300 笔", indicator);
        let english = |text: &str| count(Lang::En, text.parse().expect("a count"), Counted::People);
        check("1234567", "1,234,567 people", english);
        check("0", "0 people", english);
        check("-1000", "-1,000 people", english);
    }

    #[test]
    fn instants_in_china_time() {
        check("2026-12-07T12:30:28.423Z", "2026-12-07 20:30", china_time);
        check("2026-12-07T16:00:00Z", "2026-12-08 00:00", china_time);
        check("2017-06-30T08:00:00+08:00", "2017-06-30 08:00", china_time);
        check("yesterday", "yesterday", china_time);
    }

    #[test]
    fn percentages_two_decimals() {
        check("5.66", "5.66 %", percent_text);
        check("12.031746031746031746", "12.03 %", percent_text);
        check("10.985", "10.99 %", percent_text);
        check("-0.005", "-0.01 %", percent_text);
        check("100", "100.00 %", percent_text);
        check("1234.5", "1,234.50 %", percent_text);
        check("n/a", "n/a", percent_text);
        let pp = |text: &str| indicator_value(Lang::Zh, "loans_total_growth_gap_pp", "pp", text);
        check("1.05", "1.05 个百分点", pp);
        let yuan = |text: &str| indicator_value(Lang::Zh, "loans_total_balance", "yuan", text);
        check("35996000000.00", "359.96 亿元", yuan);
    }

    #[test]
    fn chart_data_in_wan_yuan() {
        assert_eq!(wan_plain(12_342_857), "12.34");
        assert_eq!(wan_plain(1_234_285_800), "1234.29");
        assert_eq!(wan_plain(0), "0.00");
        assert_eq!(wan_plain(-500_000), "-0.50");
    }
}
