//! The borrowers a batch of new loans is checked against (and the households a batch of credit
//! files snapshots), read in a few statements for the whole batch instead of two or three for
//! each row. Neither import changes a household, so what was read stays true until the
//! transaction ends.

use std::collections::HashMap;

use fupin_core::BusinessDate;
use fupin_store::Tx;
use fupin_store::registry::{self, Enterprise, HouseholdVersion, MemberVersion};

use crate::error::Result;

/// Households (every version, and their heads') and enterprises read for a batch; a borrower
/// not read for it is looked up alone.
#[derive(Default)]
pub struct Borrowers {
    versions: HashMap<String, Vec<HouseholdVersion>>,
    heads: HashMap<String, Vec<MemberVersion>>,
    /// Every member version, for [`Borrowers::read_with_members`]'s households only.
    members: HashMap<String, Vec<MemberVersion>>,
    enterprises: HashMap<String, Option<Enterprise>>,
}

impl Borrowers {
    /// Reads the households and enterprises named, replacing what an earlier batch read.
    pub async fn read(tx: &mut Tx, households: &[&str], enterprises: &[&str]) -> Result<Borrowers> {
        let mut borrowers = Borrowers::default();
        for id in households {
            borrowers.versions.insert(id.to_string(), Vec::new());
            borrowers.heads.insert(id.to_string(), Vec::new());
        }
        for version in registry::versions_of_in(tx, households).await? {
            let slot = borrowers.versions.entry(version.household_id.clone());
            slot.or_default().push(version);
        }
        for head in registry::heads_of_in(tx, households).await? {
            let slot = borrowers.heads.entry(head.household_id.clone());
            slot.or_default().push(head);
        }
        // Two heads on one date would be a registry error; the first by ID number is taken,
        // as `members_on` orders them.
        for heads in borrowers.heads.values_mut() {
            heads.sort_by(|a, b| a.member.id_number.cmp(&b.member.id_number));
        }
        for code in enterprises {
            borrowers.enterprises.insert(code.to_string(), None);
        }
        for enterprise in registry::enterprises_in(tx, enterprises).await? {
            let code = enterprise.credit_code.clone();
            borrowers.enterprises.insert(code, Some(enterprise));
        }
        Ok(borrowers)
    }

    /// Reads the households named with every member version of each (a credit file keeps a
    /// snapshot of the household as it was): the households of a batch of credit files.
    pub async fn read_with_members(tx: &mut Tx, households: &[&str]) -> Result<Borrowers> {
        let mut borrowers = Borrowers::read(tx, households, &[]).await?;
        for id in households {
            borrowers.members.insert(id.to_string(), Vec::new());
        }
        for member in registry::members_of_in(tx, households).await? {
            let slot = borrowers.members.entry(member.household_id.clone());
            slot.or_default().push(member);
        }
        Ok(borrowers)
    }

    /// The household's members on `date`, the head first, then by ID number (as
    /// `registry::members_on_in` gives them).
    pub async fn members_on(
        &self,
        tx: &mut Tx,
        id: &str,
        date: BusinessDate,
    ) -> Result<Vec<MemberVersion>> {
        let Some(members) = self.members.get(id) else {
            return Ok(registry::members_on_in(tx, id, date).await?);
        };
        let mut on: Vec<MemberVersion> = members
            .iter()
            .filter(|m| valid_on(m.valid_from, m.valid_to, date))
            .cloned()
            .collect();
        on.sort_by(|a, b| {
            let rank = |m: &MemberVersion| u8::from(m.member.relation != "head");
            (rank(a), &a.member.id_number).cmp(&(rank(b), &b.member.id_number))
        });
        Ok(on)
    }

    /// The household's version on `date`.
    pub async fn household_on(
        &self,
        tx: &mut Tx,
        id: &str,
        date: BusinessDate,
    ) -> Result<Option<HouseholdVersion>> {
        match self.versions.get(id) {
            Some(versions) => Ok(versions
                .iter()
                .find(|v| valid_on(v.valid_from, v.valid_to, date))
                .cloned()),
            None => Ok(registry::version_on_in(tx, id, date).await?),
        }
    }

    /// The household's head on `date`.
    pub async fn head_on(
        &self,
        tx: &mut Tx,
        id: &str,
        date: BusinessDate,
    ) -> Result<Option<MemberVersion>> {
        match self.heads.get(id) {
            Some(heads) => Ok(heads
                .iter()
                .find(|m| valid_on(m.valid_from, m.valid_to, date))
                .cloned()),
            None => Ok(registry::members_on_in(tx, id, date)
                .await?
                .into_iter()
                .find(|m| m.member.relation == "head")),
        }
    }

    /// The enterprise of a credit code.
    pub async fn enterprise(&self, tx: &mut Tx, code: &str) -> Result<Option<Enterprise>> {
        match self.enterprises.get(code) {
            Some(known) => Ok(known.clone()),
            None => Ok(registry::enterprise_in(tx, code).await?),
        }
    }
}

/// Whether a version valid from `from` until `to` (exclusive; open when `None`) holds on `date`,
/// as the store's `as_of_condition` says.
fn valid_on(from: BusinessDate, to: Option<BusinessDate>, date: BusinessDate) -> bool {
    from <= date && to.is_none_or(|to| to > date)
}
