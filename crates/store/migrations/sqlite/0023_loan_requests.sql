-- A borrower's request for a renewal (续贷) or an extension (展期) of a loan, recorded by the bank
-- (issue 26, maturity walls): pending until the bank grants or refuses it; granting an
-- extension through the extend use case marks the extension request granted. At most one
-- pending request of a kind per loan.
create table loan_requests (
    loan_id      integer not null references loans (id),
    seq          integer not null check (seq >= 1),
    kind         text not null check (kind in ('renewal', 'extension')),
    requested_on text not null,
    status       text not null default 'pending'
        check (status in ('pending', 'granted', 'refused')),
    decided_on   text,
    note         text,
    recorded_by  text not null,
    recorded_at  text not null,
    primary key (loan_id, seq),
    check ((status = 'pending') = (decided_on is null))
);
create unique index loan_requests_one_pending on loan_requests (loan_id, kind)
    where status = 'pending';
create index loan_requests_status on loan_requests (status, requested_on);
