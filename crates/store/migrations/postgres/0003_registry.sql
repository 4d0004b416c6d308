-- Registry (建档立卡): poor households and their members, the change feed, enterprises and the
-- households they lift.
--
-- Households and members are kept as versioned rows: each row holds one version over
-- [valid_from, valid_to) in business dates (valid_to null = current). A version starts on the
-- as-of date of the extract that brought the change, or - for a household seen for the first
-- time - on its identification date (never before the previous extract of its village). "The
-- registry as of D" is `valid_from <= D and (valid_to is null or valid_to > D)`: one range
-- query, no replay. Removed households keep their closed versions.

-- One row per household ever registered: the key other tables refer to.
create table households (
    household_id text primary key,
    -- The village of its latest version.
    village_code text not null references regions (code),
    -- valid_from of its first version.
    added_on     text not null,
    -- As-of date of the extract that removed it; null while it is in the registry.
    removed_on   text
);

create table household_versions (
    household_id          text not null references households (household_id),
    valid_from            text not null,
    valid_to              text,
    village_code          text not null references regions (code),
    poverty_attribute     text not null check (poverty_attribute in ('general', 'low_income',
                              'five_guarantee', 'low_income_poor')),
    main_cause            text not null check (main_cause in ('illness', 'disability',
                              'education', 'disaster', 'lack_land', 'lack_water', 'lack_skills',
                              'lack_labour', 'lack_funds', 'transport', 'lack_motivation',
                              'other')),
    -- Up to two causes, sorted, ';'-separated; '' for none.
    other_causes          text not null,
    status                text not null check (status in ('poor', 'exited', 'relapsed')),
    exited_year           bigint,
    identified_on         text not null,
    per_capita_income_fen bigint not null check (per_capita_income_fen >= 0),
    primary key (household_id, valid_from)
);
create index household_versions_village on household_versions (village_code, valid_from);

-- One row per version of a person's membership of a household.
create table members (
    household_id text not null references households (household_id),
    -- GB 11643, 18 characters, validated on the way in. Personal data: shown masked.
    id_number    text not null check (length(id_number) = 18),
    valid_from   text not null,
    valid_to     text,
    name         text not null,
    relation     text not null check (relation in ('head', 'spouse', 'child', 'parent',
                     'grandchild', 'other')),
    -- Derived from the ID number.
    sex          text not null check (sex in ('male', 'female')),
    birth_date   text not null,
    labour       text not null check (labour in ('normal', 'skilled', 'weak', 'none')),
    phone        text,
    primary key (household_id, id_number, valid_from)
);
create index members_person on members (id_number);

-- The feed's counter. Allocating sequence numbers updates this row first, which serialises
-- registry writers on both engines, so numbers are committed in order.
create table registry_head (
    id  bigint primary key check (id = 1),
    seq bigint not null
);
insert into registry_head (id, seq) values (1, 0);

-- Every change to a household or member, in order: the information-sharing feed.
create table registry_events (
    seq           bigint primary key,
    -- The as-of date of the extract that brought the change.
    as_of         text not null,
    household_id  text not null,
    village_code  text not null,
    township_code text not null,
    kind          text not null check (kind in ('added', 'changed', 'status_changed', 'removed',
                      'member_added', 'member_changed', 'member_removed')),
    before_json   text,
    after_json    text
);
create index registry_events_township on registry_events (township_code, seq);
create index registry_events_village on registry_events (village_code, seq);

-- The latest extract dates that covered each village; extracts must not go back in time.
create table registry_villages (
    village_code   text primary key references regions (code),
    as_of          text not null,
    -- The extract date before as_of, if any.
    previous_as_of text
);

-- Working tables of a household import, empty outside one. Rows are validated here with SQL so
-- that memory does not grow with the file.
create table registry_import_rows (
    line                  bigint primary key,
    household_id          text not null,
    village_code          text not null,
    poverty_attribute     text not null,
    main_cause            text not null,
    other_causes          text not null,
    status                text not null,
    exited_year           bigint,
    identified_on         text not null,
    per_capita_income_fen bigint not null,
    id_number             text not null,
    name                  text not null,
    relation              text not null,
    sex                   text not null,
    birth_date            text not null,
    labour                text not null,
    phone                 text,
    -- The household the person belongs to now, when it is another one.
    moved_from            text
);
create index registry_import_rows_household on registry_import_rows (household_id, line);
create index registry_import_rows_person on registry_import_rows (id_number);

-- Households of the file that are refused (any row with an error).
create table registry_import_rejects (
    household_id text primary key
);

-- Villages the file covers.
create table registry_import_villages (
    village_code text primary key
);

-- Enterprises (leading enterprises, cooperatives, family farms, breeding bases, ...).
create table enterprises (
    credit_code   text primary key check (length(credit_code) = 18),
    name          text not null,
    kind          text not null check (kind in ('leading_enterprise', 'cooperative',
                      'family_farm', 'breeding_base', 'project_entity', 'other')),
    industry      text not null,
    village_code  text not null references regions (code),
    leading_level text check (leading_level in ('national', 'provincial', 'municipal')),
    -- As-of date of the extract that first listed it.
    listed_on     text not null
);
create index enterprises_village on enterprises (village_code);

-- Whom an enterprise lifts: [since, until), until null = ongoing.
create table enterprise_links (
    credit_code  text not null references enterprises (credit_code),
    household_id text not null references households (household_id),
    link         text not null check (link in ('employment', 'land_lease', 'dividend',
                     'purchase', 'other')),
    people       bigint not null check (people > 0),
    since        text not null,
    until        text,
    primary key (credit_code, household_id, link)
);
create index enterprise_links_household on enterprise_links (household_id);
