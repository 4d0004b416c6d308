-- no-transaction
-- Agriculture-related insurance (issue #27): policies, premium payments and claims, and the
-- user role 'insurer' (an insurance company's staff, scoped to its institution). The role list
-- also admits 'guarantor' (the guarantee work of the same issue) so that either migration order
-- leaves both.
--
-- SQLite cannot change a CHECK constraint in place: users is rebuilt by the documented
-- procedure (foreign keys off, new table, copy, drop, rename), in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
create table users_new (
    name             text primary key,
    display_name     text,
    role             text not null check (role in ('regulator', 'bank', 'poverty_office',
                         'finance', 'admin', 'guarantor', 'insurer')),
    region_code      text not null,
    institution_code text references institutions (code),
    password_hash    text not null,
    disabled         integer not null default 0 check (disabled in (0, 1)),
    created_at       text not null,
    check (role not in ('bank', 'insurer') or institution_code is not null)
);
insert into users_new (name, display_name, role, region_code, institution_code, password_hash,
    disabled, created_at)
select name, display_name, role, region_code, institution_code, password_hash, disabled,
    created_at from users;
drop table users;
alter table users_new rename to users;
-- Insurance policies: borrower accident/life cover (accident), loan guarantee insurance
-- (guarantee, 保证保险), crop and livestock insurance. The premium's shares (central,
-- provincial and county subsidies, the farmer) are data and sum to 10,000 bps.
create table insurance_policies (
    id               integer primary key,
    insurer_code     text not null references institutions (code),
    policy_no        text not null,
    kind             text not null check (kind in ('accident', 'guarantee', 'crop', 'livestock')),
    -- The insured loan (required for accident and guarantee cover; for crop and livestock, the
    -- loan whose financed activity is insured, if any).
    loan_id          integer references loans (id),
    -- The insured household (the borrower's, or the farmer's without a loan).
    household_id     text,
    county_code      text not null references regions (code),
    -- The financed activity insured (the loan's purpose), for crop and livestock.
    activity         text,
    sum_insured_fen  integer not null check (sum_insured_fen > 0),
    premium_fen      integer not null check (premium_fen >= 0),
    -- Guarantee insurance: the share of a default the insurer pays the bank.
    default_share_bps integer check (default_share_bps between 1 and 10000),
    starts_on        text not null,
    ends_on          text not null,
    central_bps      integer not null check (central_bps between 0 and 10000),
    provincial_bps   integer not null check (provincial_bps between 0 and 10000),
    county_bps       integer not null check (county_bps between 0 and 10000),
    farmer_bps       integer not null check (farmer_bps between 0 and 10000),
    check (central_bps + provincial_bps + county_bps + farmer_bps = 10000),
    check (starts_on <= ends_on),
    check (loan_id is not null or household_id is not null),
    unique (insurer_code, policy_no)
);
create index insurance_policies_loan on insurance_policies (loan_id);
create index insurance_policies_county on insurance_policies (county_code);

-- A premium payment, split by the policy's shares. The farmer's part posts when recorded; the
-- subsidy parts when the finance bureau approves.
create table insurance_premiums (
    id             text not null,
    policy_id      integer not null references insurance_policies (id),
    paid_on        text not null,
    amount_fen     integer not null check (amount_fen > 0),
    central_fen    integer not null check (central_fen >= 0),
    provincial_fen integer not null check (provincial_fen >= 0),
    county_fen     integer not null check (county_fen >= 0),
    farmer_fen     integer not null check (farmer_fen >= 0),
    state          text not null check (state in ('pending', 'approved')),
    approved_on    text,
    approved_by    text,
    check (central_fen + provincial_fen + county_fen + farmer_fen = amount_fen),
    primary key (policy_id, id)
);

-- Claims on policies, entered by the insurer's staff: reported, assessed, then paid or refused.
create table insurance_claims (
    id            integer primary key,
    policy_id     integer not null references insurance_policies (id),
    claim_no      text not null,
    -- The policy's loan, copied so the loss waterfall reads claims by loan.
    loan_id       integer references loans (id),
    event         text not null check (event in ('death', 'disability', 'default', 'crop_loss',
                      'livestock_loss')),
    occurred_on   text not null,
    reported_on   text not null,
    claimed_fen   integer not null check (claimed_fen > 0),
    assessed_fen  integer check (assessed_fen >= 0),
    assessed_on   text,
    paid_fen      integer not null default 0 check (paid_fen >= 0),
    paid_on       text,
    refused_on    text,
    refusal       text,
    state         text not null check (state in ('reported', 'assessed', 'paid', 'refused')),
    entered_by    text not null,
    unique (policy_id, claim_no)
);
create index insurance_claims_loan on insurance_claims (loan_id);
COMMIT;
PRAGMA foreign_keys = ON;
