-- Loan servicing as banks run it (issue 26): a product's grace (interest-only months before
-- amortisation, days after a due date before overdue days count), its penalty interest and its
-- default prepayment option.

-- Leading months of interest only (宽限期); 0 for none.
alter table products add column grace_months integer not null default 0 check (grace_months >= 0);
-- Days after a due date before the loan counts as overdue; 0 for none.
alter table products add column grace_days integer not null default 0 check (grace_days >= 0);
-- Penalty interest (罚息) on overdue principal: the uplift on the contract rate in millionths
-- (500000 = +50 %); null when the product charges none.
alter table products add column penalty_uplift_ppm integer check (penalty_uplift_ppm >= 0);
-- What a partial prepayment does by default: 'keep_term' (lower instalments) or
-- 'keep_instalment' (shorter term).
alter table products add column prepayment_option text not null default 'keep_term'
    check (prepayment_option in ('keep_term', 'keep_instalment'));
