//! Importers of the insurance files: `insurance_policies`, `insurance_premiums` and
//! `insurance_claims` (entered by the insurer's staff; see [`crate::insurance`]).

use std::collections::HashMap;

use fupin_core::insurance::PremiumShares;
use fupin_core::{BusinessDate, Fen};
use fupin_store::Tx;

use super::fields::{identifier, optional, optional_text, required, required_text, row_error};
use super::{Applied, Importer, RowErrors};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, value};
use crate::insurance::{
    self, ClaimRef, ClaimReport, Event, Kind, PolicyOrder, PremiumOrder, Recorded,
};

/// A row refused by the use case, on the column it names (or `key`); other failures end the
/// import.
fn refusal(line: u64, key: (&str, &str), error: AppError) -> Result<Vec<FieldError>> {
    match error {
        AppError::Field { field, message } => Ok(vec![row_error(line, &field, "", message)]),
        AppError::Invalid(message) | AppError::Conflict(message) | AppError::NotFound(message) => {
            Ok(vec![row_error(line, key.0, key.1, message)])
        }
        other => Err(other),
    }
}

fn outcome(recorded: Recorded) -> Applied {
    match recorded {
        Recorded::New => Applied::Added,
        Recorded::AlreadyRecorded => Applied::Unchanged,
    }
}

/// A row seen twice in one file refuses the second.
fn repeated(
    seen: &mut HashMap<String, u64>,
    key: String,
    line: u64,
    column: &str,
) -> Option<Vec<FieldError>> {
    let first = seen.insert(key.clone(), line)?;
    Some(vec![row_error(
        line,
        column,
        &key,
        format!("{key} appears twice: rows {first} and {line}"),
    )])
}

/// A share of the premium (`40%`, `40`) in basis points.
fn share_bps(cell: &Cell) -> std::result::Result<i64, String> {
    let ppm = value::rate(cell)?.ppm();
    match ppm % 100 {
        0 => Ok(ppm / 100),
        _ => Err(format!("{cell} is finer than 0.01 %")),
    }
}

const KINDS: &[(&str, &str, Kind)] = &[
    ("accident", "借款人意外险", Kind::Accident),
    ("guarantee", "保证保险", Kind::Guarantee),
    ("crop", "种植险", Kind::Crop),
    ("livestock", "养殖险", Kind::Livestock),
];

const EVENTS: &[(&str, &str, Event)] = &[
    ("death", "身故", Event::Death),
    ("disability", "伤残", Event::Disability),
    ("default", "借款违约", Event::Default),
    ("crop_loss", "种植损失", Event::CropLoss),
    ("livestock_loss", "养殖损失", Event::LivestockLoss),
];

/// Imports `insurance_policies`: a repeated number is the same policy (recorded once).
#[derive(Default)]
pub struct PolicyImporter {
    seen: HashMap<String, u64>,
}

impl Importer for PolicyImporter {
    const KIND: &'static str = "insurance_policies";
    const COLUMNS: &'static [Column] = &[
        Column::required("insurer_code", "保险机构代码"),
        Column::required("policy_no", "保单号"),
        Column::required("kind", "险种"),
        Column::optional("institution_code", "贷款机构代码"),
        Column::optional("contract_no", "贷款合同号"),
        Column::optional("household_id", "户编号"),
        Column::optional("county_code", "县代码"),
        Column::optional("activity", "保险标的"),
        Column::required("sum_insured", "保险金额"),
        Column::required("premium", "保费"),
        Column::optional("default_share", "违约赔付比例"),
        Column::required("starts_on", "起保日期"),
        Column::required("ends_on", "终保日期"),
        Column::required("central_share", "中央补贴比例"),
        Column::required("provincial_share", "省级补贴比例"),
        Column::required("county_share", "县级补贴比例"),
        Column::required("farmer_share", "农户自缴比例"),
    ];
    type Record = PolicyOrder;

    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<PolicyOrder, Vec<FieldError>> {
        let mut errors = RowErrors::default();
        let insurer = required(row, map, "insurer_code", identifier, &mut errors);
        let policy_no = required_text(row, map, "policy_no", &mut errors);
        let kind = required(
            row,
            map,
            "kind",
            |c| value::enumeration(c, KINDS),
            &mut errors,
        );
        let institution = optional(row, map, "institution_code", identifier, &mut errors);
        let contract = optional_text(row, map, "contract_no", &mut errors);
        let household = optional_text(row, map, "household_id", &mut errors);
        let county = optional(row, map, "county_code", value::region_code, &mut errors);
        let activity = optional_text(row, map, "activity", &mut errors);
        let sum_insured = required(row, map, "sum_insured", value::amount, &mut errors);
        let premium = required(row, map, "premium", value::amount, &mut errors);
        let default_share = optional(row, map, "default_share", share_bps, &mut errors);
        let starts_on = required(row, map, "starts_on", value::date, &mut errors);
        let ends_on = required(row, map, "ends_on", value::date, &mut errors);
        let shares = [
            "central_share",
            "provincial_share",
            "county_share",
            "farmer_share",
        ]
        .map(|name| required(row, map, name, share_bps, &mut errors));
        let loan = match (institution, contract) {
            (Ok(Some(institution)), Some(contract)) => Some((institution, contract)),
            (Ok(None), None) => None,
            (Ok(_), _) => {
                errors.push(row.error(
                    map,
                    "contract_no",
                    "a loan needs both institution_code and contract_no",
                ));
                None
            }
            (Err(()), _) => None,
        };
        let shares = match shares {
            [Some(central), Some(provincial), Some(county), Some(farmer)] => {
                match PremiumShares::new(central, provincial, county, farmer) {
                    Ok(shares) => Some(shares),
                    Err(error) => {
                        errors.push(row.error(map, "farmer_share", error.to_string()));
                        None
                    }
                }
            }
            _ => None,
        };
        match (
            insurer,
            policy_no,
            kind,
            county,
            sum_insured,
            premium,
            default_share,
            starts_on,
            ends_on,
            shares,
        ) {
            (
                Some(insurer_code),
                Some(policy_no),
                Some(kind),
                Ok(county_code),
                Some(sum_insured),
                Some(premium),
                Ok(default_share_bps),
                Some(starts_on),
                Some(ends_on),
                Some(shares),
            ) if errors.is_empty() => Ok(PolicyOrder {
                insurer_code,
                policy_no,
                kind,
                loan,
                household_id: household,
                county_code,
                activity,
                sum_insured,
                premium,
                default_share_bps,
                starts_on,
                ends_on,
                shares,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        order: PolicyOrder,
    ) -> Result<std::result::Result<Applied, Vec<FieldError>>> {
        let key = format!("{}/{}", order.insurer_code, order.policy_no);
        if let Some(errors) = repeated(&mut self.seen, key, line, "policy_no") {
            return Ok(Err(errors));
        }
        match insurance::register_policy(tx, ctx, &order).await {
            Ok(recorded) => Ok(Ok(outcome(recorded))),
            Err(error) => refusal(line, ("policy_no", &order.policy_no), error).map(Err),
        }
    }

    async fn finish(&mut self, _tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        Ok(Vec::new())
    }
}

/// Imports `insurance_premiums`: a repeated id is the same payment (posted once).
#[derive(Default)]
pub struct PremiumImporter {
    seen: HashMap<String, u64>,
}

impl Importer for PremiumImporter {
    const KIND: &'static str = "insurance_premiums";
    const COLUMNS: &'static [Column] = &[
        Column::required("insurer_code", "保险机构代码"),
        Column::required("policy_no", "保单号"),
        Column::required("id", "缴费流水号"),
        Column::required("paid_on", "缴费日期"),
        Column::required("amount", "金额"),
    ];
    type Record = PremiumOrder;

    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<PremiumOrder, Vec<FieldError>> {
        let mut errors = RowErrors::default();
        let insurer = required(row, map, "insurer_code", identifier, &mut errors);
        let policy_no = required_text(row, map, "policy_no", &mut errors);
        let id = required(row, map, "id", identifier, &mut errors);
        let paid_on = required(row, map, "paid_on", value::date, &mut errors);
        let amount = required(row, map, "amount", value::amount, &mut errors);
        if amount.is_some_and(|a| !a.is_positive()) {
            errors.push(row.error(map, "amount", "a premium payment must be positive"));
        }
        match (insurer, policy_no, id, paid_on, amount) {
            (Some(insurer_code), Some(policy_no), Some(id), Some(paid_on), Some(amount))
                if errors.is_empty() =>
            {
                Ok(PremiumOrder {
                    insurer_code,
                    policy_no,
                    id,
                    paid_on,
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
        order: PremiumOrder,
    ) -> Result<std::result::Result<Applied, Vec<FieldError>>> {
        let key = format!("{}/{}/{}", order.insurer_code, order.policy_no, order.id);
        if let Some(errors) = repeated(&mut self.seen, key, line, "id") {
            return Ok(Err(errors));
        }
        match insurance::record_premium(tx, ctx, &order).await {
            Ok(recorded) => Ok(Ok(outcome(recorded))),
            Err(error) => refusal(line, ("id", &order.id), error).map(Err),
        }
    }

    async fn finish(&mut self, _tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        Ok(Vec::new())
    }
}

/// Where a claim stands in a file row, with what that state needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimStanding {
    Reported,
    Assessed {
        amount: Fen,
        on: BusinessDate,
    },
    Paid {
        amount: Fen,
        assessed_on: BusinessDate,
        on: BusinessDate,
    },
    Refused {
        reason: String,
        on: BusinessDate,
    },
}

/// One row of `insurance_claims`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRow {
    pub report: ClaimReport,
    pub standing: ClaimStanding,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Reported,
    Assessed,
    Paid,
    Refused,
}

const STATES: &[(&str, &str, State)] = &[
    ("reported", "已报案", State::Reported),
    ("assessed", "已定损", State::Assessed),
    ("paid", "已赔付", State::Paid),
    ("refused", "已拒赔", State::Refused),
];

/// Imports `insurance_claims`: each row reports a claim and brings it to its state (assessed,
/// paid or refused); a row already applied changes nothing.
#[derive(Default)]
pub struct ClaimImporter {
    seen: HashMap<String, u64>,
}

impl Importer for ClaimImporter {
    const KIND: &'static str = "insurance_claims";
    const COLUMNS: &'static [Column] = &[
        Column::required("insurer_code", "保险机构代码"),
        Column::required("policy_no", "保单号"),
        Column::required("claim_no", "赔案号"),
        Column::required("event", "出险原因"),
        Column::required("occurred_on", "出险日期"),
        Column::required("reported_on", "报案日期"),
        Column::required("claimed", "报损金额"),
        Column::required("state", "状态"),
        Column::optional("assessed", "定损金额"),
        Column::optional("assessed_on", "定损日期"),
        Column::optional("decided_on", "赔付或拒赔日期"),
        Column::optional("refusal", "拒赔原因"),
    ];
    type Record = ClaimRow;

    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<ClaimRow, Vec<FieldError>> {
        let mut errors = RowErrors::default();
        let insurer = required(row, map, "insurer_code", identifier, &mut errors);
        let policy_no = required_text(row, map, "policy_no", &mut errors);
        let claim_no = required_text(row, map, "claim_no", &mut errors);
        let event = required(
            row,
            map,
            "event",
            |c| value::enumeration(c, EVENTS),
            &mut errors,
        );
        let occurred_on = required(row, map, "occurred_on", value::date, &mut errors);
        let reported_on = required(row, map, "reported_on", value::date, &mut errors);
        let claimed = required(row, map, "claimed", value::amount, &mut errors);
        let state = required(
            row,
            map,
            "state",
            |c| value::enumeration(c, STATES),
            &mut errors,
        );
        let assessed = optional(row, map, "assessed", value::amount, &mut errors);
        let assessed_on = optional(row, map, "assessed_on", value::date, &mut errors);
        let decided_on = optional(row, map, "decided_on", value::date, &mut errors);
        let refusal = optional_text(row, map, "refusal", &mut errors);
        let mut need = |name: &str, present: bool| {
            if !present {
                errors.push(row.error(map, name, format!("{name} is required for this state")));
            }
        };
        let standing = match (state, assessed, assessed_on, decided_on) {
            (Some(State::Reported), ..) => Some(ClaimStanding::Reported),
            (Some(State::Assessed), Ok(amount), Ok(on), _) => {
                need("assessed", amount.is_some());
                need("assessed_on", on.is_some());
                amount
                    .zip(on)
                    .map(|(amount, on)| ClaimStanding::Assessed { amount, on })
            }
            (Some(State::Paid), Ok(amount), Ok(assessed_on), Ok(on)) => {
                need("assessed", amount.is_some());
                need("assessed_on", assessed_on.is_some());
                need("decided_on", on.is_some());
                match (amount, assessed_on, on) {
                    (Some(amount), Some(assessed_on), Some(on)) => Some(ClaimStanding::Paid {
                        amount,
                        assessed_on,
                        on,
                    }),
                    _ => None,
                }
            }
            (Some(State::Refused), _, _, Ok(on)) => {
                need("refusal", refusal.is_some());
                need("decided_on", on.is_some());
                refusal
                    .clone()
                    .zip(on)
                    .map(|(reason, on)| ClaimStanding::Refused { reason, on })
            }
            _ => None,
        };
        match (
            insurer,
            policy_no,
            claim_no,
            event,
            occurred_on,
            reported_on,
            claimed,
            standing,
        ) {
            (
                Some(insurer_code),
                Some(policy_no),
                Some(claim_no),
                Some(event),
                Some(occurred_on),
                Some(reported_on),
                Some(claimed),
                Some(standing),
            ) if errors.is_empty() => Ok(ClaimRow {
                report: ClaimReport {
                    insurer_code,
                    policy_no,
                    claim_no,
                    event,
                    occurred_on,
                    reported_on,
                    claimed,
                },
                standing,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        row: ClaimRow,
    ) -> Result<std::result::Result<Applied, Vec<FieldError>>> {
        let report = &row.report;
        let key = format!(
            "{}/{}/{}",
            report.insurer_code, report.policy_no, report.claim_no
        );
        if let Some(errors) = repeated(&mut self.seen, key, line, "claim_no") {
            return Ok(Err(errors));
        }
        match apply_claim(tx, ctx, &row).await {
            Ok(applied) => Ok(Ok(applied)),
            Err(error) => refusal(line, ("claim_no", &report.claim_no), error).map(Err),
        }
    }

    async fn finish(&mut self, _tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        Ok(Vec::new())
    }
}

/// Reports the claim, then takes it to the row's state; each step already taken is a no-op.
async fn apply_claim(tx: &mut Tx, ctx: &Ctx, row: &ClaimRow) -> Result<Applied> {
    let report = &row.report;
    let reported = insurance::report_claim(tx, ctx, report).await?;
    let which = ClaimRef {
        insurer_code: report.insurer_code.clone(),
        policy_no: report.policy_no.clone(),
        claim_no: report.claim_no.clone(),
    };
    let before = insurance::claim(tx, ctx, &which).await?;
    let after = match &row.standing {
        ClaimStanding::Reported => before.clone(),
        ClaimStanding::Assessed { amount, on } => {
            insurance::assess_claim(tx, ctx, &which, *amount, *on).await?
        }
        ClaimStanding::Paid {
            amount,
            assessed_on,
            on,
        } => {
            if before.state != "paid" {
                insurance::assess_claim(tx, ctx, &which, *amount, *assessed_on).await?;
            }
            insurance::pay_claim(tx, ctx, &which, *on).await?
        }
        ClaimStanding::Refused { reason, on } => {
            insurance::refuse_claim(tx, ctx, &which, reason, *on).await?
        }
    };
    Ok(match (reported, after == before) {
        (Recorded::New, _) => Applied::Added,
        (Recorded::AlreadyRecorded, true) => Applied::Unchanged,
        (Recorded::AlreadyRecorded, false) => Applied::Changed,
    })
}

/// Runs the import of one of the three insurance kinds.
pub async fn import(
    db: &fupin_store::Db,
    ctx: &Ctx,
    path: &std::path::Path,
    options: &super::ImportOptions,
    kind: super::upload::Kind,
) -> Result<super::ImportReport> {
    use super::upload::Kind as K;
    match kind {
        K::InsurancePolicies => super::run(db, ctx, path, options, PolicyImporter::default()).await,
        K::InsurancePremiums => {
            super::run(db, ctx, path, options, PremiumImporter::default()).await
        }
        _ => super::run(db, ctx, path, options, ClaimImporter::default()).await,
    }
}
