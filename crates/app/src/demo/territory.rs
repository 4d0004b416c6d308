//! The territory (never scaled): 12 county-level units, 210 townships, 2,173 villages, the
//! banks and their branches, who is responsible for which township, and the service points —
//! plus, per village, how many poor and exited households the registry will hold (scaled).

use std::collections::HashSet;
use std::path::Path;

use super::files::CsvFile;
use super::names;
use super::plan::{self, COUNTIES, CountySpec, Scale};
use super::rng::{Rng, Selection, allocate};
use crate::error::Result;

/// Who is responsible for a township.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Responsible {
    RuralCooperative,
    AgriculturalBank,
    PostalSavings,
}

#[derive(Clone, Debug)]
pub struct Village {
    /// 12 digits.
    pub code: String,
    pub name: String,
    pub poverty_village: bool,
    pub outlet: bool,
    /// Members of poor and relapsed households (scaled).
    pub poor_people: i64,
    pub poor_households: i64,
    pub exited_households: i64,
}

#[derive(Clone, Debug)]
pub struct Township {
    /// 9 digits.
    pub code: String,
    pub name: String,
    pub responsible: Responsible,
    pub villages: Vec<Village>,
}

#[derive(Clone, Debug)]
pub struct County {
    pub spec: &'static CountySpec,
    pub townships: Vec<Township>,
}

impl County {
    pub fn rcb(&self) -> String {
        rcb_code(self.spec)
    }

    /// The code of the institution responsible for a township.
    pub fn responsible_code(&self, township: &Township) -> String {
        match township.responsible {
            Responsible::RuralCooperative => rcb_code(self.spec),
            Responsible::AgriculturalBank => format!("ABC-{}", self.spec.key),
            Responsible::PostalSavings => format!("PSBC-{}", self.spec.key),
        }
    }

    pub fn households(&self) -> i64 {
        self.villages()
            .map(|v| v.poor_households + v.exited_households)
            .sum()
    }

    pub fn villages(&self) -> impl Iterator<Item = &Village> {
        self.townships.iter().flat_map(|t| t.villages.iter())
    }
}

pub fn rcb_code(spec: &CountySpec) -> String {
    format!("{}RCB", spec.key)
}

pub struct Territory {
    pub counties: Vec<County>,
}

/// Average members of a poor household, in tenths.
const HOUSEHOLD_SIZE_TENTHS: i64 = 34;

impl Territory {
    pub fn build(seed: u64, scale: Scale) -> Territory {
        let mut counties = Vec::with_capacity(COUNTIES.len());
        for (county_index, spec) in COUNTIES.iter().enumerate() {
            let mut rng = Rng::stream(seed, "territory", county_index as u64);
            let village_counts = allocate(
                (spec.villages - spec.townships) as i64,
                &(0..spec.townships)
                    .map(|_| rng.range(2, 12) as u64)
                    .collect::<Vec<_>>(),
            );
            let mut order: Vec<usize> = (0..spec.townships).collect();
            for i in (1..order.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                order.swap(i, j);
            }
            let abc: HashSet<usize> = order[..spec.abc_townships].iter().copied().collect();
            let psbc = order[spec.abc_townships];
            let mut used_names = HashSet::new();
            let streets = if spec.code.ends_with("02") || spec.code.ends_with("03") {
                4
            } else {
                0
            };
            let towns = (spec.townships - streets) * 3 / 5;
            let mut townships = Vec::with_capacity(spec.townships);
            for (t, extra_villages) in village_counts.iter().enumerate() {
                let (number, suffix) = if t < streets {
                    (t + 1, "街道")
                } else if t < streets + towns {
                    (101 + t - streets, "镇")
                } else {
                    (201 + t - streets - towns, "乡")
                };
                let code = format!("{}{number:03}", spec.code);
                let name = unique(&mut rng, &mut used_names, suffix);
                let responsible = if abc.contains(&t) {
                    Responsible::AgriculturalBank
                } else if t == psbc {
                    Responsible::PostalSavings
                } else {
                    Responsible::RuralCooperative
                };
                let count = 1 + *extra_villages as usize;
                let villages = (0..count)
                    .map(|v| {
                        let share = if spec.poverty_county { 25 } else { 10 };
                        Village {
                            code: format!("{code}{:03}", 200 + v + 1),
                            name: unique(&mut rng, &mut used_names, "村"),
                            poverty_village: rng.chance(share, 100),
                            outlet: v == 0,
                            poor_people: 0,
                            poor_households: 0,
                            exited_households: 0,
                        }
                    })
                    .collect();
                townships.push(Township {
                    code,
                    name,
                    responsible,
                    villages,
                });
            }
            counties.push(County { spec, townships });
        }
        let mut territory = Territory { counties };
        territory.choose_more_outlets(seed);
        territory.place_households(seed, scale);
        territory
    }

    /// Every township seat has an outlet; 42 more villages do too (252 in all).
    fn choose_more_outlets(&mut self, seed: u64) {
        let townships: usize = self.counties.iter().map(|c| c.townships.len()).sum();
        let villages: usize = self.counties.iter().map(|c| c.villages().count()).sum();
        let wanted = (plan::VILLAGES_WITH_OUTLET - townships) as u64;
        let mut rng = Rng::stream(seed, "outlets", 0);
        let mut selection = Selection::new(wanted, (villages - townships) as u64);
        for county in &mut self.counties {
            for township in &mut county.townships {
                for village in township.villages.iter_mut().skip(1) {
                    village.outlet = selection.next(&mut rng);
                }
            }
        }
    }

    /// Poor people per village (exact county totals at every scale), households, exited ones.
    fn place_households(&mut self, seed: u64, scale: Scale) {
        for (county_index, county) in self.counties.iter_mut().enumerate() {
            let mut rng = Rng::stream(seed, "placement", county_index as u64);
            let target = scale.of(county.spec.poor_people);
            let weights: Vec<u64> = county
                .villages()
                .map(|v| {
                    let base = rng.range(40, 160) as u64;
                    if v.poverty_village { base * 2 } else { base }
                })
                .collect();
            let people = allocate(target, &weights);
            let exited_per_100 = county.spec.exited_per_100 as i64;
            let mut index = 0;
            for township in &mut county.townships {
                for village in &mut township.villages {
                    let p = people[index];
                    index += 1;
                    village.poor_people = p;
                    village.poor_households = match p {
                        0 => 0,
                        p => ((p * 10 + HOUSEHOLD_SIZE_TENTHS / 2) / HOUSEHOLD_SIZE_TENTHS)
                            .clamp(1, p),
                    };
                }
            }
            // Exited households: the county's share, spread over its villages by their poor
            // households (rounding per village would lose them all at small scales).
            let poor: Vec<u64> = county
                .villages()
                .map(|v| v.poor_households as u64)
                .collect();
            let total: i64 = poor.iter().sum::<u64>() as i64;
            let exited = allocate((total * exited_per_100 + 50) / 100, &poor);
            let mut index = 0;
            for township in &mut county.townships {
                for village in &mut township.villages {
                    village.exited_households = exited[index];
                    index += 1;
                }
            }
        }
    }

    pub fn villages(&self) -> usize {
        self.counties.iter().map(|c| c.villages().count()).sum()
    }
}

fn unique(rng: &mut Rng, used: &mut HashSet<String>, suffix: &str) -> String {
    for attempt in 0.. {
        let mut name = names::place_stem(rng);
        if attempt > 20 {
            name.push_str(names::place_stem(rng).as_str());
        }
        name.push_str(suffix);
        if used.insert(name.clone()) {
            return name;
        }
    }
    unreachable!("an endless loop returns")
}

// ---------------------------------------------------------------------------------------------
// files

/// `regions`: the counties' populations (scaled), then townships and villages.
pub fn write_regions(dir: &Path, territory: &Territory, scale: Scale) -> Result<(String, u64)> {
    let mut file = CsvFile::create(
        dir.join("regions.csv"),
        &[
            "code",
            "name",
            "name_en",
            "population",
            "poverty_county",
            "poverty_village",
        ],
    )?;
    for county in &territory.counties {
        let spec = county.spec;
        let population = scale.of(spec.population).to_string();
        let poverty = if spec.poverty_county { "true" } else { "false" };
        file.row([spec.code, spec.short, spec.en, &population, poverty, ""])?;
    }
    for county in &territory.counties {
        for township in &county.townships {
            file.row([township.code.as_str(), &township.name, "", "", "", ""])?;
            for village in &township.villages {
                let poverty = if village.poverty_village {
                    "是"
                } else {
                    "否"
                };
                file.row([village.code.as_str(), &village.name, "", "", "", poverty])?;
            }
        }
    }
    finish(file)
}

fn finish(file: CsvFile) -> Result<(String, u64)> {
    let (path, rows) = file.finish()?;
    Ok((path.display().to_string(), rows))
}

/// `institutions`: head offices and county branches.
pub fn write_institutions(dir: &Path) -> Result<(String, u64)> {
    let mut file = CsvFile::create(
        dir.join("institutions.csv"),
        &[
            "code",
            "name",
            "name_en",
            "type",
            "parent_code",
            "region_code",
        ],
    )?;
    let heads: [(&str, &str, &str, &str, &str, &str); 9] = [
        (
            "ADBC-SR",
            "中国农业发展银行上饶市分行",
            "Agricultural Development Bank of China, Shangrao Branch",
            "policy_bank",
            "",
            "361100",
        ),
        (
            "ABC-SR",
            "中国农业银行上饶分行",
            "Agricultural Bank of China, Shangrao Branch",
            "large_commercial",
            "",
            "361100",
        ),
        (
            "PSBC-SR",
            "中国邮政储蓄银行上饶市分行",
            "Postal Savings Bank of China, Shangrao Branch",
            "postal_savings",
            "",
            "361100",
        ),
        (
            "ICBC-SR",
            "中国工商银行上饶分行",
            "Industrial and Commercial Bank of China, Shangrao Branch",
            "large_commercial",
            "",
            "361100",
        ),
        (
            "CCB-SR",
            "中国建设银行上饶分行",
            "China Construction Bank, Shangrao Branch",
            "large_commercial",
            "",
            "361100",
        ),
        (
            "BOC-SR",
            "中国银行上饶分行",
            "Bank of China, Shangrao Branch",
            "large_commercial",
            "",
            "361100",
        ),
        ("SRB", "上饶银行", "Bank of Shangrao", "other", "", "361100"),
        (
            "JXRCU",
            "江西省农村信用社联合社",
            "Jiangxi Rural Credit Union",
            "rural_cooperative",
            "",
            "360000",
        ),
        (
            "ADBC-HF",
            "中国农业发展银行横峰县支行",
            "Agricultural Development Bank of China, Hengfeng Sub-branch",
            "policy_bank",
            "ADBC-SR",
            "361125",
        ),
    ];
    for (code, name, name_en, kind, parent, region) in heads {
        file.row([code, name, name_en, kind, parent, region])?;
    }
    for spec in &COUNTIES {
        let rcb = rcb_code(spec);
        file.row([
            rcb.as_str(),
            &format!("{}农村商业银行", spec.short),
            &format!("{} Rural Commercial Bank", spec.en),
            "rural_cooperative",
            "JXRCU",
            spec.code,
        ])?;
        file.row([
            format!("ABC-{}", spec.key).as_str(),
            &format!("中国农业银行{}支行", spec.short),
            &format!("Agricultural Bank of China, {} Sub-branch", spec.en),
            "large_commercial",
            "ABC-SR",
            spec.code,
        ])?;
        file.row([
            format!("PSBC-{}", spec.key).as_str(),
            &format!("中国邮政储蓄银行{}支行", spec.short),
            &format!("Postal Savings Bank of China, {} Sub-branch", spec.en),
            "postal_savings",
            "PSBC-SR",
            spec.code,
        ])?;
    }
    file.row([
        "YYCZB",
        "弋阳金信村镇银行",
        "Yiyang Jinxin Village Bank",
        "village_bank",
        "",
        "361126",
    ])?;
    finish(file)
}

/// The effective date of the responsibility system.
pub fn assignments_from() -> fupin_core::BusinessDate {
    plan::date(2016, 3, 1)
}

/// `assignments`: every township to exactly one bank from March 2016; in two townships the
/// Postal Savings Bank held it for the first months before handing over (history).
pub fn write_assignments(dir: &Path, territory: &Territory) -> Result<(String, u64)> {
    let mut file = CsvFile::create(
        dir.join("assignments.csv"),
        &[
            "township_code",
            "institution_code",
            "effective_from",
            "effective_to",
        ],
    )?;
    let start = assignments_from().to_string();
    let handover = plan::date(2016, 9, 1).to_string();
    for county in &territory.counties {
        for (index, township) in county.townships.iter().enumerate() {
            let institution = county.responsible_code(township);
            let handed_over = county.spec.poverty_county
                && index == 1
                && township.responsible == Responsible::RuralCooperative
                && (county.spec.code == plan::POYANG || county.spec.code == "361127");
            if handed_over {
                let psbc = format!("PSBC-{}", county.spec.key);
                file.row([township.code.as_str(), &psbc, &start, &handover])?;
                file.row([township.code.as_str(), &institution, &handover, ""])?;
            } else {
                file.row([township.code.as_str(), &institution, &start, ""])?;
            }
        }
    }
    finish(file)
}

const OUTLET_SERVICES: &str =
    "enquiry;bank_card;microcredit_application;agency;cash_withdrawal;transfer;payment";
const WITHDRAWAL_SERVICES: &str = "enquiry;cash_withdrawal;transfer;payment";
const ATM_SERVICES: &str = "enquiry;cash_withdrawal;transfer";
const POS_SERVICES: &str = "enquiry;payment;cash_withdrawal";

/// `service_points`: an outlet in 252 villages, electronic equipment in the other 1,921; a few
/// withdrawal points were replaced (closed and reopened under another bank).
pub fn write_service_points(dir: &Path, territory: &Territory, seed: u64) -> Result<(String, u64)> {
    let mut file = CsvFile::create(
        dir.join("service_points.csv"),
        &[
            "id",
            "village_code",
            "institution_code",
            "kind",
            "services",
            "opened_on",
            "closed_on",
        ],
    )?;
    let mut rng = Rng::stream(seed, "service_points", 0);
    for county in &territory.counties {
        let rcb = county.rcb();
        let psbc = format!("PSBC-{}", county.spec.key);
        for township in &county.townships {
            let responsible = county.responsible_code(township);
            for (index, village) in township.villages.iter().enumerate() {
                let id = |n: u32| format!("SP{}{n:02}", village.code);
                if village.outlet {
                    let bank = if index == 0 {
                        responsible.clone()
                    } else if rng.per_mille(600) {
                        rcb.clone()
                    } else {
                        psbc.clone()
                    };
                    let opened = plan::date(rng.range(1995, 2015) as i32, 3, 1).to_string();
                    file.row([
                        id(1).as_str(),
                        &village.code,
                        &bank,
                        "outlet",
                        OUTLET_SERVICES,
                        &opened,
                        "",
                    ])?;
                    if rng.per_mille(500) {
                        let opened = plan::date(rng.range(2010, 2016) as i32, 6, 1).to_string();
                        file.row([
                            id(2).as_str(),
                            &village.code,
                            &bank,
                            "atm",
                            ATM_SERVICES,
                            &opened,
                            "",
                        ])?;
                    }
                    continue;
                }
                let (kind, services) = match rng.below(20) {
                    0..=13 => ("withdrawal_point", WITHDRAWAL_SERVICES),
                    14..=16 => ("atm", ATM_SERVICES),
                    _ => ("pos", POS_SERVICES),
                };
                let bank = if rng.per_mille(800) {
                    rcb.clone()
                } else {
                    responsible.clone()
                };
                let year = rng.range(2012, 2016) as i32;
                let month = rng.range(1, 12) as u32;
                let opened = plan::date(year, month, 1).to_string();
                if kind == "withdrawal_point" && rng.per_mille(15) {
                    // Replaced in September 2016: the first point closed the day the new opened.
                    let closed = plan::date(2016, 9, 1).to_string();
                    let early = plan::date(2013, 5, 1).to_string();
                    file.row([
                        id(1).as_str(),
                        &village.code,
                        &psbc,
                        kind,
                        services,
                        &early,
                        &closed,
                    ])?;
                    file.row([
                        id(2).as_str(),
                        &village.code,
                        &rcb,
                        kind,
                        services,
                        &closed,
                        "",
                    ])?;
                } else {
                    file.row([
                        id(1).as_str(),
                        &village.code,
                        &bank,
                        kind,
                        services,
                        &opened,
                        "",
                    ])?;
                }
            }
        }
    }
    finish(file)
}
