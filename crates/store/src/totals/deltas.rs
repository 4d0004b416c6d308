//! The deltas of the running totals, computed from a village's base rows: the same definitions
//! as the reference queries (`indicators::poor_households`, `indicators::poor_population`,
//! `credit::household_counts`), evaluated on every day a count can change.
//!
//! Dates are ISO text (`YYYY-MM-DD`), which order as the days they name; an open end
//! (`valid_to` null) is `None`, later than any day.

use std::collections::BTreeMap;

/// The counts kept, in the order of [`Deltas`]' arrays and the table's columns.
pub const MEASURES: [&str; 6] = [
    "poor_households",
    "poor_people",
    "registered",
    "eligible",
    "rated",
    "with_line",
];

const POOR_HOUSEHOLDS: usize = 0;
const POOR_PEOPLE: usize = 1;
const REGISTERED: usize = 2;
const ELIGIBLE: usize = 3;
const RATED: usize = 4;
const WITH_LINE: usize = 5;

/// The change of every count per (village, day); days on which nothing changes are absent.
pub type Deltas = BTreeMap<(String, String), [i64; 6]>;

/// A household version: its village, validity and status.
#[derive(Clone, Debug)]
pub struct Version {
    pub household_id: String,
    pub village_code: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub status: String,
}

/// A member version of a poor or relapsed household version, both validities given.
#[derive(Clone, Debug)]
pub struct Membership {
    pub village_code: String,
    pub version_from: String,
    pub version_to: Option<String>,
    pub member_from: String,
    pub member_to: Option<String>,
}

/// A credit file: its date, and whether it is a rating (not an exemption).
#[derive(Clone, Debug)]
pub struct File {
    pub household_id: String,
    pub assessed_on: String,
    pub rated: bool,
}

/// A credit line: institution, grant date and expiry.
#[derive(Clone, Debug)]
pub struct Line {
    pub household_id: String,
    pub institution_code: String,
    pub granted_on: String,
    pub expires_on: String,
}

/// The base rows of a set of villages: their versions, the memberships of their poor
/// versions, and every credit file and line of their households (any village).
#[derive(Clone, Debug, Default)]
pub struct BaseRows {
    pub versions: Vec<Version>,
    pub memberships: Vec<Membership>,
    pub files: Vec<File>,
    pub lines: Vec<Line>,
}

/// The deltas of the villages whose base rows are given.
pub fn deltas(rows: &BaseRows) -> Deltas {
    let mut out = Deltas::new();
    let mut files: BTreeMap<&str, Vec<&File>> = BTreeMap::new();
    for file in &rows.files {
        files.entry(&file.household_id).or_default().push(file);
    }
    let mut lines: BTreeMap<&str, Vec<&Line>> = BTreeMap::new();
    for line in &rows.lines {
        lines.entry(&line.household_id).or_default().push(line);
    }
    for version in &rows.versions {
        let own_files = files
            .get(version.household_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let own_lines = lines
            .get(version.household_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        add_version(&mut out, version, own_files, own_lines);
    }
    for membership in &rows.memberships {
        add_membership(&mut out, membership);
    }
    out.retain(|_, counts| counts.iter().any(|n| *n != 0));
    out
}

fn add(out: &mut Deltas, village: &str, day: &str, measure: usize, delta: i64) {
    let slot = out
        .entry((village.to_string(), day.to_string()))
        .or_insert([0; 6]);
    slot[measure] += delta;
}

/// Whether `day` falls before the open or closed end `end`.
fn before(day: &str, end: Option<&str>) -> bool {
    end.is_none_or(|end| day < end)
}

/// A poor or relapsed version's member: counted from the later start to the earlier end.
fn add_membership(out: &mut Deltas, m: &Membership) {
    let start = m.version_from.as_str().max(m.member_from.as_str());
    let end = match (m.version_to.as_deref(), m.member_to.as_deref()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if !before(start, end) {
        return;
    }
    add(out, &m.village_code, start, POOR_PEOPLE, 1);
    if let Some(end) = end {
        add(out, &m.village_code, end, POOR_PEOPLE, -1);
    }
}

/// A version's household counts, and its coverage flags on every day they can change.
fn add_version(out: &mut Deltas, v: &Version, files: &[&File], lines: &[&Line]) {
    let end = v.valid_to.as_deref();
    if !before(&v.valid_from, end) {
        return;
    }
    let village = v.village_code.as_str();
    let mut counted = vec![REGISTERED];
    if v.status == "poor" || v.status == "relapsed" {
        counted.push(POOR_HOUSEHOLDS);
    }
    for &measure in &counted {
        add(out, village, &v.valid_from, measure, 1);
        if let Some(end) = end {
            add(out, village, end, measure, -1);
        }
    }
    let mut days: Vec<&str> = files.iter().map(|f| f.assessed_on.as_str()).collect();
    days.extend(
        lines
            .iter()
            .flat_map(|l| [l.granted_on.as_str(), l.expires_on.as_str()]),
    );
    days.retain(|day| *day > v.valid_from.as_str() && before(day, end));
    days.push(&v.valid_from);
    days.sort_unstable();
    days.dedup();
    let mut state = [false; 3];
    for day in days {
        let now = coverage_on(files, lines, day);
        for (i, measure) in [ELIGIBLE, RATED, WITH_LINE].into_iter().enumerate() {
            if now[i] != state[i] {
                add(out, village, day, measure, if now[i] { 1 } else { -1 });
            }
        }
        state = now;
    }
    if let Some(end) = end {
        for (i, measure) in [ELIGIBLE, RATED, WITH_LINE].into_iter().enumerate() {
            if state[i] {
                add(out, village, end, measure, -1);
            }
        }
    }
}

/// Eligible, rated and with a line in force on `day`, as `credit::household_counts` defines
/// them: exempt when the latest exemption is later than the latest rating (both on or before
/// the day); a line in force from its grant until its expiry or a later grant of the same
/// institution.
fn coverage_on(files: &[&File], lines: &[&Line], day: &str) -> [bool; 3] {
    let latest = |rated: bool| {
        files
            .iter()
            .filter(|f| f.rated == rated && f.assessed_on.as_str() <= day)
            .map(|f| f.assessed_on.as_str())
            .max()
    };
    let (last_rated, last_exempt) = (latest(true), latest(false));
    let eligible = match (last_rated, last_exempt) {
        (_, None) => true,
        (Some(rated), Some(exempt)) => rated >= exempt,
        (None, Some(_)) => false,
    };
    let rated = eligible && last_rated.is_some();
    let in_force = |l: &&&Line| {
        l.granted_on.as_str() <= day
            && l.expires_on.as_str() > day
            && !lines.iter().any(|later| {
                later.institution_code == l.institution_code
                    && later.granted_on > l.granted_on
                    && later.granted_on.as_str() <= day
            })
    };
    let with_line = eligible && lines.iter().any(|l| in_force(&l));
    [eligible, rated, with_line]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(from: &str, to: Option<&str>, status: &str) -> Version {
        Version {
            household_id: "h".into(),
            village_code: "v".into(),
            valid_from: from.into(),
            valid_to: to.map(str::to_string),
            status: status.into(),
        }
    }

    fn file(on: &str, rated: bool) -> File {
        File {
            household_id: "h".into(),
            assessed_on: on.into(),
            rated,
        }
    }

    fn line(institution: &str, from: &str, to: &str) -> Line {
        Line {
            household_id: "h".into(),
            institution_code: institution.into(),
            granted_on: from.into(),
            expires_on: to.into(),
        }
    }

    fn at(deltas: &Deltas, day: &str) -> [i64; 6] {
        deltas.iter().filter(|((_, d), _)| d.as_str() <= day).fold(
            [0; 6],
            |mut sum, (_, counts)| {
                for (s, c) in sum.iter_mut().zip(counts) {
                    *s += c;
                }
                sum
            },
        )
    }

    #[test]
    fn exemption_rating_and_replaced_lines_step_as_the_queries_define() {
        let rows = BaseRows {
            versions: vec![
                version("2016-01-01", Some("2016-06-01"), "poor"),
                version("2016-06-01", None, "exited"),
            ],
            memberships: Vec::new(),
            files: vec![file("2016-02-01", false), file("2016-03-01", true)],
            lines: vec![
                line("b", "2016-04-01", "2019-01-01"),
                line("b", "2016-08-01", "2016-09-01"),
            ],
        };
        let deltas = deltas(&rows);
        assert_eq!(at(&deltas, "2016-01-15"), [1, 0, 1, 1, 0, 0]);
        assert_eq!(at(&deltas, "2016-02-15"), [1, 0, 1, 0, 0, 0]);
        assert_eq!(at(&deltas, "2016-03-15"), [1, 0, 1, 1, 1, 0]);
        assert_eq!(at(&deltas, "2016-04-15"), [1, 0, 1, 1, 1, 1]);
        assert_eq!(at(&deltas, "2016-07-01"), [0, 0, 1, 1, 1, 1]);
        // The later grant replaces the first line, then expires.
        assert_eq!(at(&deltas, "2016-08-15"), [0, 0, 1, 1, 1, 1]);
        assert_eq!(at(&deltas, "2016-09-15"), [0, 0, 1, 1, 1, 0]);
    }

    #[test]
    fn members_count_while_both_versions_hold() {
        let rows = BaseRows {
            memberships: vec![Membership {
                village_code: "v".into(),
                version_from: "2016-01-01".into(),
                version_to: Some("2016-05-01".into()),
                member_from: "2016-03-01".into(),
                member_to: None,
            }],
            ..BaseRows::default()
        };
        let deltas = deltas(&rows);
        assert_eq!(at(&deltas, "2016-02-01")[POOR_PEOPLE], 0);
        assert_eq!(at(&deltas, "2016-03-01")[POOR_PEOPLE], 1);
        assert_eq!(at(&deltas, "2016-05-01")[POOR_PEOPLE], 0);
    }
}
