-- Statistical returns (报表): what institutions report per county and month, checked by
-- validation rules and approved by the regulator (DHIS2's data sets, validation and approval);
-- and figures published elsewhere, kept beside the computed ones.

-- The catalogue of what a return can hold. Values are integers in the unit's storage form:
-- fen for 'yuan', the number itself for 'count', hundredths of a percent for 'percent'.
create table data_elements (
    code        text primary key,
    name        text not null,
    name_en     text,
    unit        text not null check (unit in ('yuan', 'count', 'percent')),
    description text,
    builtin     integer not null default 0 check (builtin in (0, 1))
);

-- Rules a return must satisfy. 'compare': left_expression operator right_expression, each a
-- sum of data element codes (`a + b - c`), evaluated on the return's own values. 'change': the
-- element's value may not move by more than threshold_percent (exact decimal text) from the
-- same institution and county's return of the month before.
create table validation_rules (
    code              text primary key,
    description       text not null,
    kind              text not null check (kind in ('compare', 'change')),
    left_expression   text,
    operator          text check (operator in ('<=', '>=', '=', '<', '>')),
    right_expression  text,
    element_code      text references data_elements (code),
    threshold_percent text,
    severity          text not null check (severity in ('error', 'warning')),
    active            integer not null default 1 check (active in (0, 1)),
    builtin           integer not null default 0 check (builtin in (0, 1)),
    check ((kind = 'compare' and left_expression is not null and operator is not null
                and right_expression is not null and element_code is null
                and threshold_percent is null)
        or (kind = 'change' and element_code is not null and threshold_percent is not null
                and left_expression is null and operator is null and right_expression is null))
);

-- One return per institution, county and month ('YYYY-MM', the figures at its month-end).
create table returns (
    institution_code text not null references institutions (code),
    county_code      text not null references regions (code),
    period           text not null check (length(period) = 7),
    state            text not null check (state in ('submitted', 'approved', 'locked', 'reopened')),
    submitted_by     text not null,
    submitted_at     text not null,
    -- The last change of a value.
    updated_by       text not null,
    updated_at       text not null,
    approved_by      text,
    approved_at      text,
    locked_by        text,
    locked_at        text,
    -- The last reopening; earlier ones are in the audit trail.
    reopened_by      text,
    reopened_at      text,
    reopen_reason    text,
    primary key (institution_code, county_code, period)
);
create index returns_county_period on returns (county_code, period);
create index returns_period on returns (period, state);

create table return_values (
    institution_code text not null,
    county_code      text not null,
    period           text not null,
    element_code     text not null references data_elements (code),
    value            integer not null check (value >= 0),
    primary key (institution_code, county_code, period, element_code),
    foreign key (institution_code, county_code, period)
        references returns (institution_code, county_code, period)
);
-- Serves "the latest value of an element per institution and county up to a month".
create index return_values_element on return_values (element_code, county_code, period);

-- Every change of a stored value: what it was, what it became, who, when and why.
create table return_value_history (
    id               integer primary key,
    institution_code text not null,
    county_code      text not null,
    period           text not null,
    element_code     text not null references data_elements (code),
    old_value        integer not null,
    new_value        integer not null,
    changed_by       text not null,
    changed_at       text not null,
    reason           text not null,
    foreign key (institution_code, county_code, period)
        references returns (institution_code, county_code, period)
);
create index return_value_history_return
    on return_value_history (institution_code, county_code, period);

-- A figure published elsewhere (a press release, a bank's report) for an indicator, a region
-- or a region group, and a date; the value is exact decimal text as published.
create table reported_figures (
    id             integer primary key,
    indicator_code text not null,
    region_code    text references regions (code),
    group_name     text references region_groups (name),
    as_of          text not null,
    value          text not null,
    unit           text not null,
    source         text not null,
    note           text,
    recorded_by    text not null,
    recorded_at    text not null,
    check ((region_code is not null and group_name is null)
        or (region_code is null and group_name is not null))
);
create unique index reported_figures_key on reported_figures
    (indicator_code, coalesce(region_code, ''), coalesce(group_name, ''), as_of, source);

insert into data_elements (code, name, name_en, unit, description, builtin) values
    ('loans_total', '各项贷款余额', 'Balance of all loans', 'yuan',
        'All loans outstanding at the month-end, every borrower and purpose.', 1),
    ('loans_agriculture', '涉农贷款余额', 'Balance of agriculture-related loans', 'yuan',
        'Loans to agriculture, rural areas and farmers (涉农贷款) outstanding at the month-end.', 1),
    ('loans_poverty', '精准扶贫贷款余额', 'Balance of targeted poverty-alleviation loans', 'yuan',
        'Targeted poverty-alleviation loans (金融精准扶贫贷款) outstanding: individual, industry and project.', 1),
    ('loans_poverty_individual', '个人精准扶贫贷款余额', 'Targeted poverty loans to individuals', 'yuan',
        'Loans to registered poor households and people, including poverty micro-credit.', 1),
    ('loans_poverty_industry', '产业精准扶贫贷款余额', 'Targeted poverty loans to industry', 'yuan',
        'Loans to enterprises and cooperatives that employ or otherwise lift registered poor people.', 1),
    ('loans_poverty_project', '项目精准扶贫贷款余额', 'Targeted poverty loans to projects', 'yuan',
        'Infrastructure and public-service project loans in poverty areas.', 1),
    ('loans_poverty_npl', '精准扶贫不良贷款余额', 'Non-performing targeted poverty loans', 'yuan',
        'Targeted poverty loans classified substandard, doubtful or loss.', 1),
    ('deposits_total', '各项存款余额', 'Balance of all deposits', 'yuan',
        'All deposits at the month-end.', 1),
    ('borrowers_poverty', '建档立卡贫困户贷款户数', 'Registered poor households with a loan', 'count',
        'Registered poor households with a loan outstanding at the month-end.', 1);

insert into validation_rules (code, description, kind, left_expression, operator,
        right_expression, element_code, threshold_percent, severity, active, builtin) values
    ('poverty_within_agriculture', '精准扶贫贷款不超过涉农贷款 Poverty loans are part of agriculture-related loans',
        'compare', 'loans_poverty', '<=', 'loans_agriculture', null, null, 'error', 1, 1),
    ('agriculture_within_total', '涉农贷款不超过各项贷款 Agriculture-related loans are part of all loans',
        'compare', 'loans_agriculture', '<=', 'loans_total', null, null, 'error', 1, 1),
    ('poverty_breakdown', '精准扶贫贷款 = 个人 + 产业 + 项目 The three kinds add up to the poverty loans',
        'compare', 'loans_poverty_individual + loans_poverty_industry + loans_poverty_project', '=',
        'loans_poverty', null, null, 'error', 1, 1),
    ('poverty_npl_within_poverty', '不良精准扶贫贷款不超过精准扶贫贷款 Non-performing poverty loans are part of poverty loans',
        'compare', 'loans_poverty_npl', '<=', 'loans_poverty', null, null, 'error', 1, 1),
    ('loans_total_change', '各项贷款余额环比变动不超过30% Month-on-month change of all loans within 30%',
        'change', null, null, null, 'loans_total', '30', 'warning', 1, 1),
    ('loans_agriculture_change', '涉农贷款余额环比变动不超过30% Month-on-month change of agriculture-related loans within 30%',
        'change', null, null, null, 'loans_agriculture', '30', 'warning', 1, 1),
    ('loans_poverty_change', '精准扶贫贷款余额环比变动不超过30% Month-on-month change of poverty loans within 30%',
        'change', null, null, null, 'loans_poverty', '30', 'warning', 1, 1);
