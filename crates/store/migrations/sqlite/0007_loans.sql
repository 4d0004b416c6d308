-- Loan products, loans, their schedules, repayments, extensions and end-of-day state.
-- Money moves only through ledger transfers (0004_ledger); these tables hold contracts,
-- schedules and the status derived by end of day.

create table products (
    code                text primary key,
    name                text not null,
    category            text not null check (category in ('poverty_microcredit',
                            'characteristic_industry', 'industry', 'project', 'beautiful_village',
                            'other')),
    borrower_type       text not null check (borrower_type in ('household', 'enterprise')),
    max_amount_fen      integer not null check (max_amount_fen > 0),
    max_term_months     integer not null check (max_term_months > 0),
    annual_rate_ppm     integer not null check (annual_rate_ppm >= 0),
    repayment           text not null,
    day_count           text not null,
    -- The annual rate the county subsidy fund pays; null when not subsidised.
    subsidy_rate_ppm    integer check (subsidy_rate_ppm >= 0),
    -- The risk-compensation fund's share of a loss, in millionths; null when not covered.
    risk_fund_share_ppm integer check (risk_fund_share_ppm between 0 and 1000000),
    institution_code    text not null references institutions (code),
    -- County codes (12 digits) where it is offered, ';'-separated; '' = everywhere.
    counties            text not null
);

create table loans (
    id                   integer primary key,
    institution_code     text not null references institutions (code),
    contract_no          text not null,
    product_code         text not null references products (code),
    borrower_type        text not null check (borrower_type in ('household', 'enterprise')),
    borrower_id          text not null,
    -- Where the borrower is: the household's or enterprise's village; roll-ups use it.
    village_code         text not null references regions (code),
    principal_fen        integer not null check (principal_fen > 0),
    annual_rate_ppm      integer not null check (annual_rate_ppm >= 0),
    start_on             text not null,
    maturity_on          text not null,
    original_maturity_on text not null,
    repayment            text not null,
    day_count            text not null,
    purpose              text not null,
    project              text,
    -- 'active', 'settled', 'rolled_over', 'written_off'.
    status               text not null check (status in ('active', 'settled', 'rolled_over',
                             'written_off')),
    closed_on            text,
    -- Due date of the earliest instalment not fully paid; null when none is left.
    next_unpaid_due_on   text,
    -- First day of the current overdue spell (the day after the earliest unpaid due date).
    overdue_since        text,
    overdue_days         integer not null default 0 check (overdue_days >= 0),
    classification       text not null default 'normal' check (classification in ('normal',
                             'special_mention', 'substandard', 'doubtful', 'loss')),
    -- The loan this one rolled over, if any.
    rolled_from_loan_id  integer references loans (id),
    unique (institution_code, contract_no)
);
create index loans_village on loans (village_code);
create index loans_borrower on loans (borrower_type, borrower_id);
create index loans_next_due on loans (status, next_unpaid_due_on);

create table loan_instalments (
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
);
create index loan_instalments_due on loan_instalments (due_on);

create table loan_extensions (
    loan_id               integer not null references loans (id),
    seq                   integer not null,
    kind                  text not null check (kind in ('extension', 'rollover')),
    decided_on            text not null,
    previous_maturity_on  text not null,
    new_maturity_on       text not null,
    reason                text not null,
    new_loan_id           integer references loans (id),
    primary key (loan_id, seq)
);

-- Each spell during which a loan was overdue: [from_on, to_on), to_on null while it lasts.
create table loan_overdue_spells (
    loan_id integer not null references loans (id),
    from_on text not null,
    to_on   text,
    primary key (loan_id, from_on)
);

create table repayments (
    institution_code text not null,
    id               text not null,
    loan_id          integer not null references loans (id),
    paid_on          text not null,
    amount_fen       integer not null check (amount_fen > 0),
    -- 'repayment' or 'recovery' (after write-off).
    kind             text not null,
    primary key (institution_code, id)
);

-- Five-category thresholds in overdue days, effective-dated.
create table classification_thresholds (
    effective_from        text primary key,
    special_mention_days  integer not null,
    substandard_days      integer not null,
    doubtful_days         integer not null,
    loss_days             integer not null
);
insert into classification_thresholds values ('1900-01-01', 1, 91, 181, 361);

-- The last business date end of day has completed.
create table eod_state (
    id        integer primary key check (id = 1),
    last_date text
);
insert into eod_state (id, last_date) values (1, null);
