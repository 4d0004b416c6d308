//! Reading interchange files: `fupin_app::ingest` (encoding detection, CSV decoding, header
//! mapping, typed cells) and the pure row parsers of the importers, on generated UTF-8 CSV.
//!
//! `cargo bench -p fupin-app --bench ingest` (divan). The file is written once to a temporary
//! directory (on `/dev/shm`, in memory, when it exists); each iteration opens and reads it whole.
//! The baseline is the `csv` crate reading the same bytes into string records with no checks —
//! what a loader that validates nothing costs.

use std::hint::black_box;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use fupin_app::imports::Importer;
use fupin_app::imports::loans::RepaymentImporter;
use fupin_app::imports::registry::{
    CAUSES, HOUSEHOLD_COLUMNS, LABOUR, POVERTY_ATTRIBUTES, RELATIONS, STATUSES,
};
use fupin_app::ingest::{self, HeaderMap, Limits, RawRow, mojibake, value};
use fupin_core::{BusinessDate, ResidentId};

fn main() {
    divan::main();
}

const ROWS: usize = 10_000;

fn as_of() -> BusinessDate {
    BusinessDate::from_ymd(2016, 12, 31).expect("date")
}

/// A scratch directory in memory when the machine has one.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("temp dir")
    } else {
        tempfile::tempdir().expect("temp dir")
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .expect("write the generated file");
    path
}

fn id_number(person: usize) -> String {
    let birth = BusinessDate::from_ymd(1950, 1, 1)
        .and_then(|d| d.add_days((person as i64 / 1000 * 37) % 18_000))
        .expect("date");
    let first17 = format!(
        "361128{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        person % 1000
    );
    let check = fupin_core::resident_id::check_character(&first17).expect("digits");
    format!("{first17}{check}")
}

/// A `households` file (one row per member, Chinese names), as `scripts/bench-data.py` writes.
fn households_csv(rows: usize) -> String {
    let mut out = String::from(
        "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,\
         other_causes,status,identified_on,exited_year,per_capita_income,labour,phone\n",
    );
    let relations = ["head", "spouse", "child", "child", "parent"];
    let (mut person, mut household) = (0, 0);
    while person < rows {
        let size = [1, 2, 3, 4, 5, 3, 2, 4][household % 8].min(rows - person);
        let village = format!("361128{:03}{:03}", 101 + household % 18, 1 + household % 10);
        for relation in relations.iter().take(size) {
            out.push_str(&format!(
                "H{household:08},{village},王{}芳,{},{},general,illness,{},poor,2014-10-01,,\
                 {}.{:02},normal,{}\n",
                ["伟", "秀", "建"][person % 3],
                id_number(person),
                relation,
                if household % 4 == 0 { "lack_funds" } else { "" },
                2000 + household % 1500,
                household % 100,
                if *relation == "head" {
                    "13907930000"
                } else {
                    ""
                },
            ));
            person += 1;
        }
        household += 1;
    }
    out
}

/// A `repayments` file.
fn repayments_csv(rows: usize) -> String {
    let mut out = String::from("id,contract_no,institution_code,paid_on,amount\n");
    for n in 0..rows {
        out.push_str(&format!(
            "R{n:09}-01,C{n:09},RCB361128,2017-02-{:02},{}.{:02}\n",
            1 + n % 28,
            40 + n % 160,
            n % 100
        ));
    }
    out
}

fn open(path: &Path, kind: &str) -> ingest::RowSource {
    ingest::open(path, kind, &Limits::default()).expect("open")
}

/// What the households importer checks on one member row, with the public parsers (the
/// importer's own row parser is private to `fupin_app::imports::registry`): mojibake on every
/// text cell, the identifier, the village code, the resident ID (check character and birth
/// date), five enumerations, the cause list, two dates, the income and the phone.
fn parse_member(row: &RawRow, map: &HeaderMap, as_of: BusinessDate) -> bool {
    let mut ok = true;
    for column in HOUSEHOLD_COLUMNS {
        if let Some(text) = row.text(map, column.name) {
            ok &= mojibake(&text).is_none();
        }
    }
    ok &= row
        .text(map, "household_id")
        .is_some_and(|id| id.len() <= 64);
    ok &= row.parse(map, "village_code", value::region_code).is_ok();
    ok &= row
        .text(map, "name")
        .is_some_and(|name| name.chars().count() <= 50);
    ok &= row
        .text(map, "id_number")
        .is_some_and(|id| ResidentId::parse(&id, as_of).is_ok());
    ok &= row
        .parse(map, "relation", |c| value::enumeration(c, RELATIONS))
        .is_ok();
    ok &= row
        .parse(map, "poverty_attribute", |c| {
            value::enumeration(c, POVERTY_ATTRIBUTES)
        })
        .is_ok();
    ok &= row
        .parse(map, "main_cause", |c| value::enumeration(c, CAUSES))
        .is_ok();
    for cause in value::list(row.get(map, "other_causes")) {
        ok &= CAUSES
            .iter()
            .any(|(en, zh, _)| *en == cause || *zh == cause);
    }
    ok &= row
        .parse(map, "status", |c| value::enumeration(c, STATUSES))
        .is_ok();
    ok &= row.parse(map, "identified_on", value::date).is_ok();
    ok &= row
        .parse(map, "exited_year", |c| value::optional(c, value::integer))
        .is_ok();
    ok &= row.parse(map, "per_capita_income", value::amount).is_ok();
    ok &= row
        .parse(map, "labour", |c| value::enumeration(c, LABOUR))
        .is_ok();
    ok
}

mod households {
    use super::*;

    /// Open, detect the encoding, map the headers, read every row into typed cells.
    #[divan::bench(sample_count = 20)]
    fn ingest_rows(bencher: divan::Bencher) {
        let dir = scratch();
        let path = write(dir.path(), "households.csv", &households_csv(ROWS));
        bencher
            .counter(divan::counter::ItemsCount::new(ROWS))
            .bench(|| {
                let source = open(black_box(&path), "households");
                source
                    .map_columns(HOUSEHOLD_COLUMNS, false)
                    .expect("headers");
                source.filter(Result::is_ok).count()
            });
    }

    /// The same, and every member row checked as the households importer checks it.
    #[divan::bench(sample_count = 20)]
    fn ingest_and_parse(bencher: divan::Bencher) {
        let dir = scratch();
        let path = write(dir.path(), "households.csv", &households_csv(ROWS));
        let as_of = as_of();
        bencher
            .counter(divan::counter::ItemsCount::new(ROWS))
            .bench(|| {
                let mut source = open(black_box(&path), "households");
                let map = source
                    .map_columns(HOUSEHOLD_COLUMNS, false)
                    .expect("headers");
                let valid = source
                    .by_ref()
                    .filter_map(Result::ok)
                    .filter(|row| parse_member(row, &map, as_of))
                    .count();
                assert_eq!(valid, ROWS);
                valid
            });
    }

    /// Baseline: the `csv` crate reading the same file into string records, no checks.
    #[divan::bench(sample_count = 20)]
    fn csv_crate_baseline(bencher: divan::Bencher) {
        let dir = scratch();
        let path = write(dir.path(), "households.csv", &households_csv(ROWS));
        bencher
            .counter(divan::counter::ItemsCount::new(ROWS))
            .bench(|| {
                let mut reader = csv::Reader::from_path(black_box(&path)).expect("open");
                reader.records().filter(Result::is_ok).count()
            });
    }
}

mod repayments {
    use super::*;

    /// Open and read every row, then parse it with the `repayments` importer (identifiers,
    /// date, amount in exact fen).
    #[divan::bench(sample_count = 20)]
    fn ingest_and_parse(bencher: divan::Bencher) {
        let dir = scratch();
        let path = write(dir.path(), "repayments.csv", &repayments_csv(ROWS));
        let importer = RepaymentImporter::default();
        bencher
            .counter(divan::counter::ItemsCount::new(ROWS))
            .bench(|| {
                let mut source = open(black_box(&path), "repayments");
                let map = source
                    .map_columns(RepaymentImporter::COLUMNS, false)
                    .expect("headers");
                let parsed = source
                    .by_ref()
                    .filter_map(Result::ok)
                    .filter(|row| importer.parse(row, &map).is_ok())
                    .count();
                assert_eq!(parsed, ROWS);
                parsed
            });
    }

    /// Baseline: the `csv` crate reading the same file, no checks.
    #[divan::bench(sample_count = 20)]
    fn csv_crate_baseline(bencher: divan::Bencher) {
        let dir = scratch();
        let path = write(dir.path(), "repayments.csv", &repayments_csv(ROWS));
        bencher
            .counter(divan::counter::ItemsCount::new(ROWS))
            .bench(|| {
                let mut reader = csv::Reader::from_path(black_box(&path)).expect("open");
                reader.records().filter(Result::is_ok).count()
            });
    }
}

mod indicators {
    use fupin_core::formula::{Expr, Leaf};
    use rust_decimal::Decimal;

    use super::*;

    /// Every built-in indicator: parse its formula, expand the indicators it names, list the
    /// leaves and evaluate with fixed leaf values — the pure part of `fupin indicators`.
    #[divan::bench]
    fn builtin_parse_expand_evaluate(bencher: divan::Bencher) {
        let definitions = fupin_app::indicators::builtin::indicators();
        let value_of = |leaf: &Leaf| {
            Some(match leaf.context.at_base {
                true => Decimal::new(3_213_000_000_000, 2),
                false => Decimal::new(3_599_600_000_000, 2),
            })
        };
        bencher
            .counter(divan::counter::ItemsCount::new(definitions.len()))
            .bench(|| {
                let parsed: std::collections::HashMap<&str, Expr> = definitions
                    .iter()
                    .map(|d| (d.code.as_str(), Expr::parse(&d.formula).expect("formula")))
                    .collect();
                let lookup = |code: &str| parsed.get(code).cloned();
                parsed
                    .values()
                    .filter_map(|expr| expr.expand(&lookup).ok())
                    .filter_map(|expr| {
                        black_box(expr.leaves().len());
                        expr.evaluate(&value_of)
                    })
                    .count()
            });
    }
}
