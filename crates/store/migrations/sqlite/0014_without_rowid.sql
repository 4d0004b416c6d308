-- The tables written most, keyed by their primary key alone (WITHOUT ROWID): each row lives in
-- the primary key's B-tree instead of in a rowid table plus a separate primary-key index, so an
-- instalment, a member or a day total is written to one B-tree fewer and stored once.
-- PostgreSQL has no rowid; its migration of this number changes nothing.
-- Nothing references these tables, and their columns, constraints and indexes are unchanged.

create table loan_instalments_keyed (
    loan_id              integer not null references loans (id),
    number               integer not null,
    due_on               text not null,
    principal_fen        integer not null check (principal_fen >= 0),
    interest_fen         integer not null check (interest_fen >= 0),
    -- Interest of this instalment posted to the ledger as receivable so far.
    interest_charged_fen integer not null default 0,
    paid_principal_fen   integer not null default 0,
    paid_interest_fen    integer not null default 0,
    -- Replaced by an extension or a settlement: no longer due.
    superseded           integer not null default 0 check (superseded in (0, 1)),
    primary key (loan_id, number)
) without rowid;
insert into loan_instalments_keyed select loan_id, number, due_on, principal_fen, interest_fen,
    interest_charged_fen, paid_principal_fen, paid_interest_fen, superseded from loan_instalments;
drop table loan_instalments;
alter table loan_instalments_keyed rename to loan_instalments;
create index loan_instalments_due on loan_instalments (due_on);

create table members_keyed (
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
) without rowid;
insert into members_keyed select household_id, id_number, valid_from, valid_to, name, relation,
    sex, birth_date, labour, phone from members;
drop table members;
alter table members_keyed rename to members;
create index members_person on members (id_number);

create table household_versions_keyed (
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
    exited_year           integer,
    identified_on         text not null,
    per_capita_income_fen integer not null check (per_capita_income_fen >= 0),
    primary key (household_id, valid_from)
) without rowid;
insert into household_versions_keyed select household_id, valid_from, valid_to, village_code,
    poverty_attribute, main_cause, other_causes, status, exited_year, identified_on,
    per_capita_income_fen from household_versions;
drop table household_versions;
alter table household_versions_keyed rename to household_versions;
create index household_versions_village on household_versions (village_code, valid_from);

create table ledger_account_days_keyed (
    account_id         integer not null references ledger_accounts (id),
    value_date         text not null,
    debits_total_fen   integer not null,
    credits_total_fen  integer not null,
    primary key (account_id, value_date)
) without rowid;
insert into ledger_account_days_keyed select account_id, value_date, debits_total_fen,
    credits_total_fen from ledger_account_days;
drop table ledger_account_days;
alter table ledger_account_days_keyed rename to ledger_account_days;

create table ledger_bucket_days_keyed (
    kind              text not null,
    institution_code  text not null,
    county_code       text not null,
    value_date        text not null,
    debits_total_fen  integer not null,
    credits_total_fen integer not null,
    primary key (kind, institution_code, county_code, value_date)
) without rowid;
insert into ledger_bucket_days_keyed select kind, institution_code, county_code, value_date,
    debits_total_fen, credits_total_fen from ledger_bucket_days;
drop table ledger_bucket_days;
alter table ledger_bucket_days_keyed rename to ledger_bucket_days;
create index ledger_bucket_days_county
    on ledger_bucket_days (county_code, kind, institution_code, value_date);
