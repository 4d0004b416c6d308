-- The state's money: county interest-subsidy and risk-compensation funds. Balances live in the
-- ledger (accounts fund:<county>:subsidy and fund:<county>:risk); these tables hold deposits,
-- settings and claims, each dated so figures can be read as of any day.

create table fund_deposits (
    id           text primary key,
    county_code  text not null references regions (code),
    fund         text not null check (fund in ('subsidy', 'risk_compensation')),
    deposited_on text not null,
    amount_fen   integer not null check (amount_fen > 0)
);
create index fund_deposits_county on fund_deposits (county_code, deposited_on);

-- Risk-compensation rules of a county from a date: loans outstanding may be at most
-- leverage_multiple × the fund; the fund pays fund_share of a loss once a loan is trigger_days
-- overdue.
create table risk_fund_settings (
    county_code       text not null references regions (code),
    effective_from    text not null,
    leverage_multiple integer not null check (leverage_multiple > 0),
    fund_share_ppm    integer not null check (fund_share_ppm between 0 and 1000000),
    trigger_days      integer not null check (trigger_days > 0),
    primary key (county_code, effective_from)
);

create table subsidy_claims (
    id               integer primary key,
    county_code      text not null references regions (code),
    institution_code text not null references institutions (code),
    quarter          text not null,
    state            text not null check (state in ('pending', 'approved')),
    amount_fen       integer not null check (amount_fen >= 0),
    approved_on      text,
    approved_by      text,
    unique (county_code, institution_code, quarter)
);

create table subsidy_claim_lines (
    claim_id   integer not null references subsidy_claims (id),
    loan_id    integer not null references loans (id),
    -- Days of the quarter the loan was outstanding and not overdue.
    days       integer not null check (days >= 0),
    rate_ppm   integer not null,
    amount_fen integer not null check (amount_fen >= 0),
    primary key (claim_id, loan_id)
);

create table risk_claims (
    id               integer primary key,
    loan_id          integer not null unique references loans (id),
    county_code      text not null references regions (code),
    institution_code text not null references institutions (code),
    raised_on        text not null,
    principal_fen    integer not null check (principal_fen >= 0),
    share_ppm        integer not null,
    amount_fen       integer not null check (amount_fen >= 0),
    state            text not null check (state in ('pending', 'approved')),
    approved_on      text,
    approved_by      text
);

-- The fund's share of recoveries on a compensated loan, returned to the fund.
create table risk_returns (
    claim_id    integer not null references risk_claims (id),
    returned_on text not null,
    -- The repayment or recovery that brought it.
    source_id   text not null,
    amount_fen  integer not null check (amount_fen > 0),
    primary key (claim_id, source_id)
);
