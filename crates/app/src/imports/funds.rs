//! Importer of the `fund_deposits` file.

use std::collections::HashMap;

use fupin_core::RegionLevel;
use fupin_store::Tx;
use fupin_store::funds::Deposit;

use super::fields::{identifier, required, row_error};
use super::{Applied, Importer, RowErrors};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::funds::{self, Deposited};
use crate::ingest::{Column, FieldError, HeaderMap, RawRow, value};

/// The funds: English value, Chinese alias.
pub const FUNDS: &[(&str, &str, &str)] = &[
    ("subsidy", "贴息资金", "subsidy"),
    ("risk_compensation", "风险补偿金", "risk_compensation"),
    ("guarantee", "担保基金", "guarantee"),
];

/// Imports `fund_deposits`: a repeated id is the same deposit (recorded once).
#[derive(Default)]
pub struct DepositImporter {
    seen: HashMap<String, u64>,
}

impl Importer for DepositImporter {
    const KIND: &'static str = "fund_deposits";
    const COLUMNS: &'static [Column] = &[
        Column::required("id", "流水号"),
        Column::required("county_code", "县代码"),
        Column::required("fund", "资金类型"),
        Column::required("deposited_on", "日期"),
        Column::required("amount", "金额"),
    ];
    type Record = Deposit;

    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<Deposit, Vec<FieldError>> {
        let mut errors = RowErrors::default();
        let id = required(row, map, "id", identifier, &mut errors);
        let county = required(row, map, "county_code", value::region_code, &mut errors);
        let fund = required(
            row,
            map,
            "fund",
            |c| value::enumeration(c, FUNDS),
            &mut errors,
        );
        let on = required(row, map, "deposited_on", value::date, &mut errors);
        let amount = required(row, map, "amount", value::amount, &mut errors);
        if let Some(county) = county
            && county.level() != RegionLevel::County
        {
            errors.push(row.error(
                map,
                "county_code",
                format!("{county} is a {} code, not a county", county.level()),
            ));
        }
        if amount.is_some_and(|a| !a.is_positive()) {
            errors.push(row.error(map, "amount", "a deposit must be positive"));
        }
        match (id, county, fund, on, amount) {
            (Some(id), Some(county_code), Some(fund), Some(deposited_on), Some(amount))
                if errors.is_empty() =>
            {
                Ok(Deposit {
                    id,
                    county_code,
                    fund: fund.to_string(),
                    deposited_on,
                    amount,
                })
            }
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        deposit: Deposit,
    ) -> Result<std::result::Result<Applied, Vec<FieldError>>> {
        if let Some(first) = self.seen.insert(deposit.id.clone(), line) {
            let message = format!(
                "deposit {} appears twice: rows {first} and {line}",
                deposit.id
            );
            return Ok(Err(vec![row_error(line, "id", &deposit.id, message)]));
        }
        match funds::deposit(tx, ctx, &deposit).await {
            Ok(Deposited::New) => Ok(Ok(Applied::Added)),
            Ok(Deposited::AlreadyRecorded) => Ok(Ok(Applied::Unchanged)),
            Err(AppError::Field { field, message }) if field == "county" => {
                Ok(Err(vec![row_error(
                    line,
                    "county_code",
                    &deposit.county_code.to_string(),
                    message,
                )]))
            }
            Err(AppError::Invalid(message) | AppError::Conflict(message)) => {
                Ok(Err(vec![row_error(line, "id", &deposit.id, message)]))
            }
            Err(other) => Err(other),
        }
    }

    async fn finish(&mut self, _tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        Ok(Vec::new())
    }
}
