#!/usr/bin/env python3
"""Writes the interchange files the benchmark harness (scripts/bench) loads. Harness-only: the
product's own generator is `fupin demo`; this one writes exactly the shapes a case needs (a
registry of N member rows, N loans with due dates in a chosen window, their repayments).

Deterministic (no randomness), UTF-8 CSV, one file per kind, formats as in docs/formats.md.

  bench-data.py territory DIR            regions.csv, institutions.csv, products.csv
  bench-data.py households N FILE        N member rows (about N/3 households), as of 2016-12-31
  bench-data.py loans N HOUSEHOLDS FILE  N loans on the first HOUSEHOLDS households
  bench-data.py repayments N HOUSEHOLDS FILE [K [M]]
                                         interest of the first K instalments of each of the
                                         first N loans, paid on the due date; every M-th loan
                                         pays nothing (it falls overdue)
  bench-data.py repayments-sql FILE.csv TABLE OUT.sql
                                         the same rows as plain INSERT statements (baseline)
"""
import calendar
import datetime
import sys

# The county-level units of Shangrao in 2017 (reference data loaded by `fupin init`).
COUNTIES = ["361102", "361103", "361121", "361123", "361124", "361125", "361126",
            "361127", "361128", "361129", "361130", "361181"]
TOWNSHIPS_PER_COUNTY = 18
VILLAGES_PER_TOWNSHIP = 10
AS_OF = "2016-12-31"
RATE_PPM = 47_500  # 4.75 % a year
TERM_MONTHS = 24
LOAN_YEAR, LOAN_MONTH = 2017, 1  # loans start on day 1..28 of this month

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯鹏飞欣怡晨阳春梅海燕雪琳德福贵生荣林"

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def villages():
    """Every generated village code, in a fixed order (county-major)."""
    out = []
    for county in COUNTIES:
        for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
            for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
                out.append(f"{county}{100 + t:03d}{v:03d}")
    return out


def territory(directory):
    with open(f"{directory}/regions.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("code,name,population,poverty_village\n")
        for county in COUNTIES:
            for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
                f.write(f"{county}{100 + t:03d}000,{county}第{t}乡,,\n")
                for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
                    f.write(f"{county}{100 + t:03d}{v:03d},{county}第{t}乡第{v}村,{900 + v},{'是' if v % 3 == 0 else '否'}\n")
    with open(f"{directory}/institutions.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("code,name,type,region_code\n")
        for county in COUNTIES:
            f.write(f"RCB{county},{county}农村商业银行,rural_cooperative,{county}000000\n")
    with open(f"{directory}/products.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("code,name,category,borrower_type,max_amount,max_term_months,annual_rate,"
                "repayment,day_count,institution_code,counties\n")
        for county in COUNTIES:
            f.write(f"TEA{county},{county}茶叶贷,characteristic_industry,household,200000,60,4.75,"
                    f"monthly_interest,act/360,RCB{county},\n")


def id_number(county, person):
    """A valid GB 11643 number, unique per person index below 18,000,000."""
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=(person // 1000 * 37) % 18000)
    first17 = f"{county}{birth:%Y%m%d}{person % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS))
    return first17 + CHECK[total % 11]


def household_sizes():
    pattern = [1, 2, 3, 4, 5, 3, 2, 4]
    i = 0
    while True:
        yield pattern[i % len(pattern)]
        i += 1


def household_id(n, village):
    return f"H{village[:6]}{n:08d}"


def households(rows, path):
    all_villages = villages()
    relations = ["head", "spouse", "child", "child", "parent", "grandchild"]
    causes = ["illness", "disability", "education", "lack_funds", "lack_skills", "lack_labour"]
    attributes = ["general", "general", "low_income", "five_guarantee", "low_income_poor"]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,"
                "other_causes,status,identified_on,exited_year,per_capita_income,labour,phone\n")
        person = 0
        n = 0
        sizes = household_sizes()
        while person < rows:
            size = min(next(sizes), rows - person)
            village = all_villages[n % len(all_villages)]
            hid = household_id(n, village)
            status, exited = ("exited", "2016") if n % 10 == 7 else ("poor", "")
            attribute = attributes[n % len(attributes)]
            cause = causes[n % len(causes)]
            other = causes[(n + 1) % len(causes)] if n % 4 == 0 else ""
            income = f"{2000 + n % 1500}.{n % 100:02d}"
            surname = SURNAMES[n % len(SURNAMES)]
            for m in range(size):
                name = surname + GIVEN[(person * 7) % len(GIVEN)] + (GIVEN[(person * 13) % len(GIVEN)] if person % 3 else "")
                phone = f"1390793{person % 10000:04d}" if m == 0 else ""
                labour = "normal" if m < 2 else ("none" if m == 4 else "weak")
                f.write(f"{hid},{village},{name},{id_number(village[:6], person)},{relations[m]},"
                        f"{attribute},{cause},{other},{status},2014-10-01,{exited},{income},"
                        f"{labour},{phone}\n")
                person += 1
            n += 1
    return n


def household_count(rows):
    person, n = 0, 0
    sizes = household_sizes()
    while person < rows:
        person += next(sizes)
        n += 1
    return n


def add_months(date, months):
    month0 = date.month - 1 + months
    year, month = date.year + month0 // 12, month0 % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def loan(n, household_total, all_villages):
    """Loan n: (contract, county, household id, principal in fen, start). Its bank is the
    borrower's county's rural commercial bank."""
    h = n % household_total
    village = all_villages[h % len(all_villages)]
    principal_fen = (10_000 + (n * 7919) % 40_000) * 100
    start = datetime.date(LOAN_YEAR, LOAN_MONTH, 1 + n % 28)
    return f"C{n:09d}", village[:6], household_id(h, village), principal_fen, start


def loans(count, household_total, path):
    all_villages = villages()
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("contract_no,institution_code,product_code,borrower_type,borrower_id,principal,"
                "annual_rate,start_on,maturity_on,repayment,purpose,project\n")
        for n in range(count):
            contract, county, hid, principal_fen, start = loan(n, household_total, all_villages)
            f.write(f"{contract},RCB{county},TEA{county},household,{hid},"
                    f"{principal_fen // 100}.{principal_fen % 100:02d},4.75,{start},"
                    f"{add_months(start, TERM_MONTHS)},monthly_interest,茶园种植,\n")


def interest_fen(principal_fen, days):
    """round(principal × rate × days / 360), half away from zero, in integers."""
    numerator = principal_fen * RATE_PPM * days
    denominator = 360 * 1_000_000
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def repayments(count, household_total, path, months=1, skip_every=0):
    """The interest of instalments 1..months of loans 0..count-1, paid on each due date."""
    all_villages = villages()
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("id,contract_no,institution_code,paid_on,amount\n")
        for k in range(1, months + 1):
            for n in range(count):
                if skip_every and n % skip_every == skip_every - 1:
                    continue
                contract, county, _, principal_fen, start = loan(n, household_total, all_villages)
                previous, due = add_months(start, k - 1), add_months(start, k)
                amount = interest_fen(principal_fen, (due - previous).days)
                f.write(f"R{n:09d}-{k:02d},{contract},RCB{county},{due},"
                        f"{amount // 100}.{amount % 100:02d}\n")
                written += 1
    return written


def repayments_sql(csv_path, table, out_path):
    with open(csv_path, encoding="utf-8") as f, open(out_path, "w", encoding="utf-8") as out:
        next(f)
        out.write("begin;\n")
        for line in f:
            i, contract, institution, paid_on, amount = line.rstrip("\n").split(",")
            fen = int(amount.replace(".", ""))
            out.write(f"insert into {table} values ('{institution}','{i}','{contract}',"
                      f"'{paid_on}',{fen});\n")
        out.write("commit;\n")


def main(argv):
    command = argv[1]
    if command == "territory":
        territory(argv[2])
    elif command == "households":
        print(households(int(argv[2]), argv[3]))
    elif command == "household-count":
        print(household_count(int(argv[2])))
    elif command == "loans":
        loans(int(argv[2]), int(argv[3]), argv[4])
    elif command == "repayments":
        # repayments N HOUSEHOLDS FILE [MONTHS] [SKIP_EVERY]
        months = int(argv[5]) if len(argv) > 5 else 1
        skip = int(argv[6]) if len(argv) > 6 else 0
        print(repayments(int(argv[2]), int(argv[3]), argv[4], months, skip))
    elif command == "repayments-sql":
        repayments_sql(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
