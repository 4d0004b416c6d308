//! `fupin schedule`, end to end. It needs no database: the URL given points into a directory
//! that does not exist, so any attempt to open one would fail.

use std::process::Output;

use fupin_core::Fen;

mod common;
use common::fupin;

const NO_DATABASE: &str = "sqlite:/nonexistent-fupin-dir/never.db";

/// The issue's example: 50,000 yuan at 4.75 % for 36 months, equal instalments.
const EXAMPLE: [&str; 11] = [
    "schedule",
    "--principal",
    "50000",
    "--rate",
    "4.75",
    "--months",
    "36",
    "--method",
    "equal-instalment",
    "--start",
    "2017-03-15",
];

fn run(extra: &[&str]) -> Output {
    let args: Vec<&str> = EXAMPLE.iter().chain(extra).copied().collect();
    fupin(NO_DATABASE, &args)
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn yuan(value: &serde_json::Value) -> Fen {
    Fen::parse_yuan(value.as_str().expect("amounts are strings")).expect("an amount")
}

#[test]
fn the_issue_example_as_json() {
    let json = stdout(&run(&["--day-count", "act/360", "--format", "json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("a JSON array");
    assert_eq!(rows.len(), 36);
    let first = &rows[0];
    assert_eq!(first["number"], "1");
    assert_eq!(first["due_date"], "2017-04-15");
    assert_eq!(first["days"], "31");
    assert_eq!(first["principal"], "1295.02");
    assert_eq!(first["interest"], "197.92");
    assert_eq!(first["total"], "1492.94");
    assert_eq!(first["remaining_principal"], "48704.98");
    let last = &rows[35];
    assert_eq!(last["due_date"], "2020-03-15");
    assert_eq!(last["total"], "1492.92");
    assert_eq!(last["remaining_principal"], "0.00");
    let principal = Fen::checked_sum(rows.iter().map(|row| yuan(&row["principal"])));
    assert_eq!(principal, Fen::parse_yuan("50000.00").ok());
    let interest = Fen::checked_sum(rows.iter().map(|row| yuan(&row["interest"])));
    assert_eq!(interest, Fen::parse_yuan("3745.82").ok());
}

#[test]
fn table_ends_with_totals_and_csv_has_plain_amounts() {
    let table = stdout(&run(&[]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + 36 + 1, "{table}");
    assert!(lines[0].starts_with("number  due_date"), "{table}");
    assert!(lines[1].contains("48,704.98"), "{table}");
    let totals: Vec<&str> = lines[37].split_whitespace().collect();
    assert_eq!(
        totals,
        ["total", "1096", "50,000.00", "3,745.82", "53,745.82"],
        "{table}"
    );

    let csv = stdout(&run(&["--format", "csv"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 36, "{csv}");
    assert_eq!(
        lines[0],
        "number,due_date,days,principal,interest,total,remaining_principal"
    );
    assert_eq!(lines[1], "1,2017-04-15,31,1295.02,197.92,1492.94,48704.98");
}

#[test]
fn interest_only_from_a_month_end_uses_the_day_count() {
    let output = fupin(
        NO_DATABASE,
        &[
            "schedule",
            "--principal",
            "30,000.00",
            "--rate",
            "4.35%",
            "--months",
            "12",
            "--method",
            "按月付息到期还本",
            "--start",
            "2017-01-31",
            "--day-count",
            "ACT/365",
            "--format",
            "csv",
        ],
    );
    let csv = stdout(&output);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[1], "1,2017-02-28,28,0.00,100.11,100.11,30000.00");
    assert_eq!(lines[2], "2,2017-03-31,31,0.00,110.84,110.84,30000.00");
    assert_eq!(lines[12], "12,2018-01-31,31,30000.00,110.84,30110.84,0.00");
}

#[test]
fn bad_arguments_fail_with_one_clear_line() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--months", "0"],
            "error: the term must be at least one month",
        ),
        (
            &["--principal", "-5"],
            "error: the principal must be above zero, not -5.00 yuan",
        ),
        (
            &["--months", "601"],
            "error: a term of 601 months is longer than the 600 months allowed",
        ),
    ];
    for (extra, message) in cases {
        // Later occurrences of an option are refused by clap, so rebuild the arguments.
        let mut args: Vec<&str> = EXAMPLE.to_vec();
        let position = args
            .iter()
            .position(|arg| *arg == extra[0])
            .expect("option in the example");
        args[position + 1] = extra[1];
        let output = fupin(NO_DATABASE, &args);
        assert!(!output.status.success(), "{extra:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end(), message, "{extra:?}");
        assert!(output.stdout.is_empty(), "{extra:?}");
    }

    // An unknown method is refused while parsing the arguments, naming the accepted ones.
    let mut args: Vec<&str> = EXAMPLE.to_vec();
    args[8] = "annuity";
    let output = fupin(NO_DATABASE, &args);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first_line = stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.starts_with("error: invalid value 'annuity' for '--method <METHOD>'")
            && first_line.contains("not a repayment method (expected equal_instalment 等额本息"),
        "{stderr}"
    );
}

/// Equal principal accrues by the day count: the issue's bank case, 864,000 yuan at 4.75 %
/// from 2016-12-15. By hand: 864,000 × 4.75 % × 31 / 360 = 3,534.00 (act/360); under 30/360
/// the month counts 30 days: 864,000 × 4.75 % / 12 = 3,420.00. With three months of grace the
/// first instalment is interest only and the fourth repays 864,000 / 9 = 96,000.
#[test]
fn equal_principal_accrues_by_the_day_count() {
    let args = |day_count: &'static str, grace: &'static str| {
        vec![
            "schedule",
            "--principal",
            "864000",
            "--rate",
            "4.75",
            "--months",
            "12",
            "--method",
            "equal-principal",
            "--start",
            "2016-12-15",
            "--day-count",
            day_count,
            "--grace-months",
            grace,
            "--format",
            "json",
        ]
    };
    let rows = |day_count, grace| -> Vec<serde_json::Value> {
        let output = fupin(NO_DATABASE, &args(day_count, grace));
        serde_json::from_str(&stdout(&output)).expect("a JSON array")
    };
    let act = rows("act/360", "0");
    assert_eq!(act[0]["principal"], "72000.00");
    assert_eq!(act[0]["interest"], "3534.00");
    assert_eq!(act[0]["total"], "75534.00");
    // 720,000 × 4.75 % × 28 / 360 = 2,660.00 for February.
    assert_eq!(act[2]["interest"], "2660.00");
    let thirty = rows("30/360", "0");
    assert_eq!(thirty[0]["interest"], "3420.00");
    let graced = rows("act/360", "3");
    assert_eq!(graced[0]["principal"], "0.00");
    assert_eq!(graced[0]["interest"], "3534.00");
    // 2017-03-15 → 2017-04-15 is 31 days on all 864,000: 3,534.00 again, with 96,000.
    assert_eq!(graced[3]["principal"], "96000.00");
    assert_eq!(graced[3]["interest"], "3534.00");
}

/// Equal instalment keeps the annuity; act/365 cannot apply to it and is refused with why.
#[test]
fn equal_instalment_refuses_act_365() {
    let output = run(&["--day-count", "act/365"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot accrue by act/365"), "{stderr}");
    assert!(stderr.contains("equal_instalment"), "{stderr}");
}
