//! Households and their members: names, valid resident ID numbers (GB 11643, unique), ages
//! that fit the relations, causes, statuses and incomes in plausible proportions.

use fupin_core::BusinessDate;
use fupin_core::resident_id::check_character;

use super::names;
use super::plan;
use super::rng::Rng;

/// Hands out unique ID numbers: for each county, birth date and sex a counter of the
/// sequence numbers used (the 15th–17th digits; odd for men). A full day moves the birth date
/// a day earlier. Memory is fixed (about 2 MB) whatever the number of people.
pub struct IdNumbers {
    first: BusinessDate,
    days: usize,
    counters: Vec<u16>,
}

impl Default for IdNumbers {
    fn default() -> Self {
        Self::new()
    }
}

impl IdNumbers {
    pub fn new() -> IdNumbers {
        let first = plan::date(1905, 1, 1);
        let days = first.days_until(plan::as_of()) as usize + 1;
        IdNumbers {
            first,
            days,
            counters: vec![0; days * 2 * plan::COUNTIES.len()],
        }
    }

    /// A new ID number for someone born on `birth` (or a nearby earlier day) in the county.
    pub fn issue(
        &mut self,
        county_index: usize,
        county_code: &str,
        birth: BusinessDate,
        male: bool,
    ) -> (String, BusinessDate) {
        let mut birth = birth.max(self.first).min(plan::as_of());
        loop {
            let day = self.first.days_until(birth) as usize;
            let slot = (county_index * 2 + usize::from(male)) * self.days + day;
            let used = self.counters[slot];
            // Men 001, 003 … 999; women 002, 004 … 998.
            let limit = if male { 500 } else { 499 };
            if used < limit {
                self.counters[slot] = used + 1;
                let sequence = if male {
                    u32::from(used) * 2 + 1
                } else {
                    u32::from(used) * 2 + 2
                };
                let body = format!(
                    "{county_code}{:04}{:02}{:02}{sequence:03}",
                    birth.year(),
                    birth.month(),
                    birth.day()
                );
                let check = check_character(&body).expect("17 digits");
                return (format!("{body}{check}"), birth);
            }
            birth = match birth.pred() {
                Some(day) if day >= self.first => day,
                _ => plan::as_of(),
            };
        }
    }
}

/// A member as the registry file lists them.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    pub id_number: String,
    pub relation: &'static str,
    pub birth: BusinessDate,
    pub labour: &'static str,
    pub phone: Option<String>,
}

/// A household as the registry file lists it.
#[derive(Clone, Debug)]
pub struct Household {
    pub id: String,
    pub status: &'static str,
    pub exited_year: Option<i32>,
    pub attribute: &'static str,
    pub main_cause: &'static str,
    pub other_causes: Vec<&'static str>,
    pub identified_on: BusinessDate,
    /// Per-capita income in fen.
    pub income_fen: i64,
    pub members: Vec<Member>,
}

impl Household {
    pub fn head(&self) -> &Member {
        &self.members[0]
    }

    pub fn head_age_on(&self, date: BusinessDate) -> i32 {
        crate::loans::rules::age_on(self.head().birth, date)
    }

    /// Whether the poor-population indicator counts its members.
    pub fn counts_as_poor(&self) -> bool {
        matches!(self.status, "poor" | "relapsed")
    }
}

/// What the caller decides about a household before it is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Draft {
    pub size: usize,
    /// `poor`, `relapsed` or `exited`.
    pub status: &'static str,
    /// Head's age on the scenario date within this range (borrowers need 18–65 at signing).
    pub head_age: Option<(i32, i32)>,
}

/// Member counts of poor households: 1 to 7, mean about 3.4.
const SIZE_WEIGHTS: [u64; 7] = [10, 18, 24, 24, 15, 7, 2];

/// A household size drawn from the usual distribution.
pub fn draw_size(rng: &mut Rng) -> usize {
    rng.weighted(&SIZE_WEIGHTS) + 1
}

/// Sizes of `households` households holding exactly `people` people, one at a time: each draw
/// is clamped so the rest still fits (1 to 7 members each).
#[derive(Clone, Debug)]
pub struct SizeSplit {
    people_left: i64,
    households_left: i64,
}

impl SizeSplit {
    pub fn new(people: i64, households: i64) -> SizeSplit {
        SizeSplit {
            people_left: people,
            households_left: households,
        }
    }

    /// The next size; `at_least` asks for a bigger household when the rest allows it.
    pub fn next(&mut self, rng: &mut Rng, at_least: usize) -> usize {
        let h = self.households_left;
        if h <= 0 {
            return 0;
        }
        let size = if h == 1 {
            self.people_left
        } else {
            let draw = (draw_size(rng) as i64).max(at_least as i64);
            let low = 1.max(self.people_left - 7 * (h - 1));
            let high = self.people_left - (h - 1);
            draw.clamp(low, high.max(low))
        };
        self.people_left -= size;
        self.households_left -= 1;
        size as usize
    }
}

const CAUSES: [(&str, u64); 12] = [
    ("illness", 38),
    ("disability", 13),
    ("education", 8),
    ("disaster", 3),
    ("lack_land", 2),
    ("lack_water", 1),
    ("lack_skills", 10),
    ("lack_labour", 10),
    ("lack_funds", 10),
    ("transport", 2),
    ("lack_motivation", 2),
    ("other", 1),
];

fn cause(rng: &mut Rng) -> &'static str {
    let weights: Vec<u64> = CAUSES.iter().map(|(_, w)| *w).collect();
    CAUSES[rng.weighted(&weights)].0
}

fn birth_for_age(rng: &mut Rng, age: i32) -> BusinessDate {
    let as_of = plan::as_of();
    // Born between `age + 1` years and `age` years before the scenario date.
    let latest = as_of
        .naive()
        .checked_sub_months(chrono::Months::new(age.max(0) as u32 * 12))
        .and_then(BusinessDate::from_naive)
        .unwrap_or(as_of);
    let back = rng.range(1, 364);
    latest.add_days(-back).unwrap_or(latest)
}

fn labour_for(rng: &mut Rng, age: i32) -> &'static str {
    match age {
        ..=15 => "none",
        16..=59 => {
            if rng.per_mille(180) {
                "skilled"
            } else if rng.per_mille(120) {
                "weak"
            } else {
                "normal"
            }
        }
        60..=69 => {
            if rng.per_mille(500) {
                "weak"
            } else {
                "normal"
            }
        }
        _ => {
            if rng.per_mille(600) {
                "none"
            } else {
                "weak"
            }
        }
    }
}

fn phone(rng: &mut Rng) -> String {
    let prefix = rng.pick(&[
        "133", "135", "137", "139", "150", "152", "158", "180", "187", "189",
    ]);
    format!("{prefix}{:08}", rng.below(100_000_000))
}

/// Draws one household of `draft.size` members in `village`.
pub fn household(
    rng: &mut Rng,
    ids: &mut IdNumbers,
    county_index: usize,
    county_code: &str,
    id: String,
    draft: Draft,
) -> Household {
    let surname = names::surname(rng);
    let head_male = rng.per_mille(860);
    let head_age = match draft.head_age {
        Some((low, high)) => rng.range(i64::from(low), i64::from(high)) as i32,
        None => match rng.below(100) {
            0..=11 => rng.range(26, 39) as i32,
            12..=46 => rng.range(40, 54) as i32,
            47..=74 => rng.range(55, 64) as i32,
            _ => rng.range(65, 86) as i32,
        },
    };
    let size = draft.size.max(1);
    let mut people: Vec<(&'static str, i32, bool)> = vec![("head", head_age, head_male)];
    if size >= 2 && head_age < 82 && rng.per_mille(850) {
        let age = (head_age + rng.range(-4, 3) as i32).clamp(20, 90);
        people.push(("spouse", age, !head_male));
    }
    let mut children = 0;
    while people.len() < size {
        let roll = rng.below(100);
        let (relation, age) = if head_age >= 58 && children >= 1 && roll < 55 {
            (
                "grandchild",
                (head_age - rng.range(44, 56) as i32).clamp(0, 17),
            )
        } else if head_age <= 42 && roll < 12 && !people.iter().any(|p| p.0 == "parent") {
            ("parent", (head_age + rng.range(22, 32) as i32).min(92))
        } else if roll < 97 {
            children += 1;
            let oldest = (head_age - 20).max(0);
            let age = (oldest - rng.range(0, 12) as i32 - 2 * (children - 1)).max(0);
            ("child", age)
        } else {
            ("other", rng.range(10, 70) as i32)
        };
        people.push((relation, age, rng.per_mille(520)));
    }
    let members = people
        .into_iter()
        .enumerate()
        .map(|(index, (relation, age, male))| {
            let (id_number, birth) =
                ids.issue(county_index, county_code, birth_for_age(rng, age), male);
            let own_surname = !matches!(relation, "spouse" | "other") || male;
            let name = names::person_name(rng, surname, male, own_surname);
            let actual_age = crate::loans::rules::age_on(birth, plan::as_of());
            Member {
                name,
                id_number,
                relation,
                birth,
                labour: labour_for(rng, actual_age),
                phone: (index == 0 && rng.per_mille(850)).then(|| phone(rng)),
            }
        })
        .collect::<Vec<_>>();
    let main_cause = if head_age >= 70 && size <= 2 && rng.per_mille(400) {
        "lack_labour"
    } else {
        cause(rng)
    };
    let mut other_causes: Vec<&'static str> = Vec::new();
    for _ in 0..rng.weighted(&[50, 35, 15]) {
        let other = cause(rng);
        if other != main_cause && !other_causes.contains(&other) {
            other_causes.push(other);
        }
    }
    other_causes.sort_unstable();
    let attribute = if size == 1 && head_age >= 60 && rng.per_mille(600) {
        "five_guarantee"
    } else {
        match rng.below(100) {
            0..=71 => "general",
            72..=91 => "low_income_poor",
            _ => "low_income",
        }
    };
    let identified_on = if rng.per_mille(850) {
        plan::date(2014, 4, 1)
            .add_days(rng.range(0, 200))
            .expect("2014")
    } else {
        plan::date(2015, 3, 1)
            .add_days(rng.range(0, 240))
            .expect("2015")
    };
    let exited_year = (draft.status == "exited")
        .then(|| (rng.range(i64::from(identified_on.year()), 2016) as i32).max(2015));
    let income_fen = match draft.status {
        "exited" => rng.range(340_000, 900_000),
        _ => rng.range(180_000, 320_000),
    };
    Household {
        id,
        status: draft.status,
        exited_year,
        attribute,
        main_cause,
        other_causes,
        identified_on,
        income_fen,
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fupin_core::ResidentId;

    #[test]
    fn id_numbers_are_valid_and_unique() {
        let mut ids = IdNumbers::new();
        let mut seen = std::collections::HashSet::new();
        let birth = plan::date(1970, 5, 5);
        for n in 0..1_200 {
            let (id, born) = ids.issue(8, "361128", birth, n % 2 == 0);
            let parsed = ResidentId::parse(&id, plan::as_of()).expect("valid");
            assert_eq!(parsed.birth_date(), born);
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn sizes_add_up() {
        let mut rng = Rng::new(1);
        for (people, households) in [(34, 10), (1, 1), (7, 1), (100, 29), (3, 3)] {
            let mut split = SizeSplit::new(people, households);
            let sizes: Vec<usize> = (0..households).map(|_| split.next(&mut rng, 2)).collect();
            assert_eq!(sizes.iter().sum::<usize>() as i64, people);
            assert!(sizes.iter().all(|s| (1..=7).contains(s)), "{sizes:?}");
        }
    }

    #[test]
    fn households_are_plausible() {
        let mut rng = Rng::new(4);
        let mut ids = IdNumbers::new();
        for n in 0..200 {
            let draft = Draft {
                size: 1 + n % 7,
                status: "poor",
                head_age: Some((25, 60)),
            };
            let household = household(&mut rng, &mut ids, 0, "361102", format!("H{n}"), draft);
            assert_eq!(household.members.len(), draft.size);
            let age = household.head_age_on(plan::as_of());
            assert!((25..=60).contains(&age), "{age}");
            assert_eq!(household.members[0].relation, "head");
            assert!(!household.other_causes.contains(&household.main_cause));
        }
    }
}
