-- Credit files, ratings and credit lines (评级授信), and the scorecards that rate.
--
-- A scorecard is data: factors with weights and point scales, grade thresholds and a grade →
-- recommended line map, per institution (institution_code null = the default for institutions
-- without one of their own), versioned by effective date. A credit file keeps the version that
-- rated it and a snapshot of the household on the assessment date, so later changes to the
-- scorecard or the registry never rewrite an old rating.

create table scorecards (
    id               integer primary key,
    -- null: the default scorecard of every institution without one of its own.
    institution_code text references institutions (code),
    -- This version applies to assessments on or after this date, until the next version.
    effective_from   text not null,
    name             text not null
);
create unique index scorecards_version on scorecards (coalesce(institution_code, ''),
    effective_from);

create table scorecard_factors (
    scorecard_id integer not null references scorecards (id),
    position     integer not null,
    code         text not null,
    name         text not null,
    -- Full marks of the factor; the weights of a scorecard sum to 100.
    weight       integer not null check (weight > 0 and weight <= 100),
    -- The point scale: named levels and their points, 'good=30;fair=20;poor=0' ('' = whole
    -- numbers 0 to weight only).
    levels       text not null,
    primary key (scorecard_id, code)
);

create table scorecard_grades (
    scorecard_id integer not null references scorecards (id),
    grade        text not null,
    -- The lowest score of the grade; the lowest grade starts at 0.
    min_score    integer not null check (min_score between 0 and 100),
    -- The recommended line of the grade; 0 = no line.
    line_fen     integer not null check (line_fen >= 0),
    primary key (scorecard_id, grade)
);

create table credit_files (
    id                   integer primary key,
    household_id         text not null references households (household_id),
    institution_code     text not null references institutions (code),
    assessed_on          text not null,
    -- The household's village on assessed_on.
    village_code         text not null references regions (code),
    -- The household's status on assessed_on.
    household_status     text not null,
    -- Null for a rated file; else why the household is not rated.
    exempt_reason        text check (exempt_reason in ('no_labour', 'no_need', 'age',
                             'bad_credit', 'other')),
    -- The scorecard version that rated it (null when exempt).
    scorecard_id         integer references scorecards (id),
    score                integer check (score between 0 and 100),
    grade                text,
    recommended_line_fen integer check (recommended_line_fen >= 0),
    -- The factor inputs and their points, JSON; null when the score was given directly.
    factors_json         text,
    -- The household's version valid on assessed_on with its members (ID numbers masked), JSON.
    household_json       text not null,
    unique (household_id, institution_code, assessed_on),
    check ((exempt_reason is null and scorecard_id is not null and score is not null
            and grade is not null and recommended_line_fen is not null)
        or (exempt_reason is not null and scorecard_id is null and score is null
            and grade is null and recommended_line_fen is null and factors_json is null))
);
create index credit_files_household on credit_files (household_id, assessed_on);
create index credit_files_village on credit_files (village_code, assessed_on);

-- Granted credit: valid from granted_on up to the day before expires_on. A line granted later
-- to the same household by the same institution replaces the earlier one from its grant date.
create table credit_lines (
    id                   integer primary key,
    household_id         text not null references households (household_id),
    institution_code     text not null references institutions (code),
    granted_on           text not null,
    expires_on           text not null,
    amount_fen           integer not null check (amount_fen > 0),
    -- The household's village on granted_on.
    village_code         text not null references regions (code),
    -- The credit file the amount was checked against, and its recommended line.
    credit_file_id       integer references credit_files (id),
    recommended_line_fen integer,
    -- Why the amount may exceed the recommended line (or stand without a file).
    override_reason      text,
    unique (household_id, institution_code, granted_on),
    check (expires_on > granted_on)
);
create index credit_lines_household on credit_lines (household_id, granted_on);
create index credit_lines_village on credit_lines (village_code, granted_on);

-- 1: loans of the product draw on the borrower's credit line with the lending institution and
-- are refused beyond it (or without one).
alter table products add column credit_line integer not null default 0
    check (credit_line in (0, 1));
