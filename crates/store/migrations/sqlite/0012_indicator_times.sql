-- Indicators may be multiples ('times', e.g. the leverage a risk fund is used at).
-- SQLite cannot alter a check constraint: the table is rebuilt with the same columns.

create table indicators_new (
    code        text primary key,
    name        text not null,
    name_en     text not null,
    -- 'yuan', 'count', 'percent', 'pp' (percentage points) or 'times' (a multiple).
    unit        text not null check (unit in ('yuan', 'count', 'percent', 'pp', 'times')),
    formula     text not null,
    -- For rates: what is divided by what (formulas too), shown beside the value.
    numerator   text,
    denominator text,
    -- The report section it belongs to (territory, registry, loans, funds, industry, returns).
    section     text not null,
    description text,
    builtin     integer not null default 0 check (builtin in (0, 1))
);
insert into indicators_new select code, name, name_en, unit, formula, numerator, denominator,
    section, description, builtin from indicators;
drop table indicators;
alter table indicators_new rename to indicators;
