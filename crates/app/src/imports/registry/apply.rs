//! Applying a households file: the differences against the registry, written in chunks.

use super::*;

/// An event before its number is allocated.
pub(super) struct PendingEvent {
    pub(super) household_id: String,
    pub(super) village_code: RegionCode,
    pub(super) kind: &'static str,
    pub(super) before: Option<Value>,
    pub(super) after: Option<Value>,
}

/// An audit record of one household, waiting for its events' numbers.
pub(super) struct PendingAudit {
    pub(super) household_id: String,
    pub(super) action: &'static str,
    pub(super) before: Option<Value>,
    pub(super) after: Option<Value>,
    /// Indexes into the chunk's events.
    pub(super) events: std::ops::Range<usize>,
}

/// Compares households with the registry and writes the differences, a chunk at a time.
pub(super) struct Apply<'c> {
    pub(super) ctx: &'c Ctx,
    pub(super) as_of: BusinessDate,
    /// Covered villages: (latest extract date, the one before).
    pub(super) extracts: HashMap<RegionCode, (BusinessDate, Option<BusinessDate>)>,
    pub(super) counts: ImportCounts,
    /// Villages whose households this import adds, changes or removes (both sides of a
    /// household that moves between villages).
    pub(super) changed_villages: HashSet<RegionCode>,
    pub(super) writes: RegistryWrites,
    pub(super) events: Vec<PendingEvent>,
    pub(super) audits: Vec<PendingAudit>,
    pub(super) first_seq: Option<i64>,
    pub(super) last_seq: Option<i64>,
}

impl<'c> Apply<'c> {
    pub(super) async fn new(ctx: &'c Ctx, as_of: BusinessDate, tx: &mut Tx) -> Result<Apply<'c>> {
        let extracts = registry::covered_village_extracts(tx)
            .await?
            .into_iter()
            .map(|(village, latest, previous)| (village, (latest, previous)))
            .collect();
        Ok(Apply {
            ctx,
            as_of,
            extracts,
            counts: ImportCounts::default(),
            changed_villages: HashSet::new(),
            writes: RegistryWrites::default(),
            events: Vec::new(),
            audits: Vec::new(),
            first_seq: None,
            last_seq: None,
        })
    }

    pub(super) fn event_range(&self) -> Value {
        match (self.first_seq, self.last_seq) {
            (Some(first), Some(last)) => json!([first, last]),
            _ => Value::Null,
        }
    }

    /// Removes the households of the covered villages that the file does not list.
    pub(super) async fn removals(&mut self, tx: &mut Tx) -> Result<()> {
        let mut after = String::new();
        loop {
            let victims = registry::households_to_remove(tx, &after, APPLY_CHUNK).await?;
            let Some(last) = victims.last() else {
                break;
            };
            after = last.household_id.clone();
            let ids: Vec<String> = victims.iter().map(|v| v.household_id.clone()).collect();
            let members = group_members(registry::current_members_in(tx, &ids).await?);
            for version in &victims {
                let current = members
                    .get(&version.household_id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                self.remove(version, current);
            }
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Applies the households of the file (those not refused), in id order: one statement sets
    /// aside those equal to the registry (counted unchanged), the others are compared here.
    pub(super) async fn households(&mut self, tx: &mut Tx) -> Result<()> {
        let (_, unchanged) = registry::mark_changed_households(tx).await?;
        self.counts.unchanged += u64::try_from(unchanged).unwrap_or(0);
        let mut after = String::new();
        loop {
            let ids = registry::staged_households_after(tx, &after, APPLY_CHUNK).await?;
            let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                break;
            };
            let rows = registry::staged_rows_between(tx, first, last).await?;
            let identities: HashMap<String, HouseholdIdentity> = registry::identities_in(tx, &ids)
                .await?
                .into_iter()
                .map(|identity| (identity.household_id.clone(), identity))
                .collect();
            let versions: HashMap<String, HouseholdVersion> =
                registry::current_versions_in(tx, &ids)
                    .await?
                    .into_iter()
                    .map(|version| (version.household_id.clone(), version))
                    .collect();
            let members = group_members(registry::current_members_in(tx, &ids).await?);
            for rows in rows.chunk_by(|a, b| a.household_id == b.household_id) {
                let id = &rows[0].household_id;
                let current_members = members.get(id).map(Vec::as_slice).unwrap_or_default();
                let applied =
                    self.household(rows, identities.get(id), versions.get(id), current_members);
                match applied {
                    Applied::Added => self.counts.added += 1,
                    Applied::Changed => self.counts.changed += 1,
                    Applied::Unchanged => self.counts.unchanged += 1,
                }
            }
            after = last.clone();
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// The first day of a household seen without a current version: its identification date,
    /// but not on or before the previous extract of its village (which did not list it), nor
    /// before its removal.
    pub(super) fn first_valid_from(
        &self,
        facts: &HouseholdFacts,
        identity: Option<&HouseholdIdentity>,
    ) -> BusinessDate {
        let mut from = facts.identified_on;
        let previous = self
            .extracts
            .get(&facts.village_code)
            .and_then(|(latest, previous)| {
                if *latest < self.as_of {
                    Some(*latest)
                } else {
                    *previous
                }
            });
        if let Some(next_day) = previous.and_then(BusinessDate::succ) {
            from = from.max(next_day);
        }
        if let Some(removed) = identity.and_then(|identity| identity.removed_on) {
            from = from.max(removed);
        }
        from.min(self.as_of)
    }

    /// Compares one household of the file (its rows) with the registry and queues the writes,
    /// events and audit record of the difference.
    pub(super) fn household(
        &mut self,
        rows: &[StagedRow],
        identity: Option<&HouseholdIdentity>,
        current: Option<&HouseholdVersion>,
        current_members: &[MemberVersion],
    ) -> Applied {
        match current {
            None => self.add(rows, identity),
            Some(current) => self.change(rows, identity, current, current_members),
        }
    }

    /// A household without a current version: new, or back after a removal.
    fn add(&mut self, rows: &[StagedRow], identity: Option<&HouseholdIdentity>) -> Applied {
        let id = rows[0].household_id.clone();
        let facts = rows[0].facts.clone();
        let events_start = self.events.len();
        let valid_from = self.first_valid_from(&facts, identity);
        self.writes.identities.push(HouseholdIdentity {
            household_id: id.clone(),
            village_code: facts.village_code,
            added_on: identity.map_or(valid_from, |identity| identity.added_on),
            removed_on: None,
            changed_on: self.as_of,
        });
        self.writes.versions.push(HouseholdVersion {
            household_id: id.clone(),
            facts: facts.clone(),
            valid_from,
            valid_to: None,
        });
        for row in rows {
            let member_from = match row.moved_from {
                Some(_) => self.as_of,
                None => valid_from,
            };
            self.writes.members.push(MemberVersion {
                household_id: id.clone(),
                member: row.member.clone(),
                valid_from: member_from,
                valid_to: None,
            });
        }
        let members = || rows.iter().map(|row| &row.member);
        self.events.push(PendingEvent {
            household_id: id.clone(),
            village_code: facts.village_code,
            kind: "added",
            before: None,
            after: Some(household_json(&id, &facts, members(), false)),
        });
        self.audits.push(PendingAudit {
            household_id: id.clone(),
            action: "household.add",
            before: None,
            after: Some(household_json(&id, &facts, members(), true)),
            events: events_start..self.events.len(),
        });
        self.changed_villages.insert(facts.village_code);
        Applied::Added
    }

    /// A registered household: its household fields and members compared with the file's.
    fn change(
        &mut self,
        rows: &[StagedRow],
        identity: Option<&HouseholdIdentity>,
        current: &HouseholdVersion,
        current_members: &[MemberVersion],
    ) -> Applied {
        let id = rows[0].household_id.clone();
        let facts = &rows[0].facts;
        let events_start = self.events.len();
        if current.facts != *facts {
            self.household_fields_changed(&id, &current.facts, facts);
        }
        let new_members: Vec<&MemberFacts> = rows.iter().map(|row| &row.member).collect();
        self.members_changed(&id, facts.village_code, &new_members, current_members);
        if self.events.len() == events_start {
            return Applied::Unchanged;
        }
        self.changed_villages.insert(facts.village_code);
        self.changed_villages.insert(current.facts.village_code);
        self.writes.identities.push(HouseholdIdentity {
            household_id: id.clone(),
            village_code: facts.village_code,
            // Kept on update: the household is registered.
            added_on: identity.map_or(current.valid_from, |identity| identity.added_on),
            removed_on: None,
            changed_on: self.as_of,
        });
        let old_members = current_members.iter().map(|version| &version.member);
        self.audits.push(PendingAudit {
            household_id: id.clone(),
            action: "household.change",
            before: Some(household_json(&id, &current.facts, old_members, true)),
            after: Some(household_json(&id, facts, new_members, true)),
            events: events_start..self.events.len(),
        });
        Applied::Changed
    }

    /// A new version of the household fields, with a `status_changed` and/or `changed` event.
    fn household_fields_changed(
        &mut self,
        id: &str,
        before: &HouseholdFacts,
        after: &HouseholdFacts,
    ) {
        for (status, kind) in [(true, "status_changed"), (false, "changed")] {
            let (old, new) = changed_fields(before, after, status);
            if !new.is_empty() {
                self.events.push(PendingEvent {
                    household_id: id.to_string(),
                    village_code: after.village_code,
                    kind,
                    before: Some(Value::Object(old)),
                    after: Some(Value::Object(new)),
                });
            }
        }
        self.writes.close_versions.push(id.to_string());
        self.writes.versions.push(HouseholdVersion {
            household_id: id.to_string(),
            facts: after.clone(),
            valid_from: self.as_of,
            valid_to: None,
        });
    }

    /// Members added, changed or gone: memberships closed and opened, an event each.
    fn members_changed(
        &mut self,
        id: &str,
        village: RegionCode,
        new_members: &[&MemberFacts],
        current_members: &[MemberVersion],
    ) {
        let stored: HashMap<&str, &MemberFacts> = current_members
            .iter()
            .map(|version| (version.member.id_number.as_str(), &version.member))
            .collect();
        let listed: HashSet<&str> = new_members.iter().map(|m| m.id_number.as_str()).collect();
        for member in new_members {
            let before = stored.get(member.id_number.as_str()).copied();
            if before == Some(*member) {
                continue;
            }
            if before.is_some() {
                self.writes
                    .close_members
                    .push((id.to_string(), member.id_number.clone()));
            }
            self.writes.members.push(MemberVersion {
                household_id: id.to_string(),
                member: (*member).clone(),
                valid_from: self.as_of,
                valid_to: None,
            });
            let (kind, before_json, after_json) = match before {
                None => ("member_added", None, Some(member_json(member, false))),
                Some(before) => {
                    let (old, new) = changed_member_fields(before, member);
                    ("member_changed", Some(old), Some(new))
                }
            };
            self.events.push(PendingEvent {
                household_id: id.to_string(),
                village_code: village,
                kind,
                before: before_json,
                after: after_json,
            });
        }
        for version in current_members {
            let member = &version.member;
            if listed.contains(member.id_number.as_str()) {
                continue;
            }
            self.writes
                .close_members
                .push((id.to_string(), member.id_number.clone()));
            self.events.push(PendingEvent {
                household_id: id.to_string(),
                village_code: village,
                kind: "member_removed",
                before: Some(member_json(member, false)),
                after: None,
            });
        }
    }

    pub(super) fn remove(&mut self, version: &HouseholdVersion, members: &[MemberVersion]) {
        let id = &version.household_id;
        let events_start = self.events.len();
        self.writes.identities.push(HouseholdIdentity {
            household_id: id.clone(),
            village_code: version.facts.village_code,
            // Not written: the household is registered, and `added_on` is kept on update.
            added_on: version.valid_from,
            removed_on: Some(self.as_of),
            changed_on: self.as_of,
        });
        self.changed_villages.insert(version.facts.village_code);
        self.writes.close_versions.push(id.clone());
        self.writes.close_all_members.push(id.clone());
        let members = members.iter().map(|member| &member.member);
        self.events.push(PendingEvent {
            household_id: id.clone(),
            village_code: version.facts.village_code,
            kind: "removed",
            before: Some(household_json(id, &version.facts, members.clone(), false)),
            after: None,
        });
        self.audits.push(PendingAudit {
            household_id: id.clone(),
            action: "household.remove",
            before: Some(household_json(id, &version.facts, members, true)),
            after: Some(json!({ "household_id": id, "removed_on": self.as_of.to_string() })),
            events: events_start..self.events.len(),
        });
        self.counts.removed += 1;
    }

    /// Numbers the chunk's events and writes everything.
    pub(super) async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let first_seq = match self.events.len() {
            0 => 0,
            count => registry::allocate_event_seqs(tx, count).await?,
        };
        let events = std::mem::take(&mut self.events);
        if !events.is_empty() {
            self.first_seq.get_or_insert(first_seq);
            self.last_seq = Some(first_seq + events.len() as i64 - 1);
        }
        self.writes.events = events
            .into_iter()
            .enumerate()
            .map(|(index, event)| NewEvent {
                seq: first_seq + index as i64,
                household_id: event.household_id,
                village_code: event.village_code,
                kind: event.kind,
                before_json: event.before.map(|value| value.to_string()),
                after_json: event.after.map(|value| value.to_string()),
            })
            .collect();
        for pending in std::mem::take(&mut self.audits) {
            let mut entry: AuditEntry =
                self.ctx
                    .audit(pending.action, "household", &pending.household_id);
            entry.before_json = pending.before.map(|value| value.to_string());
            let mut after = pending.after.unwrap_or_else(|| json!({}));
            if let Value::Object(fields) = &mut after {
                fields.insert("as_of".into(), json!(self.as_of.to_string()));
                if !pending.events.is_empty() {
                    let first = first_seq + pending.events.start as i64;
                    let last = first_seq + pending.events.end as i64 - 1;
                    fields.insert("events".into(), json!([first, last]));
                }
            }
            entry.after_json = Some(after.to_string());
            self.writes.audit.push(entry);
        }
        if !self.writes.is_empty() {
            registry::write(tx, self.as_of, &self.writes).await?;
        }
        self.writes = RegistryWrites::default();
        Ok(())
    }
}

pub(super) fn group_members(members: Vec<MemberVersion>) -> HashMap<String, Vec<MemberVersion>> {
    let mut grouped: HashMap<String, Vec<MemberVersion>> = HashMap::new();
    for member in members {
        grouped
            .entry(member.household_id.clone())
            .or_default()
            .push(member);
    }
    grouped
}

/// The household-level fields that differ: the status fields (`status`, `exited_year`) when
/// `status` is true, the others otherwise. Returns (before, after).
pub(super) fn changed_fields(
    before: &HouseholdFacts,
    after: &HouseholdFacts,
    status: bool,
) -> (Map<String, Value>, Map<String, Value>) {
    let old = household_json("", before, std::iter::empty(), false);
    let new = household_json("", after, std::iter::empty(), false);
    let mut old_fields = Map::new();
    let mut new_fields = Map::new();
    for column in HOUSEHOLD_LEVEL {
        let is_status = matches!(*column, "status" | "exited_year");
        if is_status != status || old[*column] == new[*column] {
            continue;
        }
        old_fields.insert(column.to_string(), old[*column].clone());
        new_fields.insert(column.to_string(), new[*column].clone());
    }
    if status && !new_fields.is_empty() {
        // Both status fields, so a reader sees the whole status either side.
        for column in ["status", "exited_year"] {
            old_fields.insert(column.into(), old[column].clone());
            new_fields.insert(column.into(), new[column].clone());
        }
    }
    (old_fields, new_fields)
}

/// A member's changed fields, each side with the ID number. Returns (before, after).
pub(super) fn changed_member_fields(before: &MemberFacts, after: &MemberFacts) -> (Value, Value) {
    let old = member_json(before, false);
    let new = member_json(after, false);
    let mut old_fields = Map::new();
    let mut new_fields = Map::new();
    for (key, value) in new.as_object().into_iter().flatten() {
        if key == "id_number" || old[key.as_str()] != *value {
            old_fields.insert(key.clone(), old[key.as_str()].clone());
            new_fields.insert(key.clone(), value.clone());
        }
    }
    (Value::Object(old_fields), Value::Object(new_fields))
}
