#!/usr/bin/env python3
"""Time the compiled W1/W2 SQL on DuckDB against the hand-written DuckDB
references and `scorecard score`, on the same generated input.

    bench/run_compiled.py                  # W1: 1,000,000 x 1; W2: 200,000 x 8
    bench/run_compiled.py --quick          # 100,000 x 1 and 20,000 x 8
    bench/run_compiled.py --runs 5 --spark # also Spark local mode (slow to plan)
    bench/run_compiled.py --exec SQL OUT   # run one compiled query on DuckDB, CSV to OUT

`bench/run` times the compiled query in the same rounds as the references
(`duckdb_command`) and, with `--spark`, Spark local mode (`spark_seconds`).
Inputs come from ../shared/bench/gen_partners.py (cached under bench/work/).
Each tool reads the CSV and writes its CSV; the compiled SQL's output must be
byte-identical to `scorecard score`'s (checked on every run). Prints the
median wall time of each tool and the ratio of the compiled SQL to the
hand-written reference (target: 1.5 or less).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("SCORECARD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
REF = os.path.join(SHARED, "bench", "reference")
WORK = os.path.join(HERE, "work")


def generate(partners, periods):
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, f"partners_{partners}x{periods}.csv")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_partners.py"),
                        "--partners", str(partners), "--periods", str(periods), "--seed", "42",
                        "--out", path], check=True)
    return path


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compile_duckdb(binary, card, data):
    """The scorecard compiled for DuckDB, reading the CSV file `data`."""
    source = "read_csv('%s', header = true)" % data.replace("'", "''")
    return subprocess.run([binary, "compile", card, "--to", "duckdb", "--from", source],
                          capture_output=True, text=True, check=True).stdout


def run_duckdb(sql, out):
    """One compiled query on DuckDB, its result written to `out` as CSV."""
    import duckdb
    query = sql.strip().rstrip(";")
    # The leading comment lines are kept inside COPY ( … ).
    con = duckdb.connect()
    con.execute("COPY (\n%s\n) TO '%s' (HEADER, DELIMITER ',')" % (query, out.replace("'", "''")))
    con.close()


def duckdb_command(binary, card, data, out):
    """A command that runs the compiled query on DuckDB (compiled now, once)."""
    path = out[:-4] + ".sql"
    with open(path, "w") as fh:
        fh.write(compile_duckdb(binary, card, data))
    return [sys.executable, os.path.abspath(__file__), "--exec", path, out]


def spark_seconds(binary, card, data):
    """Spark local mode, one run: planning and running the compiled query
    on the CSV loaded as a table (the load is not timed)."""
    import duckdb
    sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
    import run as conformance
    ssql = subprocess.run([binary, "compile", card, "--to", "spark", "--from", "partners"],
                          capture_output=True, text=True, check=True).stdout
    ddl = subprocess.run([binary, "compile", card, "--to", "spark", "--ddl"],
                         capture_output=True, text=True, check=True).stdout
    cols = conformance.contract_columns(ddl)
    rel = duckdb.sql("SELECT %s FROM read_csv('%s', all_varchar = true)" % (
        ", ".join('"%s"' % c for c, _ in cols), data))
    norm = os.path.join(WORK, os.path.basename(card) + ".spark-input.csv")
    rel.write_csv(norm, header=True)
    conformance.spark_session()  # started before the clock
    return timed(lambda: conformance.run_spark(ssql, cols, norm))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--spark", action="store_true")
    ap.add_argument("--exec", nargs=2, metavar=("SQL", "OUT"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "scorecard"))
    args = ap.parse_args()
    if args.exec:
        with open(args.exec[0]) as fh:
            run_duckdb(fh.read(), args.exec[1])
        return
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    sizes = {"w1": (100_000, 1) if args.quick else (1_000_000, 1),
             "w2": (20_000, 8) if args.quick else (200_000, 8)}
    for wl, (partners, periods) in sizes.items():
        data = generate(partners, periods)
        card = os.path.join(HERE, f"{wl}.scorecard")
        sql = compile_duckdb(args.bin, card, data)
        outs = {k: os.path.join(WORK, f"{wl}.{k}.csv") for k in ("compiled", "reference", "scorecard")}

        def compiled():
            run_duckdb(sql, outs["compiled"])

        def reference():
            subprocess.run([sys.executable, os.path.join(REF, "run_duckdb.py"),
                            os.path.join(REF, f"duckdb_{wl}.sql"), data, outs["reference"]], check=True)

        def score():
            with open(outs["scorecard"], "w") as f:
                subprocess.run([args.bin, "score", card, "--data", data, "--format", "csv"],
                               stdout=f, check=True)

        tools = [("compiled SQL (DuckDB)", compiled), ("hand-written DuckDB", reference), ("scorecard score", score)]
        times = {name: [] for name, _ in tools}
        for name, fn in tools:
            fn()  # warm-up
        for _ in range(args.runs):
            for name, fn in tools:
                times[name].append(timed(fn))
        same = open(outs["compiled"], "rb").read() == open(outs["scorecard"], "rb").read()
        print(f"{wl} ({partners:,} partners x {periods} periods): compiled SQL output "
              f"{'identical to' if same else 'DIFFERS from'} scorecard score")
        med = {n: statistics.median(t) for n, t in times.items()}
        for name, _ in tools:
            print(f"  {name:24} {med[name]:7.2f} s")
        print(f"  compiled / hand-written  {med['compiled SQL (DuckDB)'] / med['hand-written DuckDB']:.2f}x")
        if args.spark:
            print(f"  Spark local[2] (plan + run, one run) {spark_seconds(args.bin, card, data):7.2f} s")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
