//! Built-in reference data: Jiangxi, Shangrao and its county-level units as of 2017, with the
//! code changes since kept as history.

use fupin_core::{BusinessDate, RegionCode};

use fupin_store::regions::Region;

/// A county-level unit of Shangrao (GB/T 2260 code, names, state-level poverty county in 2017).
struct County {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    poverty_county: bool,
}

/// The 12 county-level units of Shangrao in 2017. Sources: GB/T 2260 tables and the
/// Ministry of Civil Affairs change notices (see docs/reference-data.md).
const COUNTIES_2017: [County; 12] = [
    County {
        code: "361102",
        name: "信州区",
        name_en: "Xinzhou District",
        poverty_county: false,
    },
    County {
        code: "361103",
        name: "广丰区",
        name_en: "Guangfeng District",
        poverty_county: false,
    },
    County {
        code: "361121",
        name: "上饶县",
        name_en: "Shangrao County",
        poverty_county: true,
    },
    County {
        code: "361123",
        name: "玉山县",
        name_en: "Yushan County",
        poverty_county: false,
    },
    County {
        code: "361124",
        name: "铅山县",
        name_en: "Yanshan County",
        poverty_county: false,
    },
    County {
        code: "361125",
        name: "横峰县",
        name_en: "Hengfeng County",
        poverty_county: true,
    },
    County {
        code: "361126",
        name: "弋阳县",
        name_en: "Yiyang County",
        poverty_county: false,
    },
    County {
        code: "361127",
        name: "余干县",
        name_en: "Yugan County",
        poverty_county: true,
    },
    County {
        code: "361128",
        name: "鄱阳县",
        name_en: "Poyang County",
        poverty_county: true,
    },
    County {
        code: "361129",
        name: "万年县",
        name_en: "Wannian County",
        poverty_county: false,
    },
    County {
        code: "361130",
        name: "婺源县",
        name_en: "Wuyuan County",
        poverty_county: false,
    },
    County {
        code: "361181",
        name: "德兴市",
        name_en: "Dexing City",
        poverty_county: false,
    },
];

/// Shangrao city's code.
pub const SHANGRAO: &str = "361100000000";
/// Jiangxi province's code.
pub const JIANGXI: &str = "360000000000";
/// The four state-level poverty counties of 2017.
pub const STATE_POVERTY_COUNTIES_2017: [&str; 4] = ["361121", "361125", "361127", "361128"];

/// Every built-in region, parents before children.
pub fn builtin_regions() -> Vec<Region> {
    let mut regions = vec![
        region(JIANGXI, "江西省", "Jiangxi Province", None),
        region(SHANGRAO, "上饶市", "Shangrao City", Some(JIANGXI)),
    ];
    for county in &COUNTIES_2017 {
        let mut unit = region(county.code, county.name, county.name_en, Some(SHANGRAO));
        unit.poverty_county = county.poverty_county;
        if county.code == "361121" {
            // 国函〔2019〕59号 (June 2019): Shangrao County became Guangxin District. The old
            // code stays: 2017 data and ID numbers issued there still carry it.
            unit.valid_to = Some(date(2019, 6, 1));
            unit.successor_code = Some(code("361104"));
        }
        regions.push(unit);
    }
    regions.extend(code_changes());
    regions
}

/// Codes abolished or created since: kept so that history and old ID numbers still resolve.
fn code_changes() -> Vec<Region> {
    let mut guangfeng_county = region("361122", "广丰县", "Guangfeng County", Some(SHANGRAO));
    // 国函〔2015〕37号 (February 2015): Guangfeng County became Guangfeng District.
    guangfeng_county.valid_to = Some(date(2015, 2, 1));
    guangfeng_county.successor_code = Some(code("361103"));
    guangfeng_county.note = Some("国函〔2015〕37号: 撤销广丰县，设立广丰区".into());

    let mut guangxin = region("361104", "广信区", "Guangxin District", Some(SHANGRAO));
    // 国函〔2019〕59号 (June 2019): Shangrao County became Guangxin District.
    guangxin.valid_from = Some(date(2019, 6, 1));
    guangxin.poverty_county = true;
    guangxin.note = Some("国函〔2019〕59号: 撤销上饶县，设立广信区".into());
    vec![guangfeng_county, guangxin]
}

/// Membership of the state-level poverty counties group: designated in the national list of
/// March 2012; Shangrao County's code gives way to Guangxin District's in June 2019.
pub fn state_poverty_county_memberships() -> Vec<fupin_store::groups::Membership> {
    let designated = date(2012, 3, 1);
    let renamed = date(2019, 6, 1);
    let member = |text: &str, from, to| fupin_store::groups::Membership {
        region_code: code(text),
        valid_from: from,
        valid_to: to,
    };
    vec![
        member("361104", renamed, None),
        member("361121", designated, Some(renamed)),
        member("361125", designated, None),
        member("361127", designated, None),
        member("361128", designated, None),
    ]
}

fn region(code_text: &str, name: &str, name_en: &str, parent: Option<&str>) -> Region {
    Region {
        code: code(code_text),
        name: name.to_string(),
        name_en: Some(name_en.to_string()),
        parent_code: parent.map(code),
        population: None,
        poverty_county: false,
        poverty_village: false,
        valid_from: None,
        valid_to: None,
        successor_code: None,
        note: None,
    }
}

/// Built-in codes are constants checked by the tests below.
fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("built-in region codes are valid")
}

fn date(year: i32, month: u32, day: u32) -> BusinessDate {
    BusinessDate::from_ymd(year, month, day).expect("built-in dates are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_regions_parse_and_parents_come_first() {
        let regions = builtin_regions();
        let mut seen = std::collections::BTreeSet::new();
        for region in &regions {
            if let Some(parent) = region.parent_code {
                assert!(seen.contains(&parent), "{} before its parent", region.code);
                assert_eq!(region.code.parent(), Some(parent));
            }
            seen.insert(region.code);
        }
        assert_eq!(regions.len(), 16);
    }

    #[test]
    fn four_state_poverty_counties_in_2017() {
        let flagged: Vec<String> = builtin_regions()
            .iter()
            .filter(|r| r.poverty_county && r.valid_from.is_none())
            .map(|r| r.code.to_string()[..6].to_string())
            .collect();
        assert_eq!(flagged, STATE_POVERTY_COUNTIES_2017);
    }
}
