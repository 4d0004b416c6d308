//! Importer of the `guarantee_contracts` file: the guarantors of loans (see
//! [`crate::guarantees::add_guarantee`]).

use fupin_store::Tx;

use super::fields::{identifier, optional, required, required_text, row_error};
use super::{Applied, Importer, RowErrors};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::guarantees::{self, Added, GuarantorKind, NewGuarantee};
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, value};

/// Guarantor kinds: English value, Chinese alias.
pub const GUARANTOR_TYPES: &[(&str, &str, GuarantorKind)] = &[
    ("household", "农户", GuarantorKind::Household),
    ("enterprise", "企业", GuarantorKind::Enterprise),
    ("company", "担保公司", GuarantorKind::Company),
    ("county_fund", "县担保基金", GuarantorKind::CountyFund),
];

/// Who pays the guarantee fee: English value, Chinese alias.
pub const FEE_PAYERS: &[(&str, &str, &str)] =
    &[("borrower", "借款人", "borrower"), ("bank", "银行", "bank")];

/// A percentage ("40", "40%", "0.4%") as bps; finer than 0.01 % is refused.
fn bps(cell: &Cell) -> std::result::Result<i64, String> {
    let ppm = value::rate(cell)?.ppm();
    match ppm % 100 {
        0 => Ok(ppm / 100),
        _ => Err("is finer than 0.01 %".to_string()),
    }
}

/// Imports `guarantee_contracts`: the same guarantee again is recorded once.
#[derive(Default)]
pub struct GuaranteeImporter;

impl Importer for GuaranteeImporter {
    const KIND: &'static str = "guarantee_contracts";
    const COLUMNS: &'static [Column] = &[
        Column::required("institution_code", "机构代码"),
        Column::required("contract_no", "贷款合同号"),
        Column::required("guarantor_type", "担保方类型"),
        Column::required("guarantor_id", "担保方证件号"),
        Column::required("guarantee_contract_no", "担保合同号"),
        Column::required("share", "担保比例"),
        Column::required("signed_on", "签订日期"),
        Column::optional("fee_rate", "担保费率"),
        Column::optional("fee_payer", "担保费承担方"),
        Column::optional("fee_subsidy", "担保费补贴比例"),
    ];
    type Record = NewGuarantee;

    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<NewGuarantee, Vec<FieldError>> {
        let mut errors = RowErrors::default();
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let contract = required_text(row, map, "contract_no", &mut errors);
        let kind = required(
            row,
            map,
            "guarantor_type",
            |c| value::enumeration(c, GUARANTOR_TYPES),
            &mut errors,
        );
        let guarantor = required_text(row, map, "guarantor_id", &mut errors);
        let guarantee_contract = required_text(row, map, "guarantee_contract_no", &mut errors);
        let share = required(row, map, "share", bps, &mut errors);
        let signed_on = required(row, map, "signed_on", value::date, &mut errors);
        let fee_rate = optional(row, map, "fee_rate", bps, &mut errors);
        let fee_payer = optional(
            row,
            map,
            "fee_payer",
            |c| value::enumeration(c, FEE_PAYERS),
            &mut errors,
        );
        let fee_subsidy = optional(row, map, "fee_subsidy", bps, &mut errors);
        match (
            institution,
            contract,
            kind,
            guarantor,
            guarantee_contract,
            share,
            signed_on,
            fee_rate,
            fee_payer,
            fee_subsidy,
        ) {
            (
                Some(institution_code),
                Some(loan_contract_no),
                Some(kind),
                Some(guarantor_id),
                Some(contract_no),
                Some(share_bps),
                Some(signed_on),
                Ok(fee_rate),
                Ok(fee_payer),
                Ok(fee_subsidy),
            ) if errors.is_empty() => Ok(NewGuarantee {
                institution_code,
                loan_contract_no,
                kind,
                guarantor_id,
                contract_no,
                share_bps,
                signed_on,
                fee_rate_bps: fee_rate.unwrap_or(0),
                fee_payer: fee_payer.unwrap_or("borrower").to_string(),
                fee_subsidy_bps: fee_subsidy.unwrap_or(0),
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        new: NewGuarantee,
    ) -> Result<std::result::Result<Applied, Vec<FieldError>>> {
        match guarantees::add_guarantee(tx, ctx, &new).await {
            Ok(Added::New) => Ok(Ok(Applied::Added)),
            Ok(Added::AlreadyRecorded) => Ok(Ok(Applied::Unchanged)),
            Err(AppError::Field { field, message }) => {
                let column = match field.as_str() {
                    "guarantor_id" => "guarantor_id",
                    "contract_no" => "guarantee_contract_no",
                    "fee_rate" => "fee_rate",
                    "fee_payer" => "fee_payer",
                    _ => "share",
                };
                Ok(Err(vec![row_error(line, column, "", message)]))
            }
            Err(AppError::NotFound(message) | AppError::Conflict(message)) => {
                Ok(Err(vec![row_error(
                    line,
                    "contract_no",
                    &new.loan_contract_no,
                    message,
                )]))
            }
            Err(other) => Err(other),
        }
    }

    async fn finish(&mut self, _tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        Ok(Vec::new())
    }
}
