//! Importers of `credit_files` (评级) and `credit_lines` (授信): each row goes through the same
//! use case as the command ([`crate::credit::rate_in`], [`crate::credit::grant_in`]), inside
//! the import's transaction.

use std::collections::HashMap;

use fupin_core::BusinessDate;
use fupin_store::Tx;

use super::fields::{identifier, optional, optional_text, required, required_text, row_error};
use super::{Applied, Importer, RowErrors, RowOutcome};
use crate::context::Ctx;
use crate::credit::{self, EXEMPT_REASONS, LineRequest, RatingRequest, Refusal, scoring};
use crate::error::Result;
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, value};

type RowResult<T> = std::result::Result<T, Vec<FieldError>>;

fn score(cell: &Cell) -> std::result::Result<i64, String> {
    let number = value::integer(cell)?;
    match (0..=scoring::SCORE_MAX).contains(&number) {
        true => Ok(number),
        false => Err(format!("{number} is not a score between 0 and 100")),
    }
}

fn to_errors(
    line: u64,
    refusals: Vec<Refusal>,
    value_of: impl Fn(&str) -> String,
) -> Vec<FieldError> {
    refusals
        .into_iter()
        .map(|(field, message)| row_error(line, field, &value_of(field), message))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// credit files

/// Imports `credit_files`: a rating (factor inputs or a score, checked against its grade under
/// the scorecard in force) or an exemption, per household, institution and date.
pub struct CreditFileImporter {
    seen: HashMap<(String, String, BusinessDate), u64>,
    lookups: credit::RatingLookups,
}

impl Default for CreditFileImporter {
    fn default() -> CreditFileImporter {
        CreditFileImporter {
            seen: HashMap::new(),
            lookups: credit::RatingLookups::for_import(),
        }
    }
}

impl Importer for CreditFileImporter {
    const KIND: &'static str = "credit_files";
    const COLUMNS: &'static [Column] = &[
        Column::required("household_id", "户编号"),
        Column::required("institution_code", "机构代码"),
        Column::required("assessed_on", "评级日期"),
        Column::optional("score", "评分"),
        Column::optional("grade", "信用等级"),
        Column::optional("recommended_line", "建议授信额度"),
        Column::optional("exempt_reason", "不评级原因"),
        Column::optional("factors", "评分项"),
    ];
    type Record = RatingRequest;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<RatingRequest> {
        let mut errors = RowErrors::default();
        let household = required_text(row, map, "household_id", &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let assessed_on = required(row, map, "assessed_on", value::date, &mut errors);
        let score = optional(row, map, "score", score, &mut errors);
        let grade = optional_text(row, map, "grade", &mut errors);
        let line = optional(row, map, "recommended_line", value::amount, &mut errors);
        let exempt = optional(
            row,
            map,
            "exempt_reason",
            |c| value::enumeration(c, EXEMPT_REASONS),
            &mut errors,
        );
        let factors = match optional_text(row, map, "factors", &mut errors) {
            None => Vec::new(),
            Some(text) => match scoring::parse_inputs(&text) {
                Ok(inputs) => inputs,
                Err(message) => {
                    errors.push(row.error(map, "factors", message));
                    Vec::new()
                }
            },
        };
        match (household, institution, assessed_on, score, line, exempt) {
            (
                Some(household_id),
                Some(institution_code),
                Some(assessed_on),
                Ok(score),
                Ok(recommended_line),
                Ok(exempt),
            ) if errors.is_empty() => Ok(RatingRequest {
                household_id,
                institution_code,
                assessed_on,
                factors,
                score,
                grade,
                recommended_line,
                exempt_reason: exempt.map(str::to_string),
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        request: RatingRequest,
    ) -> Result<RowResult<Applied>> {
        let date = request.assessed_on;
        let key = (
            request.household_id.clone(),
            request.institution_code.clone(),
            date,
        );
        if let Some(first) = self.seen.insert(key, line) {
            let message = format!(
                "the credit file of household {} by {} on {date} appears twice: rows {first} and {line}",
                request.household_id, request.institution_code
            );
            return Ok(Err(vec![row_error(
                line,
                "household_id",
                &request.household_id,
                message,
            )]));
        }
        Ok(
            match credit::rate_in(tx, ctx, &request, &mut self.lookups).await? {
                Ok((applied, _)) => Ok(applied),
                Err(refusals) => Err(to_errors(line, refusals, |field| {
                    rating_value(&request, field)
                })),
            },
        )
    }

    /// Rows checked and written a batch at a time: the batch's households and their stored
    /// files are read in a few statements; each row is still rated and refused on its own.
    const BATCH_ROWS: usize = CREDIT_BATCH_ROWS;

    async fn apply_batch(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: Vec<(u64, RatingRequest)>,
    ) -> Result<Vec<RowOutcome>> {
        let households = households_of(batch.iter().map(|(_, r)| r.household_id.as_str()));
        self.lookups.read_batch(tx, &households, true).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (line, request) in batch {
            outcomes.push(self.apply(tx, ctx, line, request).await?);
        }
        Ok(outcomes)
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.lookups.flush(tx).await?;
        Ok(Vec::new())
    }
}

/// Rows of a credit-files or credit-lines batch: bounds the households, files and lines held
/// in memory.
const CREDIT_BATCH_ROWS: usize = 500;

/// The households of a batch's rows, each once.
fn households_of<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut households: Vec<&str> = ids.collect();
    households.sort_unstable();
    households.dedup();
    households
}

fn rating_value(request: &RatingRequest, field: &str) -> String {
    match field {
        "household_id" => request.household_id.clone(),
        "institution_code" => request.institution_code.clone(),
        "assessed_on" => request.assessed_on.to_string(),
        "score" => request.score.map(|s| s.to_string()).unwrap_or_default(),
        "grade" => request.grade.clone().unwrap_or_default(),
        "recommended_line" => request
            .recommended_line
            .map(|l| l.to_plain_yuan())
            .unwrap_or_default(),
        "exempt_reason" => request.exempt_reason.clone().unwrap_or_default(),
        "factors" => request
            .factors
            .iter()
            .map(|(factor, value)| format!("{factor}={value}"))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// credit lines

/// Imports `credit_lines`: each amount at most the recommended line of the household's latest
/// credit file with the institution on or before the grant date, unless `override_reason`
/// says why (recorded).
pub struct CreditLineImporter {
    seen: HashMap<(String, String, BusinessDate), u64>,
    lookups: credit::RatingLookups,
}

impl Default for CreditLineImporter {
    fn default() -> CreditLineImporter {
        CreditLineImporter {
            seen: HashMap::new(),
            lookups: credit::RatingLookups::for_import(),
        }
    }
}

impl Importer for CreditLineImporter {
    const KIND: &'static str = "credit_lines";
    const COLUMNS: &'static [Column] = &[
        Column::required("household_id", "户编号"),
        Column::required("institution_code", "机构代码"),
        Column::required("amount", "授信额度"),
        Column::required("granted_on", "授信日期"),
        Column::required("expires_on", "到期日期"),
        Column::optional("override_reason", "超额授信理由"),
    ];
    type Record = LineRequest;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<LineRequest> {
        let mut errors = RowErrors::default();
        let household = required_text(row, map, "household_id", &mut errors);
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let amount = required(row, map, "amount", value::amount, &mut errors);
        let granted_on = required(row, map, "granted_on", value::date, &mut errors);
        let expires_on = required(row, map, "expires_on", value::date, &mut errors);
        let override_reason = optional_text(row, map, "override_reason", &mut errors);
        match (household, institution, amount, granted_on, expires_on) {
            (
                Some(household_id),
                Some(institution_code),
                Some(amount),
                Some(granted_on),
                Some(expires_on),
            ) if errors.is_empty() => Ok(LineRequest {
                household_id,
                institution_code,
                amount,
                granted_on,
                expires_on,
                override_reason,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        request: LineRequest,
    ) -> Result<RowResult<Applied>> {
        let key = (
            request.household_id.clone(),
            request.institution_code.clone(),
            request.granted_on,
        );
        if let Some(first) = self.seen.insert(key, line) {
            let message = format!(
                "the credit line of household {} by {} granted on {} appears twice: rows {first} and {line}",
                request.household_id, request.institution_code, request.granted_on
            );
            return Ok(Err(vec![row_error(
                line,
                "household_id",
                &request.household_id,
                message,
            )]));
        }
        Ok(
            match credit::grant_in(tx, ctx, &request, &mut self.lookups).await? {
                Ok((applied, _)) => Ok(applied),
                Err(refusals) => Err(to_errors(line, refusals, |field| match field {
                    "household_id" => request.household_id.clone(),
                    "institution_code" => request.institution_code.clone(),
                    "amount" => request.amount.to_plain_yuan(),
                    "granted_on" => request.granted_on.to_string(),
                    "expires_on" => request.expires_on.to_string(),
                    "override_reason" => request.override_reason.clone().unwrap_or_default(),
                    _ => String::new(),
                })),
            },
        )
    }

    /// Rows checked and written a batch at a time, as credit files are.
    const BATCH_ROWS: usize = CREDIT_BATCH_ROWS;

    async fn apply_batch(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: Vec<(u64, LineRequest)>,
    ) -> Result<Vec<RowOutcome>> {
        let households = households_of(batch.iter().map(|(_, r)| r.household_id.as_str()));
        self.lookups.read_batch(tx, &households, false).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (line, request) in batch {
            outcomes.push(self.apply(tx, ctx, line, request).await?);
        }
        Ok(outcomes)
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.lookups.flush(tx).await?;
        Ok(Vec::new())
    }
}
