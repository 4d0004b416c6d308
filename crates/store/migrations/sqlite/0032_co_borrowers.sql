-- Co-borrowers (共同借款人) of a loan: people jointly and severally liable for it, typically the
-- borrower's spouse. One row per person and loan; the person's household is kept when the
-- registry holds them on the day they signed, so a household's page lists what its members
-- co-borrow.
create table loan_co_borrowers (
    loan_id      integer not null references loans (id),
    id_number    text not null,
    name         text not null,
    relation     text not null check (relation in ('spouse', 'child', 'parent', 'sibling',
                     'other')),
    signed_on    text not null,
    household_id text,
    primary key (loan_id, id_number)
);
create index loan_co_borrowers_person on loan_co_borrowers (id_number);
create index loan_co_borrowers_household on loan_co_borrowers (household_id);
