-- Field work (the loan officer's village visit, issue #30).
-- The villages an administrator assigned to a bank officer: when a user has any, the field app
-- offers only those (still within their institution's townships); without any, every village of
-- those townships.
create table field_assignments (
    user_name    text not null references users (name),
    village_code text not null,
    assigned_by  text not null,
    assigned_at  text not null,
    primary key (user_name, village_code)
);

-- A visit made offline and accepted at sync, by the id the device gave it: the same id sent
-- again answers the same, and writes nothing twice.
create table field_visits (
    visit_id       text primary key,
    user_name      text not null,
    household_id   text not null,
    institution_code text not null,
    visit_date     text not null,
    credit_file_id integer not null,
    credit_line_id integer,
    note           text,
    synced_at      text not null
);
create index field_visits_household on field_visits (household_id);
