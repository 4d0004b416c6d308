#!/usr/bin/env python3
"""Prints the results of scripts/bench as a Markdown table: every case, its baseline, the ratio.

  bench-report.py [--machine MACHINE.txt] RESULTS.tsv...

ratio = fupin's time / the baseline's time, measured in the same run (1.0 = as fast as the
baseline; 4.0 = four times slower). Rates are rows per second of the case's data.
"""
import csv
import sys


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def seconds(value):
    if value is None:
        return ""
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    return f"{value:,.2f} s"


def main(argv):
    files = argv[1:]
    if files[:1] == ["--machine"]:
        for line in open(files[1], encoding="utf-8"):
            print(line.rstrip())
        print()
        files = files[2:]
    print("| case | engine | data | fupin | rows/s | max RSS | baseline | baseline time | rows/s | ratio | notes |")
    print("|---|---|---|---:|---:|---:|---|---:|---:|---:|---|")
    for path in files:
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                print_row(row)


def print_row(row):
    rows = number(row["rows"])
    fs, bs = number(row["fupin_s"]), number(row["baseline_s"])
    rate = f"{rows / fs:,.0f}" if rows and fs else ""
    brate = f"{rows / bs:,.0f}" if rows and bs else ""
    ratio = f"{fs / bs:,.1f}" if fs and bs else ""
    fm, bm = row["fupin_mib"], row["baseline_mib"]
    memory = f"{fm} MiB" if fm else ""
    if bm:
        memory += f" (baseline {bm} MiB)"
    print(f"| {row['case']} | {row['engine']} | {row['data']} | {seconds(fs)} | {rate} | "
          f"{memory} | {row['baseline']} | {seconds(bs)} | {brate} | {ratio} | {row['note']} |")

if __name__ == "__main__":
    main(sys.argv)
