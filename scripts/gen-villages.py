#!/usr/bin/env python3
"""Writes a `regions` CSV of N villages (and their townships) under Poyang County (361128).

Used by scripts/bench-import-regions to show that importing streams. Deterministic.
Usage: gen-villages.py N OUT.csv
"""
import sys

def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    per_township = 990
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("code,name,population\n")
        written, township = 0, 100
        while written < count:
            f.write(f"361128{township:03d}000,乡镇{township},\n")
            for village in range(1, per_township + 1):
                if written == count:
                    break
                f.write(f"361128{township:03d}{village:03d},第{township}乡第{village}村,{800 + village}\n")
                written += 1
            township += 1

if __name__ == "__main__":
    main()
