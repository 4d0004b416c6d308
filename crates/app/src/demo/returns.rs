//! The banks' monthly statistical returns, January 2016 to June 2017, for every county and
//! every institution doing business there. The balances of all loans add up exactly to the
//! article's figures at the two dates that matter (2016-12 and 2017-06); the other months
//! move smoothly between them, well within the month-on-month warning threshold, and every
//! return passes the validation rules (poverty ≤ agriculture ≤ total, the poverty breakdown).

use std::path::Path;

use fupin_core::date::Month;

use super::files::CsvFile;
use super::plan::{self, COUNTIES, CountySpec, Scale};
use super::rng::{Rng, allocate};
use super::territory::rcb_code;
use crate::error::Result;

/// First month of returns.
pub fn first_month() -> Month {
    Month::new(2016, 1).expect("a month")
}

/// The month the article describes.
pub fn last_month() -> Month {
    Month::new(2017, 6).expect("a month")
}

pub fn months() -> Vec<Month> {
    let mut months = vec![first_month()];
    while let Some(next) = months.last().and_then(|m| m.next()) {
        if next > last_month() {
            break;
        }
        months.push(next);
    }
    months
}

/// An institution filing returns for a county, with its shares (per mille) of the county's
/// loans, of agriculture within its loans, and of poverty loans within agriculture.
#[derive(Clone, Debug)]
pub struct Filer {
    pub institution: String,
    pub county: &'static CountySpec,
    weight: u64,
    agriculture: i64,
    poverty: i64,
    /// 2016 growth of its balance, per mille.
    growth_2016: i64,
    base: i64,
    end: i64,
}

fn filers_of(spec: &'static CountySpec, rng: &mut Rng) -> Vec<Filer> {
    let poverty_boost = if spec.poverty_county { 2 } else { 1 };
    let mut list: Vec<(String, u64, i64, i64)> = vec![
        (rcb_code(spec), 30, 720, 90 * poverty_boost),
        (format!("ABC-{}", spec.key), 18, 480, 60 * poverty_boost),
        (format!("PSBC-{}", spec.key), 8, 420, 80 * poverty_boost),
        ("ICBC-SR".into(), 10, 180, 15),
        ("CCB-SR".into(), 11, 200, 15),
        ("BOC-SR".into(), 6, 120, 10),
        ("SRB".into(), 7, 250, 20),
    ];
    let policy = if spec.code == plan::HENGFENG {
        "ADBC-HF"
    } else {
        "ADBC-SR"
    };
    list.push((policy.into(), 10, 950, 300));
    if spec.code == "361126" {
        list.push(("YYCZB".into(), 1, 800, 60));
    }
    list.into_iter()
        .map(|(institution, weight, agriculture, poverty)| Filer {
            institution,
            county: spec,
            weight: weight * rng.range(85, 115) as u64,
            agriculture: agriculture + rng.range(-30, 30),
            poverty: (poverty + rng.range(-10, 10)).max(5),
            growth_2016: rng.range(70, 130),
            base: 0,
            end: 0,
        })
        .collect()
}

/// Every filer with its balances at 2016-12 and 2017-06, adding up to the scenario's county
/// totals exactly.
pub fn filers(seed: u64, scale: Scale) -> Vec<Filer> {
    let mut rng = Rng::stream(seed, "returns", 0);
    // The non-poverty counties share the city's increase less the group's, by their size.
    let rest: Vec<&CountySpec> = COUNTIES.iter().filter(|c| !c.poverty_county).collect();
    let rest_increase = allocate(
        scale.money(plan::CITY_LOANS_INCREASE - plan::GROUP_LOANS_INCREASE, 1),
        &rest
            .iter()
            .map(|c| c.loans_2016_12 as u64 * rng.range(80, 120) as u64)
            .collect::<Vec<_>>(),
    );
    let mut all = Vec::new();
    for spec in COUNTIES.iter() {
        let base = scale.money(spec.loans_2016_12, 1);
        let end = match spec.loans_2017_06 {
            Some(end) => scale.money(end, 1),
            None => {
                let position = rest.iter().position(|c| c.code == spec.code).expect("rest");
                base + rest_increase[position]
            }
        };
        let mut filers = filers_of(spec, &mut rng);
        let weights: Vec<u64> = filers.iter().map(|f| f.weight).collect();
        let bases = allocate(base, &weights);
        let end_weights: Vec<u64> = filers
            .iter()
            .map(|f| f.weight * rng.range(95, 105) as u64)
            .collect();
        let ends = allocate(end, &end_weights);
        for (filer, (base, end)) in filers.iter_mut().zip(bases.into_iter().zip(ends)) {
            filer.base = base;
            filer.end = end;
        }
        all.extend(filers);
    }
    all
}

fn per_mille(value: i64, share: i64) -> i64 {
    (i128::from(value) * i128::from(share) / 1000) as i64
}

fn per_million(value: i64, share: i64) -> i64 {
    (i128::from(value) * i128::from(share) / 1_000_000) as i64
}

/// A filer's balance of all loans in a month (yuan).
fn total_in(filer: &Filer, month: Month, rng: &mut Rng) -> i64 {
    let (year, m) = (month.year(), month.month() as i64);
    let noise = |rng: &mut Rng, of: i64| per_mille(of, rng.range(-3, 3));
    match (year, m) {
        (2016, 12) => filer.base,
        (2017, 6) => filer.end,
        (2016, _) => {
            // Growing through 2016 towards the December balance.
            let behind = per_mille(filer.base, filer.growth_2016) * (12 - m) / 12;
            filer.base - behind + noise(rng, filer.base)
        }
        _ => filer.base + (filer.end - filer.base) * m / 6 + noise(rng, filer.base),
    }
}

pub const HEADER: &[&str] = &[
    "institution_code",
    "region_code",
    "period",
    "element",
    "value",
];

/// Writes one `returns` file per month; returns the files with their row counts.
pub fn write_returns(dir: &Path, seed: u64, scale: Scale) -> Result<Vec<(String, u64)>> {
    let filers = filers(seed, scale);
    let mut files = Vec::new();
    for month in months() {
        let path = dir.join(format!("returns-{month}.csv"));
        let mut file = CsvFile::create(path, HEADER)?;
        let period = month.to_string();
        for (index, filer) in filers.iter().enumerate() {
            let mut rng = Rng::stream(
                seed,
                "return",
                ((index as u64) << 16)
                    | (u64::from(month.month()) << 8)
                    | (month.year() as u64 % 256),
            );
            let total = total_in(filer, month, &mut rng);
            // Shares (in parts per million) move by at most half a percent of themselves from
            // month to month.
            let wobble = |rng: &mut Rng, per_mille: i64| per_mille * (1_000 + rng.range(-5, 5));
            let agriculture = per_million(total, wobble(&mut rng, filer.agriculture));
            let poverty = per_million(agriculture, wobble(&mut rng, filer.poverty));
            let individual = per_mille(poverty, 450 + rng.range(-20, 20));
            let industry = per_mille(poverty, 300 + rng.range(-20, 20));
            let project = poverty - individual - industry;
            let npl = per_mille(poverty, rng.range(8, 20));
            let deposits = per_mille(total, rng.range(1_350, 1_700));
            let borrowers = poverty / 38_000;
            let county = filer.county.code;
            for (element, value) in [
                ("loans_total", total),
                ("loans_agriculture", agriculture),
                ("loans_poverty", poverty),
                ("loans_poverty_individual", individual),
                ("loans_poverty_industry", industry),
                ("loans_poverty_project", project),
                ("loans_poverty_npl", npl),
                ("deposits_total", deposits),
            ] {
                file.row([
                    filer.institution.as_str(),
                    county,
                    &period,
                    element,
                    &format!("{value}.00"),
                ])?;
            }
            file.row([
                filer.institution.as_str(),
                county,
                &period,
                "borrowers_poverty",
                &borrowers.to_string(),
            ])?;
        }
        let (path, rows) = file.finish()?;
        files.push((path.display().to_string(), rows));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filers_add_up_to_the_article() {
        let filers = filers(42, Scale(1.0));
        let group = |f: &&Filer| f.county.poverty_county;
        let base: i64 = filers.iter().filter(group).map(|f| f.base).sum();
        let end: i64 = filers.iter().filter(group).map(|f| f.end).sum();
        assert_eq!(end, plan::GROUP_LOANS_END);
        assert_eq!(end - base, plan::GROUP_LOANS_INCREASE);
        let city_base: i64 = filers.iter().map(|f| f.base).sum();
        let city_end: i64 = filers.iter().map(|f| f.end).sum();
        assert_eq!(city_end - city_base, plan::CITY_LOANS_INCREASE);
        assert_eq!(months().len(), 18);
    }
}
