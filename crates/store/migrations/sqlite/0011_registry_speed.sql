-- Registry import speed and the no-going-back check per household.

-- As-of date of the extract that last changed a household (extracts must not go back in time).
-- The default only fills rows that existed before this migration; the backfill below replaces it.
alter table households add column changed_on text not null default '';
update households set changed_on = (
    select max(d) from (
        select households.added_on as d
        union all select households.removed_on
        union all select v.valid_from from household_versions v
            where v.household_id = households.household_id
    ) dates
);

-- The feed of one household is read by household; nothing reads it by village.
drop index registry_events_village;
create index registry_events_household on registry_events (household_id, seq);

-- The working table of an import is empty outside one, so it is rebuilt keyed by household:
-- the rows of one household are read together.
-- (SQLite: WITHOUT ROWID, so they are also stored together.)
drop table registry_import_rows;
create table registry_import_rows (
    line                  integer not null,
    household_id          text not null,
    village_code          text not null,
    poverty_attribute     text not null,
    main_cause            text not null,
    other_causes          text not null,
    status                text not null,
    exited_year           integer,
    identified_on         text not null,
    per_capita_income_fen integer not null,
    id_number             text not null,
    name                  text not null,
    relation              text not null,
    sex                   text not null,
    birth_date            text not null,
    labour                text not null,
    phone                 text,
    -- The household the person belongs to now, when it is another one.
    moved_from            text,
    primary key (household_id, line)
) without rowid;
create index registry_import_rows_person on registry_import_rows (id_number);
