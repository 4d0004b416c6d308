#!/usr/bin/env python3
"""The DuckDB baseline of scripts/bench: the same balances as `fupin indicators`, computed by an
analytical engine from the raw loans and ledger transfers exported to Parquet.

Runs in the harness's virtual environment (duckdb, pyarrow).

  bench-duckdb.py export DIR          CSV exports in DIR (written by the harness with sqlite3
                                      or psql) -> Parquet files in DIR
  bench-duckdb.py query DIR DATE REGION...
                                      prints one JSON line per region: the three indicators and
                                      the seconds the queries took (connect + read Parquet +
                                      compute), then a line {"total_seconds": …}

The formulas (see crates/app/src/indicators/builtin.rs):
  microcredit_balance        ledger.balance[loan_principal:poverty_microcredit%]
  loans_in_system_balance    ledger.balance[loan_principal:%]
  characteristic_loans_disbursed_cumulative
                             loans.disbursed[characteristic_industry]
A ledger balance is, over the accounts of the kind whose region (the borrower's village) lies in
the region, the debits minus the credits of every transfer with a value date on or before DATE.
"""
import json
import sys
import time

import duckdb

TABLES = {
    "ledger_accounts": "id BIGINT, kind VARCHAR, region_code VARCHAR",
    "ledger_transfers": "debit_account_id BIGINT, credit_account_id BIGINT, amount_fen BIGINT, value_date DATE",
    "loans": "id BIGINT, product_code VARCHAR, village_code VARCHAR, principal_fen BIGINT, start_on DATE, rolled_from_loan_id BIGINT",
    "products": "code VARCHAR, category VARCHAR",
}


def export(directory):
    con = duckdb.connect()
    for table, columns in TABLES.items():
        names = ", ".join(f"'{c.split()[0]}': '{c.split()[1]}'" for c in columns.split(", "))
        con.execute(
            f"copy (select * from read_csv('{directory}/{table}.csv', header = true, "
            f"columns = {{{names}}}, nullstr = '')) to '{directory}/{table}.parquet' (format parquet)"
        )
        rows = con.execute(f"select count(*) from '{directory}/{table}.parquet'").fetchone()[0]
        print(f"{table}: {rows} rows", file=sys.stderr)


QUERY = """
with movements as (
    select debit_account_id as account_id, amount_fen as amount from transfers where value_date <= $date
    union all
    select credit_account_id, -amount_fen from transfers where value_date <= $date
),
balances as (
    select a.kind, sum(m.amount) as balance
    from movements m join accounts a on a.id = m.account_id
    where a.kind like 'loan_principal:%' and a.region_code like $prefix
    group by a.kind
)
select
    (select coalesce(sum(balance), 0) from balances where kind like 'loan_principal:poverty_microcredit%') as microcredit,
    (select coalesce(sum(balance), 0) from balances) as in_system,
    (select coalesce(sum(l.principal_fen), 0) from loans l join products p on p.code = l.product_code
      where l.village_code like $prefix and l.start_on <= $date and p.category = 'characteristic_industry'
      and l.rolled_from_loan_id is null) as characteristic
"""


def yuan(fen):
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def region_prefix(region):
    """The code prefix of a region: 3611 for the city 361100, 361128 for a county."""
    code = region.ljust(12, "0")
    for digits in (2, 4, 6, 9):
        if code[digits:] == "0" * (12 - digits):
            return code[:digits]
    return code


def query(directory, date, regions):
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"create view transfers as select * from '{directory}/ledger_transfers.parquet'")
    con.execute(f"create view accounts as select * from '{directory}/ledger_accounts.parquet'")
    con.execute(f"create view loans as select * from '{directory}/loans.parquet'")
    con.execute(f"create view products as select * from '{directory}/products.parquet'")
    for region in regions:
        began = time.perf_counter()
        prefix = region_prefix(region)
        microcredit, in_system, characteristic = con.execute(
            QUERY, {"date": date, "prefix": prefix + "%"}
        ).fetchone()
        print(json.dumps({
            "region": region,
            "microcredit_balance": yuan(microcredit),
            "loans_in_system_balance": yuan(in_system),
            "characteristic_loans_disbursed_cumulative": yuan(characteristic),
            "seconds": round(time.perf_counter() - began, 4),
        }))
    print(json.dumps({"total_seconds": round(time.perf_counter() - started, 4)}))


def main(argv):
    if argv[1] == "export":
        export(argv[2])
    elif argv[1] == "query":
        query(argv[2], argv[3], argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
