//! A version per data area, so that what is computed from the data (the indicator cache) is
//! kept until a write to what it depends on, and only until then.
//!
//! Every write appends its audit record in its own transaction, so [`crate::audit::append_all`]
//! moves the versions of the areas its records' actions write ([`areas_of`]) in that same
//! transaction: the version of an area is the audit sequence number of its last write. An action
//! not known here moves every area (never a stale value); sign-ins, reads of personal data, user
//! administration and backups move none.

use sqlx::Row;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};

/// The data areas, each versioned on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    Registry,
    Credit,
    Loans,
    Funds,
    Returns,
    Territory,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Registry,
        Area::Credit,
        Area::Loans,
        Area::Funds,
        Area::Returns,
        Area::Territory,
    ];

    /// The name stored in `data_versions.area`.
    pub fn name(self) -> &'static str {
        match self {
            Area::Registry => "registry",
            Area::Credit => "credit",
            Area::Loans => "loans",
            Area::Funds => "funds",
            Area::Returns => "returns",
            Area::Territory => "territory",
        }
    }

    fn parse(name: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|area| area.name() == name)
    }
}

/// What an audited action (`household.change`, `session.sign_in`, …) writes: decided by the
/// kind of thing before the dot. Unknown kinds write every area.
pub fn areas_of(action: &str) -> &'static [Area] {
    let kind = action.split('.').next().unwrap_or(action);
    match kind {
        // A batch of an import's records (`audit.batch`) is not here: it writes every area.
        "session" | "member" | "user" | "api_token" | "field" => &[],
        // An applied file's own record (`import.file`) follows the entries of its rows, which
        // moved the areas they write.
        "import" => &[],
        // Alerts are read from loans and counted by the `alerts.open` measure.
        "alert" | "alert_rule" => &[Area::Loans],
        "database" if action == "database.backup" => &[],
        "household" | "registry" | "enterprise" | "enterprise_link" => &[Area::Registry],
        "credit_file" | "credit_line" | "scorecard" => &[Area::Credit],
        // A product's credit-line rule is read by credit and loan checks alike.
        "product" => &[Area::Loans, Area::Credit],
        // Loans post to the ledger, whose fund accounts and covered balances the funds read.
        "loan" | "eod" | "ledger_batch" => &[Area::Loans, Area::Funds],
        "fund" | "subsidy_claim" | "risk_claim" | "risk_settings" => &[Area::Funds],
        "return" | "return_value" | "data_element" | "validation_rule" | "reported_figure" => {
            &[Area::Returns]
        }
        "region" | "region_group" | "institution" | "assignment" | "service_point" => {
            &[Area::Territory]
        }
        _ => &Area::ALL,
    }
}

/// Sets the version of every area the actions write to `seq` (the last record's number).
pub(crate) async fn bump<'a>(
    tx: &mut Tx,
    actions: impl Iterator<Item = &'a str>,
    seq: i64,
) -> Result<()> {
    let mut areas: Vec<Area> = actions.flat_map(areas_of).copied().collect();
    areas.sort();
    areas.dedup();
    if areas.is_empty() {
        return Ok(());
    }
    let mut params = crate::sql::Params::of(tx);
    let sql = format!(
        "update data_versions set version = {} where area in ({})",
        params.one(),
        params.list(areas.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(seq);
    for area in areas {
        query = query.bind(area.name());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// The current version of each area, in [`Area::ALL`] order.
pub async fn current(db: &Db) -> Result<Vec<(Area, i64)>> {
    let rows = sqlx::query("select area, version from data_versions")
        .fetch_all(db.pool())
        .await?;
    let mut versions = Vec::with_capacity(rows.len());
    for row in &rows {
        let name: String = row.try_get("area")?;
        let area = Area::parse(&name).ok_or_else(|| corrupt("data_versions", "area", &name))?;
        versions.push((area, row.try_get("version")?));
    }
    versions.sort();
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_move_their_areas_only() {
        let cases: [(&str, &[Area]); 13] = [
            ("session.sign_in", &[]),
            ("import.file", &[]),
            ("session.sign_out", &[]),
            ("member.read_id", &[]),
            ("user.add", &[]),
            ("database.backup", &[]),
            ("household.change", &[Area::Registry]),
            ("credit_line.save", &[Area::Credit]),
            ("loan.repay", &[Area::Loans, Area::Funds]),
            ("fund.deposit", &[Area::Funds]),
            ("return.approve", &[Area::Returns]),
            ("service_point.save", &[Area::Territory]),
            ("database.restore", &Area::ALL),
        ];
        for (action, areas) in cases {
            assert_eq!(areas_of(action), areas, "{action}");
        }
        assert_eq!(areas_of("something.new"), &Area::ALL);
        assert_eq!(areas_of("audit.batch"), &Area::ALL);
    }
}
