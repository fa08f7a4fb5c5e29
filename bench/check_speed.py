#!/usr/bin/env python3
"""Time `scorecard check` on a generated 5,000-line scorecard (target: under 50 ms).

    python3 bench/check_speed.py            # builds the release binary first
    python3 bench/check_speed.py --lines 20000 --runs 30

Prints the median, min and max wall time of the whole process over the runs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def generate(lines):
    """A realistic scorecard of about `lines` lines: columns, metrics with band
    tables and scales, segments, weighted scores, tiers, flags and rules."""
    out = ['scorecard "generated" version "1"', "", "input {", "  key partner_id", "  period period",
           "  partner_type: enum(reseller, msp, technology, referral)"]
    groups = max(1, lines // 50)
    for g in range(groups):
        out.append(f"  c{g}a: number >= 0")
        out.append(f"  c{g}b: integer in 0..100")
    out.append("}")
    out.append("segment type from partner_type")
    for g in range(groups):
        out += [
            f'metric m{g}a "Metric {g} a" {{',
            '  owner "ops"  source "CRM"  layer results  kind lagging',
            f"  value c{g}a / (c{g}b + 1)",
            "  missing value 0",
            "  points {",
            "    >= 0.9 => 100",
            "    >= 0.7 => 70",
            "    >= 0.5 => 40",
            "    else   => 0",
            "  }",
            "}",
            f'metric m{g}b "Metric {g} b" {{',
            '  owner "ops"  source "CRM"  layer execution  kind leading',
            f"  value if c{g}b > 50 then c{g}b * 2 else c{g}b + previous(c{g}b)",
            "  points scale 0 => 0, 200 => 100",
            "  for type technology { points scale 0 => 0, 150 => 100 }",
            "}",
            f'score s{g} "Score {g}" {{',
            f"  weights {{ m{g}a 60  m{g}b 40 }}",
            f"  for type msp {{ weights {{ m{g}a 50  m{g}b 50 }} }}",
            "  smooth moving_average(3)",
            "  max_change 15 per period",
            "  min_periods 2",
            "}",
            f"tiers s{g} {{",
            "  high >= 80",
            "  mid  >= 50",
            "  low  otherwise",
            "}",
            f'flag f{g} "Spike {g}" {{',
            "  kind anomaly",
            f"  when pct_change(c{g}a) > 200% and c{g}b == 0",
            "}",
            f'rule r{g} "Coach {g}" {{',
            f"  when s{g} >= 70 and m{g}a < 0.5 or f{g}",
            '  action "coach"',
            "  priority high",
            "}",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    return "\n".join(out[:lines]) + "\n" if len(out) >= lines else "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "scorecard"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    text = generate(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "generated.scorecard")
        with open(path, "w") as fh:
            fh.write(text)
        n_lines = text.count("\n")
        first = subprocess.run([args.binary, "check", path], capture_output=True, text=True)
        if first.returncode != 0:
            print(first.stdout[-3000:])
            sys.exit("the generated scorecard does not check clean")
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run([args.binary, "check", path], capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
    med = statistics.median(times) * 1000
    print(f"check on {n_lines} lines ({len(text.encode()) // 1024} KiB), {args.runs} runs: "
          f"median {med:.1f} ms, min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
          f"(target < 50 ms: {'met' if med < 50 else 'NOT met'})")


if __name__ == "__main__":
    main()
