//! Parsing one member row of a households file into domain types.

use super::*;

/// Parses one member row. On refusal, returns the household id when it could be read (so the
/// household is refused) and the errors.
///
/// Long on purpose: one short block per column, in the file's order, each adding to the one
/// error list; split up, the parts would only hand the row, the map and that list around.
pub(super) fn parse_household_row(
    row: &RawRow,
    map: &HeaderMap,
    as_of: BusinessDate,
) -> std::result::Result<StagedRow, (Option<String>, Vec<FieldError>)> {
    let mut errors = RowErrors::default();
    let damaged = damaged_columns(row, map, &mut errors);
    let ok = |name: &str| !damaged.contains(&name);
    let household_id = ok("household_id")
        .then(|| required(row, map, "household_id", household_id_cell, &mut errors))
        .flatten();
    let village = ok("village_code")
        .then(|| required(row, map, "village_code", village_cell, &mut errors))
        .flatten();
    let name = ok("name")
        .then(|| required_text(row, map, "name", &mut errors))
        .flatten();
    if let Some(name) = &name
        && name.chars().count() > NAME_CHARS_MAX
    {
        errors.push(row.error(
            map,
            "name",
            format!("a name has at most {NAME_CHARS_MAX} characters"),
        ));
    }
    let id = ok("id_number")
        .then(|| id_number(row, map, as_of, &mut errors))
        .flatten();
    let relation = ok("relation")
        .then(|| enumerated(row, map, "relation", RELATIONS, &mut errors))
        .flatten();
    let attribute = ok("poverty_attribute")
        .then(|| {
            enumerated(
                row,
                map,
                "poverty_attribute",
                POVERTY_ATTRIBUTES,
                &mut errors,
            )
        })
        .flatten();
    let main_cause = ok("main_cause")
        .then(|| enumerated(row, map, "main_cause", CAUSES, &mut errors))
        .flatten();
    let other_causes = ok("other_causes")
        .then(|| other_causes(row, map, main_cause, &mut errors))
        .flatten();
    let status = ok("status")
        .then(|| enumerated(row, map, "status", STATUSES, &mut errors))
        .flatten();
    let identified_on = ok("identified_on")
        .then(|| required(row, map, "identified_on", value::date, &mut errors))
        .flatten();
    if let Some(identified_on) = identified_on
        && identified_on > as_of
    {
        errors.push(row.error(
            map,
            "identified_on",
            format!(
                "identified on {identified_on}, after the date of the extract ({as_of}, \
                 --as-of)"
            ),
        ));
    }
    let exited_year = match ok("exited_year") {
        true => exited_year(row, map, status, identified_on, as_of, &mut errors),
        false => Err(()),
    };
    let income = ok("per_capita_income")
        .then(|| required(row, map, "per_capita_income", value::amount, &mut errors))
        .flatten();
    let labour = ok("labour")
        .then(|| enumerated(row, map, "labour", LABOUR, &mut errors))
        .flatten();
    let phone = match ok("phone") {
        true => optional(row, map, "phone", phone_cell, &mut errors),
        false => Err(()),
    };
    let died_on = match ok("died_on") {
        true => died_on(row, map, id.as_ref(), as_of, &mut errors),
        false => Err(()),
    };
    let parsed = (
        village,
        name,
        id,
        relation,
        attribute,
        main_cause,
        other_causes,
        status,
        identified_on,
        exited_year,
        income,
        labour,
        phone,
        died_on,
    );
    let (Some(household_id), true) = (household_id.clone(), errors.is_empty()) else {
        return Err((household_id, errors.0));
    };
    match parsed {
        (
            Some(village_code),
            Some(name),
            Some(id),
            Some(relation),
            Some(poverty_attribute),
            Some(main_cause),
            Some(other_causes),
            Some(status),
            Some(identified_on),
            Ok(exited_year),
            Some(per_capita_income),
            Some(labour),
            Ok(phone),
            Ok(died_on),
        ) => Ok(StagedRow {
            line: i64::try_from(row.line).unwrap_or(i64::MAX),
            household_id,
            facts: HouseholdFacts {
                village_code,
                poverty_attribute: poverty_attribute.to_string(),
                main_cause: main_cause.to_string(),
                other_causes,
                status: status.to_string(),
                exited_year,
                identified_on,
                per_capita_income,
            },
            member: MemberFacts {
                id_number: id.as_str().to_string(),
                name,
                relation: relation.to_string(),
                sex: id.sex().as_str().to_string(),
                birth_date: id.birth_date(),
                labour: labour.to_string(),
                phone,
                died_on,
            },
            moved_from: None,
        }),
        _ => Err((Some(household_id), errors.0)),
    }
}

/// Refuses every text cell that looks like mojibake, naming the damage; returns those columns
/// so that they are not parsed further.
pub(super) fn damaged_columns(
    row: &RawRow,
    map: &HeaderMap,
    errors: &mut RowErrors,
) -> Vec<&'static str> {
    let mut damaged = Vec::new();
    for column in HOUSEHOLD_COLUMNS {
        if !map.has(column.name) {
            continue;
        }
        let Some(text) = row.text(map, column.name) else {
            continue;
        };
        if let Some(reason) = mojibake(&text) {
            let shown = match column.name {
                "id_number" => mask_text(&text),
                _ => text.into_owned(),
            };
            errors.push(FieldError::new(
                row.line,
                map.label(column.name),
                shown,
                format!(
                    "the text looks damaged by a wrong encoding ({reason}); it was not \
                     stored: fix the file and import it again"
                ),
            ));
            damaged.push(column.name);
        }
    }
    damaged
}

pub(super) fn enumerated(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    choices: &[(&str, &str, &'static str)],
    errors: &mut RowErrors,
) -> Option<&'static str> {
    required(
        row,
        map,
        name,
        |cell| value::enumeration(cell, choices),
        errors,
    )
}

/// A household id: a code of letters and digits; a long number typed into Excel is refused
/// because Excel keeps only 15 significant digits.
pub(super) fn household_id_cell(cell: &Cell) -> std::result::Result<String, String> {
    if let Cell::Number(number) = cell
        && number.abs() >= 1e15
    {
        return Err(
            "a household id of 16 or more digits must be a text cell: Excel keeps only 15 \
             digits of a number (format the column as text)"
                .to_string(),
        );
    }
    identifier(cell)
}

pub(super) fn village_cell(cell: &Cell) -> std::result::Result<RegionCode, String> {
    let code = value::region_code(cell)?;
    match code.level() {
        RegionLevel::Village => Ok(code),
        level => Err(format!("{code} is a {level} code, not a village")),
    }
}

/// The ID number, validated with `as_of` as today; errors show it masked.
pub(super) fn id_number(
    row: &RawRow,
    map: &HeaderMap,
    as_of: BusinessDate,
    errors: &mut RowErrors,
) -> Option<ResidentId> {
    let label = map.label("id_number");
    let line = row.line;
    let cell = row.get(map, "id_number");
    let refuse = |shown: String, message: String| FieldError::new(line, label, shown, message);
    match cell {
        cell if cell.is_blank() => {
            errors.push(refuse(String::new(), format!("{label} is required")));
            None
        }
        Cell::Text(text) => match ResidentId::parse(text, as_of) {
            Ok(id) => Some(id),
            Err(error) => {
                errors.push(refuse(mask_text(text.trim()), error.to_string()));
                None
            }
        },
        Cell::Number(_) => {
            errors.push(refuse(
                mask_text(&cell.to_string()),
                "an ID number must be a text cell: Excel keeps only 15 digits of a number \
                 (format the column as text)"
                    .to_string(),
            ));
            None
        }
        other => {
            errors.push(refuse(
                mask_text(&other.to_string()),
                "expected an 18-character ID number".to_string(),
            ));
            None
        }
    }
}

/// At most two other causes, each a known cause other than the main one; sorted, no repeats.
pub(super) fn other_causes(
    row: &RawRow,
    map: &HeaderMap,
    main_cause: Option<&str>,
    errors: &mut RowErrors,
) -> Option<Vec<String>> {
    let mut causes = Vec::new();
    let mut valid = true;
    for item in value::list(row.get(map, "other_causes")) {
        match value::enumeration(&Cell::Text(item), CAUSES) {
            Ok(cause) if Some(cause) == main_cause => {
                errors.push(row.error(
                    map,
                    "other_causes",
                    format!("{cause} is the main cause already; list only other causes"),
                ));
                valid = false;
            }
            Ok(cause) => causes.push(cause.to_string()),
            Err(message) => {
                errors.push(row.error(map, "other_causes", message));
                valid = false;
            }
        }
    }
    causes.sort();
    causes.dedup();
    if causes.len() > 2 {
        errors.push(row.error(
            map,
            "other_causes",
            format!("at most 2 other causes, not {}", causes.len()),
        ));
        valid = false;
    }
    valid.then_some(causes)
}

/// The exit year: required when exited, refused when poor, within 2014..=the extract's year and
/// not before the identification year.
pub(super) fn exited_year(
    row: &RawRow,
    map: &HeaderMap,
    status: Option<&str>,
    identified_on: Option<BusinessDate>,
    as_of: BusinessDate,
    errors: &mut RowErrors,
) -> std::result::Result<Option<i64>, ()> {
    let year = optional(row, map, "exited_year", value::integer, errors)?;
    let refuse = |errors: &mut RowErrors, message: String| {
        errors.push(row.error(map, "exited_year", message));
        Err(())
    };
    match (status, year) {
        (Some("exited"), None) => refuse(
            errors,
            "the status is exited, so the exit year (脱贫年度) is required".to_string(),
        ),
        (Some("poor"), Some(year)) => refuse(
            errors,
            format!("the status is poor, so there is no exit year (found {year})"),
        ),
        (_, Some(year)) if !(FIRST_EXIT_YEAR..=i64::from(as_of.year())).contains(&year) => refuse(
            errors,
            format!(
                "{year} is not an exit year between {FIRST_EXIT_YEAR} and {} (the extract's year)",
                as_of.year()
            ),
        ),
        (_, Some(year)) if identified_on.is_some_and(|d| year < i64::from(d.year())) => refuse(
            errors,
            format!("exited in {year}, before the household was identified"),
        ),
        (_, year) => Ok(year),
    }
}

/// The date of death, if given: a date between the person's birth and the extract's date.
pub(super) fn died_on(
    row: &RawRow,
    map: &HeaderMap,
    id: Option<&ResidentId>,
    as_of: BusinessDate,
    errors: &mut RowErrors,
) -> std::result::Result<Option<BusinessDate>, ()> {
    let died_on = optional(row, map, "died_on", value::date, errors)?;
    let Some(died_on) = died_on else {
        return Ok(None);
    };
    let problem = if died_on > as_of {
        Some(format!(
            "died on {died_on}, after the date of the extract ({as_of}, --as-of)"
        ))
    } else {
        id.map(|id| id.birth_date())
            .filter(|birth| died_on < *birth)
            .map(|birth| {
                format!("died on {died_on}, before the birth date {birth} of the ID number")
            })
    };
    match problem {
        Some(message) => {
            errors.push(row.error(map, "died_on", message));
            Err(())
        }
        None => Ok(Some(died_on)),
    }
}

/// A phone number: digits with optional `+`, `-`, spaces and brackets; 5 to 20 characters.
pub(super) fn phone_cell(cell: &Cell) -> std::result::Result<String, String> {
    let text = value::text(cell).unwrap_or_default();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let valid = (5..=20).contains(&text.chars().count())
        && digits >= 5
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || "+- ()".contains(c));
    match valid {
        true => Ok(text),
        false => Err(format!(
            "{text:?} is not a phone number (digits, with +, -, spaces or brackets)"
        )),
    }
}
