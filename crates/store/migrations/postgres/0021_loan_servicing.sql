-- Loan servicing as banks run it (issue 26): a product's grace (interest-only months before
-- amortisation, days after a due date before overdue days count), its penalty interest and its
-- default prepayment option.

-- Leading months of interest only (宽限期); 0 for none.
alter table products add column grace_months bigint not null default 0 check (grace_months >= 0);
-- Days after a due date before the loan counts as overdue; 0 for none.
alter table products add column grace_days bigint not null default 0 check (grace_days >= 0);
-- Penalty interest (罚息) on overdue principal: the uplift on the contract rate in millionths
-- (500000 = +50 %); null when the product charges none.
alter table products add column penalty_uplift_ppm bigint check (penalty_uplift_ppm >= 0);
-- What a partial prepayment does by default: 'keep_term' (lower instalments) or
-- 'keep_instalment' (shorter term).
alter table products add column prepayment_option text not null default 'keep_term'
    check (prepayment_option in ('keep_term', 'keep_instalment'));

-- A partial prepayment (提前部分还款): the option it was applied with; null for an ordinary
-- repayment.
alter table repayments add column prepayment_option text
    check (prepayment_option in ('keep_term', 'keep_instalment'));

-- Each schedule a loan was given after its first (version 1, at disbursement): instalments
-- numbered from first_number on belong to it; the earlier ones it replaced stay, superseded.
create table loan_schedule_versions (
    loan_id          bigint not null references loans (id),
    version          bigint not null check (version >= 2),
    first_number     bigint not null,
    decided_on       text not null,
    -- 'prepayment' or 'extension'.
    kind             text not null check (kind in ('prepayment', 'extension')),
    prepayment_option text check (prepayment_option in ('keep_term', 'keep_instalment')),
    -- The repayment that prepaid, for a prepayment.
    repayment_id     text,
    -- Principal the new schedule repays, and its maturity.
    principal_fen    bigint not null check (principal_fen > 0),
    maturity_on      text not null,
    primary key (loan_id, version)
);
