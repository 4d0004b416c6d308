-- Territory: region groups, institutions, township responsibility, village service points.

create table region_groups (
    name        text primary key,
    title       text not null,
    title_en    text,
    builtin     integer not null default 0 check (builtin in (0, 1)),
    description text
);

-- Membership can differ by date: [valid_from, valid_to), valid_to null = open-ended.
create table region_group_members (
    group_name  text not null references region_groups (name),
    region_code text not null references regions (code),
    valid_from  text not null,
    valid_to    text,
    primary key (group_name, region_code, valid_from)
);

create table institutions (
    code        text primary key,
    name        text not null,
    name_en     text,
    type        text not null check (type in ('policy_bank', 'large_commercial', 'postal_savings',
                    'rural_cooperative', 'village_bank', 'other')),
    parent_code text references institutions (code) deferrable initially immediate,
    region_code text not null references regions (code)
);
create index institutions_region on institutions (region_code);

-- Each township has one responsible institution at a time: [effective_from, effective_to).
create table assignments (
    township_code    text not null references regions (code),
    institution_code text not null references institutions (code),
    effective_from   text not null,
    effective_to     text,
    primary key (township_code, effective_from)
);
create index assignments_institution on assignments (institution_code);

create table service_points (
    id               text primary key,
    village_code     text not null references regions (code),
    institution_code text not null references institutions (code),
    kind             text not null check (kind in ('outlet', 'atm', 'withdrawal_point', 'pos',
                         'mobile', 'other')),
    -- Services offered, as a sorted ';'-separated list of service names.
    services         text not null,
    opened_on        text not null,
    closed_on        text
);
create index service_points_village on service_points (village_code);
