-- Indicators as data: every figure a regulator reports, with its formula.

create table indicators (
    code        text primary key,
    name        text not null,
    name_en     text not null,
    -- 'yuan', 'count', 'percent' or 'pp' (percentage points).
    unit        text not null check (unit in ('yuan', 'count', 'percent', 'pp')),
    formula     text not null,
    -- For rates: what is divided by what (formulas too), shown beside the value.
    numerator   text,
    denominator text,
    -- The report section it belongs to (territory, registry, loans, funds, industry, returns).
    section     text not null,
    description text,
    builtin     bigint not null default 0 check (builtin in (0, 1))
);
