-- The alerts' subsidy facts join claim lines to a county's loans by loan id; the primary key
-- (claim_id, loan_id) cannot serve a lookup by loan alone.
create index subsidy_claim_lines_loan on subsidy_claim_lines (loan_id);
