//! The scenario: Shangrao at the end of June 2017 as the seed article describes it. Every
//! figure the article states is a constant here, and the generator builds data that add up to
//! it; the rest (how the figures split across counties, banks and months) is plausible
//! invention, labelled as such in the README.

use fupin_core::BusinessDate;

/// The date the article describes.
pub fn as_of() -> BusinessDate {
    date(2017, 6, 30)
}

/// The start of the year the article's increases are counted from.
pub fn base_date() -> BusinessDate {
    date(2016, 12, 31)
}

pub fn date(year: i32, month: u32, day: u32) -> BusinessDate {
    BusinessDate::from_ymd(year, month, day).expect("scenario dates are valid")
}

// ---------------------------------------------------------------------------------------------
// the article's figures (scale 1)

/// "The city's poverty population is 380,300".
pub const POOR_PEOPLE: i64 = 380_300;
/// Balance of all loans in the four state-level poverty counties at the end of June (yuan).
pub const GROUP_LOANS_END: i64 = 35_996_000_000;
/// … an increase of 3.866 billion from the beginning of the year.
pub const GROUP_LOANS_INCREASE: i64 = 3_866_000_000;
/// The city's increase, chosen so that its growth is 10.98 % and the group's 12.03 % is 1.05
/// percentage points above it (the article's own 8.65 % cannot be; see the seed README).
pub const CITY_LOANS_INCREASE: i64 = 19_782_600_000;
/// The article's stated growth, recorded as a reported figure beside the computed 12.03 %.
pub const REPORTED_GROWTH: &str = "8.65";
/// "rural cooperative institutions … 155 townships, agricultural banks … 43, the Postal
/// Savings Bank … 12".
pub const TOWNSHIPS_RURAL_COOPERATIVE: usize = 155;
pub const TOWNSHIPS_ABC: usize = 43;
pub const TOWNSHIPS_PSBC: usize = 12;
/// "physical outlets in 252 villages … 1921 villages were equipped with electronic equipment".
pub const VILLAGES_WITH_OUTLET: usize = 252;
pub const VILLAGES_ELECTRONIC: usize = 1_921;
/// Wuyuan Rural Commercial Bank: "130 million yuan for more than 5,000 households".
pub const WUYUAN_MICROCREDIT: i64 = 130_000_000;
pub const WUYUAN_MICROCREDIT_HOUSEHOLDS: i64 = 5_086;
/// Characteristic industry loans: "more than 5 billion yuan".
pub const CHARACTERISTIC_DISBURSED: i64 = 5_068_300_000;
/// Beautiful-village loans in Hengfeng: "about 700 million yuan".
pub const BEAUTIFUL_VILLAGE_DISBURSED: i64 = 700_000_000;
/// Shangrao County: "more than 1020 breeding industrial bases, driving 7776 people".
pub const BREEDING_BASES: i64 = 1_023;
pub const BREEDING_PEOPLE: i64 = 7_776;

/// Codes used throughout.
pub const CITY: &str = "361100";
pub const SHANGRAO_COUNTY: &str = "361121";
pub const HENGFENG: &str = "361125";
pub const POYANG: &str = "361128";
pub const WUYUAN: &str = "361130";
pub const GROUP: &str = "state-poverty-counties";
pub const WUYUAN_RCB: &str = "WYRCB";

// ---------------------------------------------------------------------------------------------
// counties

/// A county-level unit and what the scenario puts in it.
#[derive(Clone, Copy, Debug)]
pub struct CountySpec {
    pub code: &'static str,
    /// Two letters for institution and product codes, e.g. `WY`.
    pub key: &'static str,
    /// Chinese name, e.g. 婺源县.
    pub short: &'static str,
    /// English name for institution names, e.g. Wuyuan.
    pub en: &'static str,
    pub poverty_county: bool,
    pub townships: usize,
    pub villages: usize,
    /// Resident population (scaled with the registry so that shares hold at every scale).
    pub population: i64,
    /// Members of poor and relapsed households at scale 1.
    pub poor_people: i64,
    /// Townships the Agricultural Bank is responsible for (the Postal Savings Bank has one in
    /// every county; the county's rural commercial bank the rest).
    pub abc_townships: usize,
    /// Exited households per 100 poor ones.
    pub exited_per_100: u64,
    /// Per mille of eligible households (RCB townships) borrowing poverty micro-credit.
    pub microcredit_per_mille: u64,
    /// Balance of all loans in the county's returns at 2016-12 (yuan, scale 1).
    pub loans_2016_12: i64,
    /// … at 2017-06 for the poverty counties (the others get a share of the city's rest).
    pub loans_2017_06: Option<i64>,
    /// The county's characteristic industry product: code suffix, name, industry.
    pub product: (&'static str, &'static str, &'static str),
    /// Industries of its enterprises.
    pub industries: &'static [&'static str],
}

pub const COUNTIES: [CountySpec; 12] = [
    CountySpec {
        code: "361102",
        key: "XZ",
        short: "信州区",
        en: "Xinzhou",
        poverty_county: false,
        townships: 11,
        villages: 60,
        population: 430_000,
        poor_people: 5_800,
        abc_townships: 3,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 60_000_000_000,
        loans_2017_06: None,
        product: ("SC", "信州蔬菜贷", "蔬菜种植"),
        industries: &["蔬菜种植", "花卉苗木", "农产品加工"],
    },
    CountySpec {
        code: "361103",
        key: "GF",
        short: "广丰区",
        en: "Guangfeng",
        poverty_county: false,
        townships: 20,
        villages: 250,
        population: 800_000,
        poor_people: 21_000,
        abc_townships: 4,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 22_000_000_000,
        loans_2017_06: None,
        product: ("JJ", "广丰掘金贷", "马家柚种植"),
        industries: &["马家柚种植", "白耳黄鸡养殖", "烟叶种植"],
    },
    CountySpec {
        code: "361121",
        key: "SRX",
        short: "上饶县",
        en: "Shangrao County",
        poverty_county: true,
        townships: 23,
        villages: 230,
        population: 720_000,
        poor_people: 52_000,
        abc_townships: 4,
        exited_per_100: 35,
        microcredit_per_mille: 120,
        loans_2016_12: 9_000_000_000,
        loans_2017_06: Some(10_100_000_000),
        product: ("YZ", "上饶县特色养殖贷", "特色养殖"),
        industries: &[
            "生猪养殖",
            "肉牛养殖",
            "家禽养殖",
            "水产养殖",
            "蜜蜂养殖",
            "山羊养殖",
        ],
    },
    CountySpec {
        code: "361123",
        key: "YS",
        short: "玉山县",
        en: "Yushan",
        poverty_county: false,
        townships: 17,
        villages: 200,
        population: 580_000,
        poor_people: 20_000,
        abc_townships: 4,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 16_000_000_000,
        loans_2017_06: None,
        product: ("BYD", "玉山白玉豆贷", "白玉豆种植"),
        industries: &["白玉豆种植", "猕猴桃种植", "黑猪养殖"],
    },
    CountySpec {
        code: "361124",
        key: "QS",
        short: "铅山县",
        en: "Yanshan",
        poverty_county: false,
        townships: 19,
        villages: 160,
        population: 430_000,
        poor_people: 19_000,
        abc_townships: 4,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 10_000_000_000,
        loans_2017_06: None,
        product: ("HYY", "铅山红芽芋贷", "红芽芋种植"),
        industries: &["红芽芋种植", "河红茶", "连四纸"],
    },
    CountySpec {
        code: "361125",
        key: "HF",
        short: "横峰县",
        en: "Hengfeng",
        poverty_county: true,
        townships: 9,
        villages: 75,
        population: 200_000,
        poor_people: 17_500,
        abc_townships: 2,
        exited_per_100: 20,
        microcredit_per_mille: 130,
        loans_2016_12: 3_200_000_000,
        loans_2017_06: Some(3_550_000_000),
        product: ("GG", "横峰葛根贷", "葛根种植"),
        industries: &["葛根种植", "马家柚种植", "香菇种植"],
    },
    CountySpec {
        code: "361126",
        key: "YY",
        short: "弋阳县",
        en: "Yiyang",
        poverty_county: false,
        townships: 17,
        villages: 155,
        population: 370_000,
        poor_people: 18_000,
        abc_townships: 4,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 9_000_000_000,
        loans_2017_06: None,
        product: ("DHG", "弋阳大禾谷贷", "大禾谷种植"),
        industries: &["大禾谷种植", "年糕加工", "雷竹种植"],
    },
    CountySpec {
        code: "361127",
        key: "YG",
        short: "余干县",
        en: "Yugan",
        poverty_county: true,
        townships: 20,
        villages: 270,
        population: 940_000,
        poor_people: 62_000,
        abc_townships: 4,
        exited_per_100: 20,
        microcredit_per_mille: 130,
        loans_2016_12: 7_600_000_000,
        loans_2017_06: Some(8_500_000_000),
        product: ("NY", "余干农业贷", "辣椒种植"),
        industries: &["辣椒种植", "水稻种植", "芡实种植", "水产养殖"],
    },
    CountySpec {
        code: "361128",
        key: "PY",
        short: "鄱阳县",
        en: "Poyang",
        poverty_county: true,
        townships: 30,
        villages: 480,
        population: 1_240_000,
        poor_people: 110_000,
        abc_townships: 5,
        exited_per_100: 20,
        microcredit_per_mille: 130,
        loans_2016_12: 12_330_000_000,
        loans_2017_06: Some(13_846_000_000),
        product: ("SCY", "鄱阳水产贷", "水产养殖"),
        industries: &["水产养殖", "珍珠养殖", "水稻种植", "莲藕种植"],
    },
    CountySpec {
        code: "361129",
        key: "WN",
        short: "万年县",
        en: "Wannian",
        poverty_county: false,
        townships: 12,
        villages: 110,
        population: 370_000,
        poor_people: 17_000,
        abc_townships: 3,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 8_000_000_000,
        loans_2017_06: None,
        product: ("SZ", "万年生猪贷", "生猪养殖"),
        industries: &["生猪养殖", "贡米种植", "蚌珠养殖"],
    },
    CountySpec {
        code: "361130",
        key: "WY",
        short: "婺源县",
        en: "Wuyuan",
        poverty_county: false,
        townships: 16,
        villages: 110,
        population: 340_000,
        poor_people: 18_000,
        abc_townships: 3,
        exited_per_100: 50,
        microcredit_per_mille: 0,
        loans_2016_12: 10_000_000_000,
        loans_2017_06: None,
        product: ("CY", "婺源茶叶贷", "茶叶种植"),
        industries: &["茶叶种植", "皇菊种植", "乡村旅游", "荷包红鲤鱼养殖"],
    },
    CountySpec {
        code: "361181",
        key: "DX",
        short: "德兴市",
        en: "Dexing",
        poverty_county: false,
        townships: 16,
        villages: 73,
        population: 300_000,
        poor_people: 20_000,
        abc_townships: 3,
        exited_per_100: 25,
        microcredit_per_mille: 100,
        loans_2016_12: 13_000_000_000,
        loans_2017_06: None,
        product: ("LZ", "德兴帘子贷", "覆盆子种植"),
        industries: &["覆盆子种植", "红花茶油", "铜矿配套加工"],
    },
];

/// The index of a county in [`COUNTIES`].
pub fn county_index(code: &str) -> usize {
    COUNTIES
        .iter()
        .position(|c| c.code == code)
        .expect("a scenario county")
}

// ---------------------------------------------------------------------------------------------
// scale

/// What scales: the registry, loans, enterprises, money. The territory never does.
#[derive(Clone, Copy, Debug)]
pub struct Scale(pub f64);

impl Scale {
    /// A count or an amount at this scale, rounded to the nearest whole.
    pub fn of(self, value: i64) -> i64 {
        if self.0 == 1.0 {
            return value;
        }
        (value as f64 * self.0).round() as i64
    }

    /// An amount at this scale, rounded to `unit`.
    pub fn money(self, value: i64, unit: i64) -> i64 {
        if self.0 == 1.0 {
            return value;
        }
        ((value as f64 * self.0 / unit as f64).round() as i64) * unit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_territory_adds_up_to_the_article() {
        let townships: usize = COUNTIES.iter().map(|c| c.townships).sum();
        let villages: usize = COUNTIES.iter().map(|c| c.villages).sum();
        let abc: usize = COUNTIES.iter().map(|c| c.abc_townships).sum();
        assert_eq!(townships, 210);
        assert_eq!(villages, VILLAGES_WITH_OUTLET + VILLAGES_ELECTRONIC);
        assert_eq!(abc, TOWNSHIPS_ABC);
        assert_eq!(COUNTIES.len(), TOWNSHIPS_PSBC);
        assert_eq!(
            townships - abc - TOWNSHIPS_PSBC,
            TOWNSHIPS_RURAL_COOPERATIVE
        );
        let poor: i64 = COUNTIES.iter().map(|c| c.poor_people).sum();
        assert_eq!(poor, POOR_PEOPLE);
        let population: i64 = COUNTIES.iter().map(|c| c.population).sum();
        assert_eq!(population, 6_720_000);
        // 380,300 / 6,720,000 = 5.659 % -> 5.66 %.
        assert_eq!((POOR_PEOPLE * 100_000 / population + 5) / 10, 566);
    }

    #[test]
    fn the_loans_add_up_to_the_article() {
        let group: Vec<&CountySpec> = COUNTIES.iter().filter(|c| c.poverty_county).collect();
        let base: i64 = group.iter().map(|c| c.loans_2016_12).sum();
        let end: i64 = group.iter().map(|c| c.loans_2017_06.expect("set")).sum();
        assert_eq!(end, GROUP_LOANS_END);
        assert_eq!(end - base, GROUP_LOANS_INCREASE);
        let city_base: i64 = COUNTIES.iter().map(|c| c.loans_2016_12).sum();
        // Growth in basis points of a percent (1/10000 of a percent).
        let group_growth = GROUP_LOANS_INCREASE as i128 * 1_000_000 / base as i128;
        let city_growth = CITY_LOANS_INCREASE as i128 * 1_000_000 / city_base as i128;
        assert_eq!((group_growth + 50) / 100, 1203);
        assert_eq!((city_growth + 50) / 100, 1098);
        assert_eq!((group_growth - city_growth + 50) / 100, 105);
    }
}
