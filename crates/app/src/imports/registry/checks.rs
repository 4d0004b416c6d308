//! The rules spanning rows of a households file, checked over the working table.

use super::*;

impl HouseholdRun {
    /// The rules spanning rows, checked over the working table; households breaking one are
    /// refused.
    pub(super) async fn check_across_rows(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        self.check_repeated_people(tx, map).await?;
        self.check_household_columns(tx, map).await?;
        self.check_heads(tx, map).await?;
        self.check_people_elsewhere(tx, map).await?;
        self.check_extract_order(tx).await
    }

    pub(super) async fn check_repeated_people(
        &mut self,
        tx: &mut Tx,
        map: &HeaderMap,
    ) -> Result<()> {
        let rows = registry::staged_repeated_people(tx).await?;
        let mut refused = Vec::new();
        let mut errors = Vec::new();
        let mut first: Option<&registry::PersonRow> = None;
        for row in &rows {
            let first_row = match first {
                Some(first_row) if first_row.id_number == row.id_number => first_row,
                _ => {
                    first = Some(row);
                    refused.push(row.household_id.clone());
                    continue;
                }
            };
            let masked = mask_text(&row.id_number);
            let message = if first_row.household_id == row.household_id {
                format!(
                    "{masked} appears twice in household {}: rows {} and {}",
                    row.household_id, first_row.line, row.line
                )
            } else {
                format!(
                    "{masked} appears in two households: {} (row {}) and {} (row {}); a \
                     person belongs to one household at a time",
                    first_row.household_id, first_row.line, row.household_id, row.line
                )
            };
            errors.push(FieldError::new(
                line_of(row.line),
                map.label("id_number"),
                masked,
                message,
            ));
            refused.push(row.household_id.clone());
        }
        self.add_errors(errors);
        self.reject_now(tx, refused).await
    }

    pub(super) async fn check_household_columns(
        &mut self,
        tx: &mut Tx,
        map: &HeaderMap,
    ) -> Result<()> {
        let households = registry::staged_disagreeing_households(tx, i64::MAX).await?;
        for household in &households {
            let rows = registry::staged_rows_of(tx, household).await?;
            let Some((first, rest)) = rows.split_first() else {
                continue;
            };
            let mut errors = Vec::new();
            for row in rest {
                for column in HOUSEHOLD_LEVEL {
                    let (this, that) = (
                        household_field(&row.facts, column),
                        household_field(&first.facts, column),
                    );
                    if this != that {
                        errors.push(FieldError::new(
                            line_of(row.line),
                            map.label(column),
                            this.clone(),
                            format!(
                                "household {household}: {} is {this:?} here but {that:?} on row \
                                 {}; the household columns must agree on every member row",
                                map.label(column),
                                first.line
                            ),
                        ));
                    }
                }
            }
            self.add_errors(errors);
        }
        self.reject_now(tx, households).await
    }

    pub(super) async fn check_heads(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        let problems = registry::staged_head_problems(tx, i64::MAX).await?;
        let mut errors = Vec::new();
        let mut refused = Vec::new();
        for problem in problems {
            let (line, message) = match problem.head_lines.as_slice() {
                [] => (
                    problem.first_line,
                    format!(
                        "household {} has no head: exactly one member has relation head (户主)",
                        problem.household_id
                    ),
                ),
                [_] => continue,
                [_, second, ..] => (
                    *second,
                    format!(
                        "household {} has {} heads: rows {}; exactly one member is head",
                        problem.household_id,
                        problem.heads,
                        problem
                            .head_lines
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            };
            errors.push(FieldError::new(
                line_of(line),
                map.label("relation"),
                "",
                message,
            ));
            refused.push(problem.household_id);
        }
        self.add_errors(errors);
        self.reject_now(tx, refused).await
    }

    /// People whom the registry has in another household: fine when that household is in the
    /// file (and valid) or is removed by it; otherwise the person would be in two households.
    pub(super) async fn check_people_elsewhere(
        &mut self,
        tx: &mut Tx,
        map: &HeaderMap,
    ) -> Result<()> {
        let memberships = registry::staged_people_in_other_households(tx).await?;
        let mut refused: HashSet<String> = memberships
            .iter()
            .filter(|m| m.refused)
            .map(|m| m.household_id.clone())
            .collect();
        refused.extend(
            memberships
                .iter()
                .filter(|m| m.other_refused)
                .map(|m| m.other_household.clone()),
        );
        let mut errors = Vec::new();
        let mut newly_refused = Vec::new();
        for m in &memberships {
            if m.other_in_file || m.other_village_covered || refused.contains(&m.household_id) {
                continue;
            }
            errors.push(FieldError::new(
                line_of(m.line),
                map.label("id_number"),
                mask_text(&m.id_number),
                format!(
                    "{} is already a member of household {} in village {}, which this file \
                     neither lists nor covers; a person belongs to one household at a time",
                    mask_text(&m.id_number),
                    m.other_household,
                    m.other_village
                ),
            ));
            refused.insert(m.household_id.clone());
            newly_refused.push(m.household_id.clone());
        }
        // A person moving in from a refused household would then be in two: refuse the
        // receiving household too, until nothing changes.
        loop {
            let mut changed = false;
            for m in &memberships {
                if m.other_in_file
                    && refused.contains(&m.other_household)
                    && !refused.contains(&m.household_id)
                {
                    errors.push(FieldError::new(
                        line_of(m.line),
                        map.label("id_number"),
                        mask_text(&m.id_number),
                        format!(
                            "{} moves in from household {}, which is refused; fix that \
                             household first",
                            mask_text(&m.id_number),
                            m.other_household
                        ),
                    ));
                    refused.insert(m.household_id.clone());
                    newly_refused.push(m.household_id.clone());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for m in &memberships {
            if !refused.contains(&m.household_id) && !refused.contains(&m.other_household) {
                registry::mark_moved(tx, &m.household_id, m.line, &m.other_household).await?;
            }
        }
        self.add_errors(errors);
        self.reject_now(tx, newly_refused).await
    }

    /// Extracts must not go back in time: the registry's history follows their dates.
    pub(super) async fn check_extract_order(&mut self, tx: &mut Tx) -> Result<()> {
        if let Some((village, later)) = registry::later_extract(tx, self.as_of).await? {
            self.fatal = true;
            self.add_errors(vec![FieldError::file_level(format!(
                "village {village} was already imported from an extract as of {later}; this \
                 file is as of {}: import extracts in date order",
                self.as_of
            ))]);
        } else if let Some((household, on)) = registry::later_change(tx, self.as_of).await? {
            self.fatal = true;
            self.add_errors(vec![FieldError::file_level(format!(
                "household {household} was already changed by an extract as of {on}; this file \
                 is as of {}: import extracts in date order",
                self.as_of
            ))]);
        }
        Ok(())
    }
}
