-- no-transaction
-- Guarantees and the loss waterfall (issue #27): the county guarantee fund, government
-- guarantee companies with their loss sharing, the guarantors of each loan, guarantee fees and
-- their subsidy, the per-county order of the loss waterfall, and the guarantee payers' claims
-- and recoveries. Two new user roles: guarantor (a guarantee company's staff, scoped to its
-- institution) and insurer.
--
-- SQLite cannot change a CHECK constraint in place: users and fund_deposits are rebuilt by the
-- documented procedure (foreign keys off, new table, copy, drop, rename), in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
create table users_new (
    name             text primary key,
    display_name     text,
    role             text not null check (role in ('regulator', 'bank', 'poverty_office',
                         'finance', 'admin', 'guarantor', 'insurer')),
    region_code      text not null,
    -- For bank, guarantor and insurer users: their institution.
    institution_code text references institutions (code),
    password_hash    text not null,
    disabled         integer not null default 0 check (disabled in (0, 1)),
    created_at       text not null,
    check (role not in ('bank', 'guarantor', 'insurer') or institution_code is not null)
);
insert into users_new (name, display_name, role, region_code, institution_code, password_hash,
    disabled, created_at)
select name, display_name, role, region_code, institution_code, password_hash, disabled,
    created_at from users;
drop table users;
alter table users_new rename to users;

create table fund_deposits_new (
    id           text primary key,
    county_code  text not null references regions (code),
    fund         text not null check (fund in ('subsidy', 'risk_compensation', 'guarantee')),
    deposited_on text not null,
    amount_fen   integer not null check (amount_fen > 0)
);
insert into fund_deposits_new (id, county_code, fund, deposited_on, amount_fen)
select id, county_code, fund, deposited_on, amount_fen from fund_deposits;
drop table fund_deposits;
alter table fund_deposits_new rename to fund_deposits;
create index fund_deposits_county on fund_deposits (county_code, deposited_on);

-- A risk claim raised after insurance and guarantees: principal_fen is what was left of the
-- loss, loss_fen the whole loss (null: the same as principal_fen).
alter table risk_claims add column loss_fen integer;

-- County guarantee-fund rules from a date: guaranteed balances may be at most
-- leverage_multiple × the fund (fund:<county>:guarantee); of a guaranteed loss the fund pays
-- fund_share_bps and the bank bears the rest.
create table guarantee_fund_settings (
    county_code       text not null references regions (code),
    effective_from    text not null,
    leverage_multiple integer not null check (leverage_multiple > 0),
    fund_share_bps    integer not null check (fund_share_bps between 0 and 10000),
    primary key (county_code, effective_from)
);

-- A government financing guarantee company (an institution) and how a loss it guarantees is
-- shared: national re-guarantee fund, provincial re-guarantee, the company, the bank
-- ("4-3-2-1": 4000, 3000, 2000, 1000).
create table guarantee_companies (
    institution_code text primary key references institutions (code),
    national_bps     integer not null check (national_bps >= 0),
    provincial_bps   integer not null check (provincial_bps >= 0),
    company_bps      integer not null check (company_bps >= 0),
    bank_bps         integer not null check (bank_bps >= 0),
    check (national_bps + provincial_bps + company_bps + bank_bps = 10000)
);

-- What a product allows: the guarantor kinds (';'-separated) and the cap on the sum of shares.
create table product_guarantee_terms (
    product_code text primary key references products (code),
    kinds        text not null,
    cap_bps      integer not null check (cap_bps between 1 and 10000)
);

-- A guarantor of a loan and its share of the loss. guarantor_id: the resident ID of a
-- household guarantor, an enterprise's credit code, the company's institution code, or the
-- county code (12 digits) of the county guarantee fund.
create table loan_guarantees (
    id             integer primary key,
    loan_id        integer not null references loans (id),
    guarantor_type text not null check (guarantor_type in ('household', 'enterprise', 'company',
                       'county_fund')),
    guarantor_id   text not null,
    contract_no    text not null,
    share_bps      integer not null check (share_bps between 1 and 10000),
    signed_on      text not null,
    -- The guarantee fee: a yearly rate on the principal, who pays it, and the share of it the
    -- county subsidises once the finance bureau approves.
    fee_rate_bps   integer not null default 0 check (fee_rate_bps >= 0),
    fee_payer      text not null default 'borrower' check (fee_payer in ('borrower', 'bank')),
    fee_subsidy_bps integer not null default 0 check (fee_subsidy_bps between 0 and 10000),
    unique (loan_id, guarantor_type, guarantor_id),
    unique (guarantor_type, guarantor_id, contract_no, loan_id)
);
create index loan_guarantees_guarantor on loan_guarantees (guarantor_type, guarantor_id);

-- Guarantee fees paid, and the county's subsidy of each (pending until the finance bureau
-- approves it, then paid from the county subsidy fund to the payer).
create table guarantee_fees (
    id             text primary key,
    guarantee_id   integer not null references loan_guarantees (id),
    paid_on        text not null,
    amount_fen     integer not null check (amount_fen > 0),
    subsidy_fen    integer not null check (subsidy_fen >= 0),
    subsidy_state  text not null check (subsidy_state in ('none', 'pending', 'approved')),
    approved_on    text,
    approved_by    text
);
create index guarantee_fees_guarantee on guarantee_fees (guarantee_id);

-- The order in which a county's loss is shared: insurance, guarantee, risk_fund.
create table loss_waterfall_steps (
    county_code text not null references regions (code),
    position    integer not null check (position between 1 and 3),
    step        text not null check (step in ('insurance', 'guarantee', 'risk_fund')),
    primary key (county_code, position),
    unique (county_code, step)
);

-- One payer's share of a defaulted guaranteed loan, raised with the risk-claim trigger.
-- loss_fen: the loan's loss (principal at the trigger); base_fen: what was left of it when the
-- guarantee step came; amount_fen: this payer's part.
create table guarantee_claims (
    id               integer primary key,
    loan_id          integer not null references loans (id),
    guarantee_id     integer not null references loan_guarantees (id),
    payer            text not null check (payer in ('county_fund', 'national', 'provincial',
                         'company', 'household', 'enterprise')),
    county_code      text not null references regions (code),
    institution_code text not null references institutions (code),
    raised_on        text not null,
    loss_fen         integer not null check (loss_fen >= 0),
    base_fen         integer not null check (base_fen >= 0),
    amount_fen       integer not null check (amount_fen >= 0),
    state            text not null check (state in ('pending', 'approved')),
    approved_on      text,
    approved_by      text,
    unique (guarantee_id, payer)
);
create index guarantee_claims_loan on guarantee_claims (loan_id);
create index guarantee_claims_county on guarantee_claims (county_code);

-- Recoveries returned to a guarantee payer, pro rata.
create table guarantee_returns (
    claim_id    integer not null references guarantee_claims (id),
    returned_on text not null,
    source_id   text not null,
    amount_fen  integer not null check (amount_fen > 0),
    primary key (claim_id, source_id)
);
COMMIT;
PRAGMA foreign_keys = ON;
