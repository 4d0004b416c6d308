//! The heads of many households on a date, in a few statements: the name and phone a loan
//! officer's work list shows beside each household.

use fupin_core::BusinessDate;
use sqlx::Row;

use crate::db::Db;
use crate::error::Result;
use crate::registry::as_of_condition;

/// Households per statement (each id is one parameter).
const IDS_PER_STATEMENT: usize = 500;

/// A household's head on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub household_id: String,
    pub name: String,
    pub phone: Option<String>,
}

/// The heads of `ids` on `date` (households without a head on that date are absent).
pub async fn heads_on(db: &Db, ids: &[String], date: BusinessDate) -> Result<Vec<Head>> {
    let mut heads = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "select m.household_id, m.name, m.phone from members m where m.relation = 'head' \
             and {} and m.household_id in ({})",
            as_of_condition("m", 1),
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string());
        for id in chunk {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(db.pool()).await? {
            heads.push(Head {
                household_id: row.try_get("household_id")?,
                name: row.try_get("name")?,
                phone: row.try_get("phone")?,
            });
        }
    }
    Ok(heads)
}
