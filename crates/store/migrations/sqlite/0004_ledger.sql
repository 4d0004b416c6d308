-- The ledger: accounts and immutable double-entry transfers (TigerBeetle's model).
-- Every transfer debits one account and credits another by the same positive amount, so
-- debits equal credits by construction. Transfers are never updated or deleted.

create table ledger_accounts (
    id                 integer primary key,
    -- Stable name, e.g. 'loan:PYRCB:C-2017-001:principal' or 'fund:361128:subsidy'.
    code               text not null unique,
    -- Which side increases the balance: 'debit' (assets, expenses) or 'credit' (liabilities,
    -- equity, income).
    normal_side        text not null check (normal_side in ('debit', 'credit')),
    -- Groups accounts for fast roll-ups, e.g. 'loan_principal'.
    kind               text not null,
    institution_code   text,
    region_code        text,
    -- 1: the balance on the normal side may never go below zero (a fund cannot be overdrawn).
    no_overdraft       integer not null default 0 check (no_overdraft in (0, 1)),
    -- Cached totals of all transfers, updated in the same transaction as each transfer;
    -- `fupin ledger check` recomputes them.
    debits_posted_fen  integer not null default 0 check (debits_posted_fen >= 0),
    credits_posted_fen integer not null default 0 check (credits_posted_fen >= 0)
);
create index ledger_accounts_kind on ledger_accounts (kind, region_code);

create table ledger_transfers (
    -- Posting order; readers page by it.
    seq               integer primary key,
    -- Chosen by the caller; a retry with the same id is a no-op.
    id                text not null unique,
    debit_account_id  integer not null references ledger_accounts (id),
    credit_account_id integer not null references ledger_accounts (id),
    amount_fen        integer not null check (amount_fen > 0),
    value_date        text not null,
    code              text not null,
    memo              text,
    posted_by         text not null,
    posted_at         text not null,
    check (debit_account_id <> credit_account_id)
);
create index ledger_transfers_debit on ledger_transfers (debit_account_id, value_date);
create index ledger_transfers_credit on ledger_transfers (credit_account_id, value_date);

-- Cumulative totals of each account at the end of each day on which it moved, so a balance as
-- of any date is one indexed lookup instead of a replay of its transfers.
create table ledger_account_days (
    account_id         integer not null references ledger_accounts (id),
    value_date         text not null,
    debits_total_fen   integer not null,
    credits_total_fen  integer not null,
    primary key (account_id, value_date)
);

-- The same cumulative totals per (kind, institution, county) bucket, so that roll-ups over
-- many accounts (every loan of a county) cost the number of buckets, not of accounts.
create table ledger_bucket_days (
    kind              text not null,
    institution_code  text not null,
    county_code       text not null,
    value_date        text not null,
    debits_total_fen  integer not null,
    credits_total_fen integer not null,
    primary key (kind, institution_code, county_code, value_date)
);

-- Allocates transfer sequence numbers in commit order on both engines.
create table ledger_head (
    id  integer primary key check (id = 1),
    seq integer not null
);
insert into ledger_head (id, seq) values (1, 0);
