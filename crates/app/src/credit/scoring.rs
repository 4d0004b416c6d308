//! Scorecards as data, and rating with them: factor inputs → points → score → grade →
//! recommended line. Pure: no database.
//!
//! A scorecard has factors, each with full marks (its weight; the weights sum to 100) and a
//! point scale of named levels (`good` = 30 …); an input is a level's name or a whole number of
//! points from 0 to the weight. The score is the sum of the points (0–100). Grades are
//! thresholds, highest first; the lowest starts at 0, so every score has a grade. Each grade
//! maps to a recommended line (0 = no line), never above the poverty micro-credit cap.

use fupin_core::{BusinessDate, Fen};
use fupin_store::credit::{Factor, GradeBand, Scorecard};

use crate::loans::rules::MICROCREDIT_MAX_AMOUNT;

/// Total of a scorecard's weights, and the highest score.
pub const SCORE_MAX: i64 = 100;

/// The date the built-in default scorecard applies from.
pub fn default_effective_from() -> BusinessDate {
    BusinessDate::from_ymd(2000, 1, 1).expect("a valid date")
}

/// The built-in default scorecard (domain research §4): integrity 30, labour and skills 20,
/// income 20, assets 15, development project 15; AAA ≥ 90 → 50,000 yuan, AA ≥ 80 → 30,000,
/// A ≥ 70 → 10,000, B below 70 → no line.
pub fn default_scorecard() -> Scorecard {
    let factor = |code: &str, name: &str, weight: i64, levels: &[(&str, i64)]| Factor {
        code: code.to_string(),
        name: name.to_string(),
        weight,
        levels: levels
            .iter()
            .map(|(level, points)| (level.to_string(), *points))
            .collect(),
    };
    let grade = |grade: &str, min_score: i64, yuan: i64| GradeBand {
        grade: grade.to_string(),
        min_score,
        line: Fen::from_yuan(yuan).expect("a small amount"),
    };
    Scorecard {
        institution_code: None,
        effective_from: default_effective_from(),
        name: "默认农户信用评分表 default household scorecard".to_string(),
        factors: vec![
            factor(
                "integrity",
                "诚信度",
                30,
                &[("excellent", 30), ("good", 24), ("fair", 15), ("poor", 0)],
            ),
            factor(
                "labour",
                "劳动力与技能",
                20,
                &[("skilled", 20), ("normal", 15), ("weak", 8), ("none", 0)],
            ),
            factor(
                "income",
                "收入",
                20,
                &[("high", 20), ("medium", 14), ("low", 8), ("none", 0)],
            ),
            factor(
                "assets",
                "家庭资产",
                15,
                &[("good", 15), ("fair", 10), ("poor", 5), ("none", 0)],
            ),
            factor(
                "project",
                "发展项目",
                15,
                &[("strong", 15), ("viable", 10), ("weak", 5), ("none", 0)],
            ),
        ],
        grades: vec![
            grade("AAA", 90, 50_000),
            grade("AA", 80, 30_000),
            grade("A", 70, 10_000),
            grade("B", 0, 0),
        ],
    }
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Puts the grades highest threshold first and checks the scorecard: factor codes unique,
/// weights summing to 100, levels within each factor's weight with one at full marks, grade
/// names unique, thresholds distinct within 0–100 with the lowest at 0, lines never above the
/// micro-credit cap and never higher for a lower grade.
pub fn validate(card: &mut Scorecard) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if card.name.trim().is_empty() {
        problems.push("a scorecard needs a name".to_string());
    }
    if card.factors.is_empty() {
        problems.push("a scorecard needs at least one factor".to_string());
    }
    let mut codes = std::collections::BTreeSet::new();
    for factor in &card.factors {
        if !is_code(&factor.code) {
            problems.push(format!(
                "factor {:?}: a code is up to 64 letters, digits, '-', '_' or '.'",
                factor.code
            ));
        }
        if !codes.insert(factor.code.as_str()) {
            problems.push(format!("factor {} appears twice", factor.code));
        }
        if !(1..=SCORE_MAX).contains(&factor.weight) {
            problems.push(format!(
                "factor {}: the weight {} is not between 1 and {SCORE_MAX}",
                factor.code, factor.weight
            ));
        }
        let mut levels = std::collections::BTreeSet::new();
        for (level, points) in &factor.levels {
            if !is_code(level) {
                problems.push(format!(
                    "factor {}: level {level:?} is not a code (letters, digits, '-', '_', '.')",
                    factor.code
                ));
            }
            if !levels.insert(level.as_str()) {
                problems.push(format!(
                    "factor {}: level {level} appears twice",
                    factor.code
                ));
            }
            if !(0..=factor.weight).contains(points) {
                problems.push(format!(
                    "factor {}: level {level} has {points} points, outside 0 to {}",
                    factor.code, factor.weight
                ));
            }
        }
        if !factor.levels.is_empty() && !factor.levels.iter().any(|(_, p)| *p == factor.weight) {
            problems.push(format!(
                "factor {}: no level gives full marks ({})",
                factor.code, factor.weight
            ));
        }
    }
    let total: i64 = card.factors.iter().map(|f| f.weight).sum();
    if !card.factors.is_empty() && total != SCORE_MAX {
        problems.push(format!("the weights sum to {total}, not {SCORE_MAX}"));
    }
    card.grades
        .sort_by(|a, b| b.min_score.cmp(&a.min_score).then(a.grade.cmp(&b.grade)));
    if card.grades.is_empty() {
        problems.push("a scorecard needs at least one grade".to_string());
    }
    let mut names = std::collections::BTreeSet::new();
    for band in &card.grades {
        if !is_code(&band.grade) {
            problems.push(format!(
                "grade {:?}: a grade is up to 64 letters, digits, '-', '_' or '.'",
                band.grade
            ));
        }
        if !names.insert(band.grade.as_str()) {
            problems.push(format!("grade {} appears twice", band.grade));
        }
        if !(0..=SCORE_MAX).contains(&band.min_score) {
            problems.push(format!(
                "grade {}: the threshold {} is not between 0 and {SCORE_MAX}",
                band.grade, band.min_score
            ));
        }
        if band.line.is_negative() || band.line > MICROCREDIT_MAX_AMOUNT {
            problems.push(format!(
                "grade {}: the line {} is not between 0 and the micro-credit cap of {MICROCREDIT_MAX_AMOUNT}",
                band.grade, band.line
            ));
        }
    }
    for pair in card.grades.windows(2) {
        if pair[0].min_score == pair[1].min_score {
            problems.push(format!(
                "grades {} and {} have the same threshold {}",
                pair[0].grade, pair[1].grade, pair[0].min_score
            ));
        }
        if pair[1].line > pair[0].line {
            problems.push(format!(
                "grade {} (from {}) has a higher line than grade {} (from {})",
                pair[1].grade, pair[1].min_score, pair[0].grade, pair[0].min_score
            ));
        }
    }
    if card
        .grades
        .last()
        .is_some_and(|lowest| lowest.min_score != 0)
    {
        problems.push(
            "the lowest grade must start at 0, so that every score has a grade (e.g. B:0:0)"
                .to_string(),
        );
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(problems),
    }
}

/// One factor's input and the points it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactorPoints {
    pub code: String,
    /// As given: a level's name or a number.
    pub input: String,
    pub points: i64,
}

/// The points of every factor and their sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scored {
    pub factors: Vec<FactorPoints>,
    pub score: i64,
}

impl Scored {
    /// JSON of the inputs, as kept on a credit file: `{"integrity": {"input": "good",
    /// "points": 24}, …}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.factors
                .iter()
                .map(|f| {
                    (
                        f.code.clone(),
                        serde_json::json!({"input": f.input, "points": f.points}),
                    )
                })
                .collect(),
        )
    }
}

/// Parses factor inputs written as a list (`integrity=good; labour=15`, also `:` or `：`
/// between the factor and its value, and `;`, `；`, `、` or `,` between items).
pub fn parse_inputs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut inputs = Vec::new();
    for item in text
        .split([';', '；', '、', ','])
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let Some((factor, value)) = item.split_once(['=', ':', '：', '＝']) else {
            return Err(format!(
                "{item:?} is not FACTOR=VALUE (e.g. integrity=good; labour=15)"
            ));
        };
        let (factor, value) = (factor.trim(), value.trim());
        if factor.is_empty() || value.is_empty() {
            return Err(format!("{item:?} is not FACTOR=VALUE"));
        }
        inputs.push((factor.to_string(), value.to_string()));
    }
    Ok(inputs)
}

/// Scores factor inputs: every factor of the card exactly once (by code or name), each a
/// level's name or whole points from 0 to its weight.
pub fn score(card: &Scorecard, inputs: &[(String, String)]) -> Result<Scored, Vec<String>> {
    let mut problems = Vec::new();
    let mut given: Vec<Option<(String, i64)>> = vec![None; card.factors.len()];
    let mut mentioned = vec![false; card.factors.len()];
    for (key, value) in inputs {
        let Some(index) = card
            .factors
            .iter()
            .position(|f| f.code.eq_ignore_ascii_case(key) || f.name == *key)
        else {
            let known: Vec<&str> = card.factors.iter().map(|f| f.code.as_str()).collect();
            problems.push(format!(
                "{key} is not a factor of the scorecard ({})",
                known.join(", ")
            ));
            continue;
        };
        let factor = &card.factors[index];
        if mentioned[index] {
            problems.push(format!("factor {} is given twice", factor.code));
            continue;
        }
        mentioned[index] = true;
        match factor_points(factor, value) {
            Ok(points) => given[index] = Some((value.clone(), points)),
            Err(problem) => problems.push(problem),
        }
    }
    let mut factors = Vec::with_capacity(card.factors.len());
    for ((factor, input), mentioned) in card.factors.iter().zip(given).zip(mentioned) {
        match input {
            Some((input, points)) => factors.push(FactorPoints {
                code: factor.code.clone(),
                input,
                points,
            }),
            None if !mentioned => problems.push(format!("factor {} is missing", factor.code)),
            None => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let score = factors.iter().map(|f| f.points).sum();
    Ok(Scored { factors, score })
}

fn factor_points(factor: &Factor, value: &str) -> Result<i64, String> {
    if let Some((_, points)) = factor
        .levels
        .iter()
        .find(|(level, _)| level.eq_ignore_ascii_case(value))
    {
        return Ok(*points);
    }
    match value.parse::<i64>() {
        Ok(points) if (0..=factor.weight).contains(&points) => Ok(points),
        Ok(points) => Err(format!(
            "factor {}: {points} points is outside 0 to {}",
            factor.code, factor.weight
        )),
        Err(_) => {
            let levels: Vec<String> = factor
                .levels
                .iter()
                .map(|(level, points)| format!("{level} ({points})"))
                .collect();
            let scale = match levels.is_empty() {
                true => format!("whole points from 0 to {}", factor.weight),
                false => format!(
                    "one of {} or whole points from 0 to {}",
                    levels.join(", "),
                    factor.weight
                ),
            };
            Err(format!("factor {}: {value:?} is not {scale}", factor.code))
        }
    }
}

/// The grade of a score: the highest threshold at or below it.
pub fn grade_for(card: &Scorecard, score: i64) -> Option<&GradeBand> {
    card.grades
        .iter()
        .filter(|band| band.min_score <= score)
        .max_by_key(|band| band.min_score)
}

/// The recommended line of a grade, capped at the poverty micro-credit maximum.
pub fn line_for(band: &GradeBand) -> Fen {
    band.line.min(MICROCREDIT_MAX_AMOUNT)
}

/// A factor as written on the command line: `CODE:NAME:WEIGHT[:LEVEL=POINTS,…]`, e.g.
/// `integrity:诚信度:30:excellent=30,good=24,fair=15,poor=0`.
pub fn parse_factor_spec(text: &str) -> Result<Factor, String> {
    let parts: Vec<&str> = text.splitn(4, ':').map(str::trim).collect();
    if parts.len() < 3 {
        return Err(format!(
            "{text:?} is not CODE:NAME:WEIGHT[:LEVEL=POINTS,…] (e.g. integrity:诚信度:30:good=30,fair=20,poor=0)"
        ));
    }
    let weight = parts[2]
        .parse::<i64>()
        .map_err(|_| format!("{text:?}: the weight {:?} is not a whole number", parts[2]))?;
    let mut levels = Vec::new();
    if let Some(scale) = parts.get(3) {
        for item in scale
            .split([',', ';', '；', '、'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (level, points) = item
                .split_once('=')
                .ok_or_else(|| format!("{text:?}: level {item:?} is not LEVEL=POINTS"))?;
            let points = points
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("{text:?}: level {item:?} does not give whole points"))?;
            levels.push((level.trim().to_string(), points));
        }
    }
    Ok(Factor {
        code: parts[0].to_string(),
        name: parts[1].to_string(),
        weight,
        levels,
    })
}

/// A grade as written on the command line: `GRADE:MIN_SCORE:LINE` (line in yuan), e.g.
/// `AAA:90:50000`.
pub fn parse_grade_spec(text: &str) -> Result<GradeBand, String> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let [grade, min_score, line] = parts.as_slice() else {
        return Err(format!(
            "{text:?} is not GRADE:MIN_SCORE:LINE (e.g. AAA:90:50000)"
        ));
    };
    let min_score = min_score
        .parse::<i64>()
        .map_err(|_| format!("{text:?}: the threshold {min_score:?} is not a whole number"))?;
    let line = Fen::parse_yuan(line).map_err(|e| format!("{text:?}: {e}"))?;
    Ok(GradeBand {
        grade: grade.to_string(),
        min_score,
        line,
    })
}

/// JSON of a scorecard version.
pub fn scorecard_json(card: &Scorecard) -> serde_json::Value {
    serde_json::json!({
        "institution_code": card.institution_code,
        "effective_from": card.effective_from.to_string(),
        "name": card.name,
        "factors": card.factors.iter().map(|f| serde_json::json!({
            "code": f.code,
            "name": f.name,
            "weight": f.weight,
            "levels": f.levels.iter().map(|(level, points)| serde_json::json!({
                "level": level, "points": points,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "grades": card.grades.iter().map(|g| serde_json::json!({
            "grade": g.grade,
            "min_score": g.min_score,
            "line": g.line.to_plain_yuan(),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(text: &str) -> Vec<(String, String)> {
        parse_inputs(text).expect("inputs")
    }

    #[test]
    fn the_default_scorecard_is_valid_and_sums_to_100() {
        let mut card = default_scorecard();
        validate(&mut card).expect("valid");
        assert_eq!(card.factors.iter().map(|f| f.weight).sum::<i64>(), 100);
    }

    #[test]
    fn factor_inputs_give_a_score_a_grade_and_a_line() {
        let card = default_scorecard();
        let scored = score(
            &card,
            &inputs(
                "integrity=excellent; labour=skilled; income=high; assets=good; project=strong",
            ),
        )
        .expect("scored");
        assert_eq!(scored.score, 100);
        let scored = score(
            &card,
            &inputs("integrity=good；labour=15、income=14,assets=fair; 发展项目：viable"),
        )
        .expect("scored");
        assert_eq!(scored.score, 24 + 15 + 14 + 10 + 10);
        let band = grade_for(&card, scored.score).expect("grade");
        assert_eq!(
            (band.grade.as_str(), line_for(band)),
            ("A", Fen::new(1_000_000))
        );
        let expect = |score: i64, grade: &str, yuan: i64| {
            let band = grade_for(&card, score).expect("grade");
            assert_eq!(band.grade, grade, "score {score}");
            assert_eq!(
                line_for(band),
                Fen::from_yuan(yuan).unwrap(),
                "score {score}"
            );
        };
        expect(100, "AAA", 50_000);
        expect(90, "AAA", 50_000);
        expect(89, "AA", 30_000);
        expect(80, "AA", 30_000);
        expect(79, "A", 10_000);
        expect(70, "A", 10_000);
        expect(69, "B", 0);
        expect(0, "B", 0);
    }

    #[test]
    fn bad_inputs_are_named() {
        let card = default_scorecard();
        let problems = score(&card, &inputs("integrity=superb; labour=21; luck=5")).unwrap_err();
        let text = problems.join("\n");
        assert!(
            text.contains("integrity: \"superb\" is not one of excellent (30)"),
            "{text}"
        );
        assert!(
            text.contains("labour: 21 points is outside 0 to 20"),
            "{text}"
        );
        assert!(text.contains("luck is not a factor"), "{text}");
        assert!(text.contains("factor income is missing"), "{text}");
        assert!(parse_inputs("integrity").is_err());
    }

    #[test]
    fn scorecards_are_checked() {
        let mut card = default_scorecard();
        card.factors[0].weight = 25;
        card.grades.push(GradeBand {
            grade: "AAAA".into(),
            min_score: 95,
            line: Fen::from_yuan(60_000).unwrap(),
        });
        card.grades.retain(|g| g.grade != "B");
        let text = validate(&mut card).unwrap_err().join("\n");
        assert!(text.contains("the weights sum to 95, not 100"), "{text}");
        assert!(text.contains("no level gives full marks (25)"), "{text}");
        assert!(text.contains("the micro-credit cap"), "{text}");
        assert!(text.contains("the lowest grade must start at 0"), "{text}");
        let mut inverted = default_scorecard();
        inverted.grades[1].line = Fen::from_yuan(50_000).unwrap();
        inverted.grades[0].line = Fen::from_yuan(40_000).unwrap();
        let text = validate(&mut inverted).unwrap_err().join("\n");
        assert!(
            text.contains("grade AA (from 80) has a higher line than grade AAA"),
            "{text}"
        );
    }

    #[test]
    fn command_line_specs_parse() {
        let factor = parse_factor_spec("integrity:诚信度:30:good=30, fair=20,poor=0").unwrap();
        assert_eq!(factor.weight, 30);
        assert_eq!(factor.levels[1], ("fair".to_string(), 20));
        assert!(parse_factor_spec("integrity:30").is_err());
        let grade = parse_grade_spec("AA:80:30,000").unwrap();
        assert_eq!((grade.min_score, grade.line), (80, Fen::new(3_000_000)));
        assert!(parse_grade_spec("AA:80").is_err());
    }
}
