//! Reading the current state inside an import's write, and writing the differences.

use super::*;

/// The registered households among `ids`.
pub async fn identities_in(tx: &mut Tx, ids: &[String]) -> Result<Vec<HouseholdIdentity>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select household_id, village_code, added_on, removed_on, changed_on from households \
             where household_id in ({})",
            Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push(identity_from_row(&row)?);
        }
    }
    Ok(found)
}

/// One registered household.
pub async fn identity_in(tx: &mut Tx, id: &str) -> Result<Option<HouseholdIdentity>> {
    let row = sqlx::query(
        "select household_id, village_code, added_on, removed_on, changed_on from households \
         where household_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(identity_from_row).transpose()
}

/// The current versions of the households among `ids`.
pub async fn current_versions_in(tx: &mut Tx, ids: &[String]) -> Result<Vec<HouseholdVersion>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select {VERSION_COLUMNS} from household_versions v \
             where v.valid_to is null and v.household_id in ({})",
            Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push(version_from_row(&row)?);
        }
    }
    Ok(found)
}

/// The current members of the households among `ids`, by household then ID number.
pub async fn current_members_in(tx: &mut Tx, ids: &[String]) -> Result<Vec<MemberVersion>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select {MEMBER_COLUMNS} from members m \
             where m.valid_to is null and m.household_id in ({}) \
             order by m.household_id, m.id_number",
            Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push(member_from_row(&row)?);
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// writing

/// A feed event about to be written, its number already allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub seq: i64,
    pub household_id: String,
    pub village_code: RegionCode,
    pub kind: &'static str,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The writes of a chunk of households, applied in a safe order by [`write`].
#[derive(Clone, Debug, Default)]
pub struct RegistryWrites {
    /// Inserted, or updated (village, removal, last change) keeping `added_on`.
    pub identities: Vec<HouseholdIdentity>,
    /// Households whose current version ends on the as-of date.
    pub close_versions: Vec<String>,
    /// New versions (replacing a version that starts on the same day).
    pub versions: Vec<HouseholdVersion>,
    /// Households all of whose current members leave on the as-of date.
    pub close_all_members: Vec<String>,
    /// (household, ID number) memberships that end on the as-of date.
    pub close_members: Vec<(String, String)>,
    /// New member versions (replacing one that starts on the same day).
    pub members: Vec<MemberVersion>,
    pub events: Vec<NewEvent>,
    pub audit: Vec<AuditEntry>,
}

impl RegistryWrites {
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
            && self.close_versions.is_empty()
            && self.versions.is_empty()
            && self.close_all_members.is_empty()
            && self.close_members.is_empty()
            && self.members.is_empty()
            && self.events.is_empty()
            && self.audit.is_empty()
    }
}

/// Reserves `count` consecutive event numbers and returns the first. The update holds the
/// head row until commit, so numbers are committed in the order they are allocated.
pub async fn allocate_event_seqs(tx: &mut Tx, count: usize) -> Result<i64> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let last: i64 =
        sqlx::query("update registry_head set seq = seq + $1 where id = 1 returning seq")
            .bind(count)
            .fetch_one(&mut **tx)
            .await?
            .try_get("seq")?;
    Ok(last - count + 1)
}

/// Applies the writes of a chunk: closing versions before opening new ones. Each kind of row
/// goes through [`BulkRows`] (each engine's bulk path); the closings are key lists.
pub async fn write(tx: &mut Tx, as_of: BusinessDate, writes: &RegistryWrites) -> Result<()> {
    let as_of_text = as_of.to_string();
    write_identities(tx, &writes.identities).await?;
    close_where(
        tx,
        "update household_versions set valid_to = {as_of} \
         where valid_to is null and household_id in ({keys})",
        &as_of_text,
        &writes.close_versions,
    )
    .await?;
    write_versions(tx, &writes.versions).await?;
    close_where(
        tx,
        "update members set valid_to = {as_of} where valid_to is null and household_id in ({keys})",
        &as_of_text,
        &writes.close_all_members,
    )
    .await?;
    close_members(tx, &as_of_text, &writes.close_members).await?;
    write_members(tx, &writes.members).await?;
    write_events(tx, &as_of_text, &writes.events).await?;
    audit::append_batches(tx, &writes.audit).await?;
    Ok(())
}

/// Runs `template` (with `{as_of}` and `{keys}`) for `keys`, a list at a time.
async fn close_where(tx: &mut Tx, template: &str, as_of: &str, keys: &[String]) -> Result<()> {
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        let mut params = Params::of(tx);
        let sql = template
            .replace("{as_of}", &params.one())
            .replace("{keys}", &params.list(chunk.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(as_of);
        for key in chunk {
            query = query.bind(key);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Ends the (household, ID number) memberships on `as_of`.
async fn close_members(tx: &mut Tx, as_of: &str, keys: &[(String, String)]) -> Result<()> {
    for chunk in keys.chunks(rows_per_insert(2)) {
        let mut params = Params::of(tx);
        let sql = format!(
            "update members set valid_to = {} where valid_to is null \
             and (household_id, id_number) in ({})",
            params.one(),
            params.rows(chunk.len(), 2)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(as_of);
        for (household, id_number) in chunk {
            query = query.bind(household).bind(id_number);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts households, or updates (village, removal, last change) keeping `added_on`.
async fn write_identities(tx: &mut Tx, identities: &[HouseholdIdentity]) -> Result<()> {
    let mut rows = BulkRows::new(5);
    for identity in identities {
        rows.text(&identity.household_id)
            .text(identity.village_code.to_string())
            .text(identity.added_on.to_string())
            .opt_text(identity.removed_on.map(|day| day.to_string()))
            .text(identity.changed_on.to_string());
    }
    rows.insert(
        tx,
        "households (household_id, village_code, added_on, removed_on, changed_on)",
        &["text"; 5],
        "on conflict (household_id) do update set village_code = excluded.village_code, \
         removed_on = excluded.removed_on, changed_on = excluded.changed_on",
    )
    .await
}

/// New versions, replacing a version that starts on the same day.
async fn write_versions(tx: &mut Tx, versions: &[HouseholdVersion]) -> Result<()> {
    let mut rows = BulkRows::new(11);
    for version in versions {
        let facts = &version.facts;
        rows.text(&version.household_id)
            .text(version.valid_from.to_string())
            .opt_text(version.valid_to.map(|day| day.to_string()))
            .text(facts.village_code.to_string())
            .text(&facts.poverty_attribute)
            .text(&facts.main_cause)
            .text(facts.other_causes.join(";"))
            .text(&facts.status)
            .opt_int(facts.exited_year)
            .text(facts.identified_on.to_string())
            .int(facts.per_capita_income.fen());
    }
    rows.insert(
        tx,
        "household_versions (household_id, valid_from, valid_to, village_code, \
         poverty_attribute, main_cause, other_causes, status, exited_year, identified_on, \
         per_capita_income_fen)",
        &[
            "text", "text", "text", "text", "text", "text", "text", "text", "bigint", "text",
            "bigint",
        ],
        "on conflict (household_id, valid_from) do update set valid_to = excluded.valid_to, \
         village_code = excluded.village_code, poverty_attribute = excluded.poverty_attribute, \
         main_cause = excluded.main_cause, other_causes = excluded.other_causes, \
         status = excluded.status, exited_year = excluded.exited_year, \
         identified_on = excluded.identified_on, \
         per_capita_income_fen = excluded.per_capita_income_fen",
    )
    .await
}

/// New member versions, replacing one that starts on the same day.
async fn write_members(tx: &mut Tx, members: &[MemberVersion]) -> Result<()> {
    let mut rows = BulkRows::new(11);
    for version in members {
        let member = &version.member;
        rows.text(&version.household_id)
            .text(version.valid_from.to_string())
            .opt_text(version.valid_to.map(|day| day.to_string()))
            .text(&member.id_number)
            .text(&member.name)
            .text(&member.relation)
            .text(&member.sex)
            .text(member.birth_date.to_string())
            .text(&member.labour)
            .opt_text(member.phone.as_deref())
            .opt_text(member.died_on.map(|day| day.to_string()));
    }
    rows.insert(
        tx,
        "members (household_id, valid_from, valid_to, id_number, name, relation, sex, \
         birth_date, labour, phone, died_on)",
        &["text"; 11],
        "on conflict (household_id, id_number, valid_from) do update \
         set valid_to = excluded.valid_to, name = excluded.name, \
         relation = excluded.relation, sex = excluded.sex, \
         birth_date = excluded.birth_date, labour = excluded.labour, phone = excluded.phone, \
         died_on = excluded.died_on",
    )
    .await
}

/// The chunk's feed events, numbers already allocated.
async fn write_events(tx: &mut Tx, as_of: &str, events: &[NewEvent]) -> Result<()> {
    let mut rows = BulkRows::new(8);
    for event in events {
        let township = event
            .village_code
            .ancestor_at(RegionLevel::Township)
            .unwrap_or(event.village_code);
        rows.int(event.seq)
            .text(as_of)
            .text(&event.household_id)
            .text(event.village_code.to_string())
            .text(township.to_string())
            .text(event.kind)
            .opt_text(event.before_json.as_deref())
            .opt_text(event.after_json.as_deref());
    }
    rows.insert(
        tx,
        "registry_events (seq, as_of, household_id, village_code, township_code, kind, \
         before_json, after_json)",
        &[
            "bigint", "text", "text", "text", "text", "text", "text", "text",
        ],
        "",
    )
    .await
}
