//! Maturity walls (到期墙): the principal falling due per month and county over the next 24
//! months from a date, from the loans' current schedules (superseded instalments excluded) of
//! active loans — poverty micro-credit of three years made in one campaign falls due in one
//! quarter. Month 1 is the month after the date's month and also takes what falls due in the
//! rest of the date's own month, so that nothing due within the 24 months is left out; month M
//! ends on the last day of the M-th month after the date's month.

use fupin_core::date::Month;
use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::Db;
use fupin_store::indicators::{self as queries, MaturingCell};

use crate::access::{self, Access, Area};
use crate::context::Ctx;
use crate::error::{AppError, Result};

/// Months a wall covers.
pub const WALL_MONTHS: u32 = 24;

/// The principal falling due per month and county after a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaturityWall {
    pub as_of: BusinessDate,
    /// The 24 months, `YYYY-MM`, month 1 first.
    pub months: Vec<String>,
    /// Cells with principal, in month then county order.
    pub cells: Vec<MaturingCell>,
}

impl MaturityWall {
    /// Principal falling due in each month, all counties together.
    pub fn month_totals(&self) -> Vec<Fen> {
        self.months
            .iter()
            .map(|month| {
                Fen::new(
                    self.cells
                        .iter()
                        .filter(|c| &c.month == month)
                        .map(|c| c.principal.fen())
                        .sum(),
                )
            })
            .collect()
    }

    /// The counties with principal falling due, in code order.
    pub fn counties(&self) -> Vec<String> {
        let mut counties: Vec<String> = self.cells.iter().map(|c| c.county_code.clone()).collect();
        counties.sort();
        counties.dedup();
        counties
    }
}

/// The window of month `number` (1..=24) after `as_of`: due after the first date and on or
/// before the second.
pub fn month_window(as_of: BusinessDate, number: u32) -> Result<(BusinessDate, BusinessDate)> {
    if !(1..=WALL_MONTHS).contains(&number) {
        return Err(AppError::Invalid(format!(
            "month {number} of a maturity wall must be 1 to {WALL_MONTHS}"
        )));
    }
    let end = nth_month_after(as_of, number)?.last_day();
    let start = match number {
        1 => as_of,
        _ => nth_month_after(as_of, number - 1)?.last_day(),
    };
    Ok((start, end))
}

fn nth_month_after(as_of: BusinessDate, number: u32) -> Result<Month> {
    let mut month = Month::of(as_of);
    for _ in 0..number {
        month = month.next().ok_or_else(|| {
            AppError::Invalid(format!("{as_of} + {number} months is beyond the calendar"))
        })?;
    }
    Ok(month)
}

/// Principal falling due in month `number` after `as_of` under the region prefix (of one
/// institution, when given): the indicator measure `loans.maturing[M]`.
pub async fn maturing_in_month(
    db: &Db,
    prefix: &str,
    as_of: BusinessDate,
    number: u32,
    institution: Option<&str>,
) -> Result<Fen> {
    let window = month_window(as_of, number)?;
    let cells = queries::maturing_by_month_and_county(db, prefix, window, institution).await?;
    Ok(Fen::new(cells.iter().map(|c| c.principal.fen()).sum()))
}

/// The wall of the 24 months after `as_of`, as the actor may see it: the regulator its region,
/// a bank its own loans.
pub async fn wall_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    as_of: BusinessDate,
) -> Result<MaturityWall> {
    access::require(ctx, Area::Loans, Access::Read)?;
    let region = access::region_in_scope(ctx, region)?;
    let institution = access::bank_institution(ctx)?.map(str::to_string);
    let prefix = region.as_ref().map_or("", |r| r.prefix());
    let months = (1..=WALL_MONTHS)
        .map(|n| nth_month_after(as_of, n).map(|m| m.to_string()))
        .collect::<Result<Vec<String>>>()?;
    let (_, through) = month_window(as_of, WALL_MONTHS)?;
    let mut cells =
        queries::maturing_by_month_and_county(db, prefix, (as_of, through), institution.as_deref())
            .await?;
    // What falls due in the rest of the date's own month is counted in month 1.
    let own_month = Month::of(as_of).to_string();
    for cell in cells.iter_mut().filter(|c| c.month == own_month) {
        cell.month = months[0].clone();
    }
    Ok(MaturityWall {
        as_of,
        months,
        cells: merged(cells),
    })
}

/// Cells of the same month and county summed, in month then county order.
fn merged(mut cells: Vec<MaturingCell>) -> Vec<MaturingCell> {
    cells.sort_by(|a, b| (&a.month, &a.county_code).cmp(&(&b.month, &b.county_code)));
    let mut out: Vec<MaturingCell> = Vec::with_capacity(cells.len());
    for cell in cells {
        match out.last_mut() {
            Some(last) if last.month == cell.month && last.county_code == cell.county_code => {
                last.principal = Fen::new(last.principal.fen() + cell.principal.fen());
            }
            _ => out.push(cell),
        }
    }
    out
}
