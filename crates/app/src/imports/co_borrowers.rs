//! Importer of the `co_borrowers` file: the co-borrowers of loans (see
//! [`crate::loans::co_borrowers::add`]).

use fupin_store::Tx;

use super::fields::{identifier, required, required_text, row_error};
use super::{Applied, Importer, RowErrors};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ingest::{Column, FieldError, HeaderMap, RawRow, value};
use crate::loans::co_borrowers::{self, NewCoBorrower, RELATIONS};

/// Imports `co_borrowers`: the same co-borrower again is recorded once.
#[derive(Default)]
pub struct CoBorrowerImporter;

impl Importer for CoBorrowerImporter {
    const KIND: &'static str = "co_borrowers";
    const COLUMNS: &'static [Column] = &[
        Column::required("institution_code", "机构代码"),
        Column::required("contract_no", "贷款合同号"),
        Column::required("id_number", "共同借款人身份证号"),
        Column::required("name", "共同借款人姓名"),
        Column::required("relation", "与借款人关系"),
        Column::required("signed_on", "签订日期"),
    ];
    type Record = NewCoBorrower;

    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<NewCoBorrower, Vec<FieldError>> {
        let mut errors = RowErrors::default();
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let contract = required_text(row, map, "contract_no", &mut errors);
        let id_number = required_text(row, map, "id_number", &mut errors);
        let name = required_text(row, map, "name", &mut errors);
        let relation = required(
            row,
            map,
            "relation",
            |c| value::enumeration(c, RELATIONS),
            &mut errors,
        );
        let signed_on = required(row, map, "signed_on", value::date, &mut errors);
        match (institution, contract, id_number, name, relation, signed_on) {
            (
                Some(institution_code),
                Some(contract_no),
                Some(id_number),
                Some(name),
                Some(relation),
                Some(signed_on),
            ) if errors.is_empty() => Ok(NewCoBorrower {
                institution_code,
                contract_no,
                id_number,
                name,
                relation: relation.to_string(),
                signed_on,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        new: NewCoBorrower,
    ) -> Result<std::result::Result<Applied, Vec<FieldError>>> {
        match co_borrowers::add(tx, ctx, &new).await {
            Ok(applied) => Ok(Ok(applied)),
            Err(AppError::Field { field, message }) => {
                let value = match field.as_str() {
                    "name" => new.name.as_str(),
                    "relation" => new.relation.as_str(),
                    "signed_on" => "",
                    _ => "",
                };
                Ok(Err(vec![row_error(line, &field, value, message)]))
            }
            Err(AppError::NotFound(message) | AppError::Conflict(message)) => {
                Ok(Err(vec![row_error(
                    line,
                    "contract_no",
                    &new.contract_no,
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
