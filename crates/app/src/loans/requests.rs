//! Borrowers' requests for a renewal (续贷) or an extension (展期), recorded by the bank: pending
//! until decided. Extending the loan ([`super::extend`]) grants a pending extension request;
//! rolling it over ([`super::roll_over`]) a pending renewal request; either may be refused.
//! At most one request of a kind is pending per loan: recording it again with the same date
//! answers the one recorded (a retry), with another date is a conflict.

use fupin_core::{BusinessDate, RegionCode};
use fupin_store::loan_requests::{self, RequestFilter};
pub use fupin_store::loan_requests::{LoanRequest, RequestOfLoan};
use fupin_store::loans::Loan;
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use super::{loan_key, require_active, require_writable, writable};
use crate::access::{self, Access, Area};
use crate::context::Ctx;
use crate::error::{AppError, Result};

/// What a borrower asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// 续贷: a new loan to repay this one at maturity (a rollover when granted).
    Renewal,
    /// 展期: a later maturity.
    Extension,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Renewal => "renewal",
            RequestKind::Extension => "extension",
        }
    }

    /// `renewal`/`续贷`, `extension`/`展期`.
    pub fn parse(text: &str) -> Option<RequestKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "renewal" | "续贷" => Some(RequestKind::Renewal),
            "extension" | "展期" => Some(RequestKind::Extension),
            _ => None,
        }
    }
}

/// Longest note kept with a request, in characters.
const NOTE_MAX_CHARS: usize = 500;

/// Records a borrower's request; returns it and whether it was new.
pub async fn record(
    db: &Db,
    ctx: &Ctx,
    (institution, contract): (&str, &str),
    kind: RequestKind,
    requested_on: BusinessDate,
    note: Option<&str>,
) -> Result<(LoanRequest, bool)> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
        return Err(AppError::field(
            "note",
            format!("at most {NOTE_MAX_CHARS} characters"),
        ));
    }
    let mut tx = db.write().await?;
    let loan = writable(&mut tx, ctx, institution, contract).await?;
    require_active(&loan)?;
    if requested_on < loan.terms.start_on {
        return Err(AppError::Invalid(format!(
            "requested_on {requested_on} is before the loan started on {}",
            loan.terms.start_on
        )));
    }
    if let Some(pending) = loan_requests::pending_of_loan(&mut tx, loan.id, kind.as_str()).await? {
        tx.rollback().await.map_err(fupin_store::StoreError::from)?;
        return match pending.requested_on == requested_on {
            true => Ok((pending, false)),
            false => Err(AppError::Conflict(format!(
                "loan {} already has a pending {} request of {}",
                loan_key(&loan.terms),
                kind.as_str(),
                pending.requested_on
            ))),
        };
    }
    let mut request = LoanRequest {
        loan_id: loan.id,
        seq: 0,
        kind: kind.as_str().to_string(),
        requested_on,
        status: "pending".to_string(),
        decided_on: None,
        note: note.map(str::to_string),
        recorded_by: ctx.actor.name.clone(),
        recorded_at: ctx.now.clone(),
    };
    request.seq = loan_requests::insert(&mut tx, &request).await?;
    let mut entry = ctx.audit("loan.request", "loan", &loan_key(&loan.terms));
    entry.after_json = Some(
        json!({"seq": request.seq, "kind": request.kind, "requested_on": requested_on.to_string(), "note": request.note})
            .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok((request, true))
}

/// Refuses the pending request of a kind of a loan on `on`.
pub async fn refuse(
    db: &Db,
    ctx: &Ctx,
    (institution, contract): (&str, &str),
    kind: RequestKind,
    on: BusinessDate,
) -> Result<LoanRequest> {
    let mut tx = db.write().await?;
    let loan = writable(&mut tx, ctx, institution, contract).await?;
    let decided = decide(&mut tx, ctx, &loan, kind, "refused", on)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "a pending {} request of loan {}",
                kind.as_str(),
                loan_key(&loan.terms)
            ))
        })?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(decided)
}

/// Marks the pending request of a kind granted, if there is one (the extension or rollover
/// that grants it is audited itself; this records the request's decision with it).
pub(super) async fn grant_pending(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    kind: RequestKind,
    on: BusinessDate,
) -> Result<()> {
    decide(tx, ctx, loan, kind, "granted", on).await?;
    Ok(())
}

async fn decide(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    kind: RequestKind,
    status: &str,
    on: BusinessDate,
) -> Result<Option<LoanRequest>> {
    require_writable(ctx, &loan.terms)?;
    let Some(mut pending) = loan_requests::pending_of_loan(tx, loan.id, kind.as_str()).await?
    else {
        return Ok(None);
    };
    if on < pending.requested_on {
        return Err(AppError::Invalid(format!(
            "the decision on {on} is before the request of {}",
            pending.requested_on
        )));
    }
    loan_requests::decide(tx, loan.id, pending.seq, status, on).await?;
    let mut entry = ctx.audit("loan.request_decided", "loan", &loan_key(&loan.terms));
    entry.before_json =
        Some(json!({"seq": pending.seq, "kind": pending.kind, "status": "pending"}).to_string());
    entry.after_json = Some(json!({"status": status, "decided_on": on.to_string()}).to_string());
    audit::append(tx, &entry).await?;
    pending.status = status.to_string();
    pending.decided_on = Some(on);
    Ok(Some(pending))
}

/// Requests as the actor may see them (the regulator its region, a bank its own loans), oldest
/// first; `status` `None` lists every status. At most 1,000.
pub async fn list_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    status: Option<&str>,
) -> Result<Vec<RequestOfLoan>> {
    access::require(ctx, Area::Loans, Access::Read)?;
    if let Some(status) = status
        && !["pending", "granted", "refused"].contains(&status)
    {
        return Err(AppError::field(
            "status",
            "must be pending, granted or refused",
        ));
    }
    let region = access::region_in_scope(ctx, region)?;
    let filter = RequestFilter {
        prefix: region.as_ref().map_or("", |r| r.prefix()).to_string(),
        institution: access::bank_institution(ctx)?.map(str::to_string),
        status: status.map(str::to_string),
        limit: 1_000,
    };
    Ok(loan_requests::list(db, &filter).await?)
}

/// The requests of one loan, if the actor may read it.
pub async fn of_loan(
    db: &Db,
    ctx: &Ctx,
    institution: &str,
    contract: &str,
) -> Result<Vec<LoanRequest>> {
    let detail = super::show(db, ctx, institution, contract).await?;
    Ok(loan_requests::of_loan(db, detail.loan.id).await?)
}
