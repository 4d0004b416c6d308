#!/usr/bin/env python3
"""Independent reference for equal-principal schedules that accrue by the day count.

Written apart from crates/core/src/schedule.rs: Python's decimal (ROUND_HALF_UP) and datetime.
Usage: python3 equal_principal_day_count.py 864000 4.75 12 2016-12-15 act/360
Interest of instalment k = round(principal outstanding x rate x days / basis) to the fen;
principal = round(P / n), the last instalment takes what is left.
"""
import calendar, datetime as dt, sys
from decimal import Decimal as D, ROUND_HALF_UP, getcontext

getcontext().prec = 60
fen = lambda x: x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def add_months(d, k):
    y, m = divmod(d.month - 1 + k, 12)
    y += d.year
    m += 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def days(a, b, count):
    if count == "30/360":
        o = lambda d: d.year * 360 + d.month * 30 + min(d.day, 30)
        return o(b) - o(a)
    return (b - a).days


def main():
    principal, pct, n, start, count = D(sys.argv[1]), D(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    grace = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    start = dt.date.fromisoformat(start)
    basis = 365 if count == "act/365" else 360
    rate = pct / 100
    level = fen(principal / (n - grace))
    left = principal
    prev = start
    total_interest = D(0)
    for k in range(1, n + 1):
        due = add_months(start, k)
        d = days(prev, due, count)
        interest = fen(left * rate * d / basis)
        if k <= grace:
            part = D(0)
        else:
            part = left if k == n else min(level, left)
        left -= part
        total_interest += interest
        print(k, due, (due - prev).days, d, part, interest, part + interest, left)
        prev = due
    print("interest", total_interest)


main()
