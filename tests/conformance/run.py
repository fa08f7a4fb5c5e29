#!/usr/bin/env python3
"""Conformance of `scorecard compile` on the real engines.

For each scorecard and data file, compiles the scorecard for DuckDB,
PostgreSQL and Spark, loads the data into each engine as a table of the
input contract's types, runs the SQL and requires its result, written as
CSV, to be byte-identical to `scorecard score --format csv` on the same data.
Prints one line per engine and case, then the totals; exits 1 on any
difference or failure.

    tests/conformance/run.py --bin target/debug/scorecard [--engines duckdb,postgres,spark]
        [--case SCORECARD:DATA:PERIOD ...] [--keep DIR]

PostgreSQL is reached with `psql` (as the current user, or `postgres` when
run as root; start a cluster first: `pg_ctlcluster 15 main start`). Spark
runs in local mode through pyspark. An engine whose client is absent is
reported as skipped, or as a failure when CI=true.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# scorecard, data, period (latest or all)
DEFAULT_CASES = [
    ("bench/w1.scorecard", "tests/fixtures/bench/partners_2000x8.csv", "latest"),
    ("bench/w2.scorecard", "tests/fixtures/bench/partners_2000x8.csv", "latest"),
    ("bench/b3-categorical.scorecard", "tests/fixtures/bench/accounts_600x2.csv", "latest"),
    ("bench/b4-history.scorecard", "tests/fixtures/bench/partners_100x40.csv", "all"),
    ("scorecards/partner-performance.scorecard", "scorecards/data/partners.csv", "latest"),
    ("scorecards/partner-performance.scorecard", "scorecards/data/partners.csv", "all"),
    ("scorecards/partner-performance-v2.scorecard", "scorecards/data/partners.csv", "all"),
    ("scorecards/partner-onboarding.scorecard", "scorecards/data/partners.csv", "all"),
    ("tests/fixtures/sql/features.scorecard", "tests/fixtures/sql/features.csv", "all"),
]


def field(text):
    """RFC 4180, as `score` writes CSV."""
    if text is None:
        return ""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(header, rows):
    out = [",".join(field(h) for h in header)]
    for r in rows:
        out.append(",".join(field(v) for v in r))
    return "\n".join(out) + "\n"


def compile_sql(args, scorecard, engine, period, extra=()):
    p = subprocess.run(
        [args.bin, "compile", scorecard, "--to", engine, "--from", "partners", "--period", period, *extra],
        capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("compile failed: " + p.stderr.strip().splitlines()[-1] if p.stderr else "")
    return p.stdout


def contract_columns(ddl):
    return re.findall(r'^\s+["`](.+?)["`] (\w[\w ]*?),?$', ddl, re.M)


def normalized_csv(args, scorecard, data, work):
    """The data's contract columns, in contract order, as CSV (blank = NULL)."""
    import duckdb
    ddl = compile_sql(args, scorecard, "duckdb", "all", ("--ddl",))
    cols = contract_columns(ddl)
    path = os.path.join(work, "input.csv")
    con = duckdb.connect()
    select = ", ".join('"%s"' % c.replace('"', '""') for c, _ in cols)
    rel = con.sql(f"SELECT {select} FROM read_csv('{data}', all_varchar = true, header = true)")
    rel.write_csv(path, header=True)
    return cols, path


def run_duckdb(sql, ddl, path):
    import duckdb
    con = duckdb.connect()
    con.execute(ddl)
    con.execute(f"INSERT INTO partners SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
    cur = con.execute(sql)
    header = [d[0] for d in cur.description]
    return header, cur.fetchall()


def psql_cmd():
    base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + base
    return base


def run_postgres(sql, ddl, path, work):
    db = "scorecard_conformance"
    subprocess.run(psql_cmd() + ["-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True, capture_output=True)
    subprocess.run(psql_cmd() + ["-d", "postgres", "-c", f"CREATE DATABASE {db}"], check=True, capture_output=True)
    shutil.copy(path, "/tmp/scorecard_conformance_input.csv")
    os.chmod("/tmp/scorecard_conformance_input.csv", 0o644)
    load = ddl + "\n\\copy partners FROM '/tmp/scorecard_conformance_input.csv' WITH (FORMAT csv, HEADER true)\n"
    subprocess.run(psql_cmd() + ["-d", db], input=load, text=True, check=True, capture_output=True)
    p = subprocess.run(psql_cmd() + ["-d", db, "-A", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x1d", "-P", "footer=off"],
                       input=sql, text=True, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip()[-800:])
    records = p.stdout.rstrip("\n").split("\x1e")
    header = records[0].split("\x1f")
    rows = [[None if v == "\x1d" else v for v in r.split("\x1f")] for r in records[1:] if r != ""]
    return header, rows


_spark = None


def spark_session():
    global _spark
    if _spark is None:
        from pyspark.sql import SparkSession
        _spark = (SparkSession.builder.master("local[2]").appName("scorecard-conformance")
                  .config("spark.ui.enabled", "false").config("spark.log.level", "OFF").config("spark.driver.memory", "3g").config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "4")
                  .getOrCreate())
        _spark.sparkContext.setLogLevel("ERROR")
    return _spark


def run_spark(sql, cols, path):
    spark = spark_session()
    types = {"BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "STRING": "STRING"}
    schema = ", ".join("`%s` %s" % (c, types.get(t, "STRING")) for c, t in cols)
    df = spark.read.csv(path, header=True, schema=schema, escape='"')
    df.createOrReplaceTempView("partners")
    statements = [s for s in sql.strip().rstrip(";").split(";\n") if s.strip()]
    for statement in statements[:-1]:
        spark.sql(statement)
    result = spark.sql(statements[-1])
    header = result.columns
    rows = [[None if v is None else str(v) for v in r] for r in result.collect()]
    return header, rows


def available(engine):
    if engine == "duckdb":
        try:
            import duckdb  # noqa: F401
            return True
        except ImportError:
            return False
    if engine == "postgres":
        if shutil.which("psql") is None:
            return False
        return subprocess.run(psql_cmd() + ["-d", "postgres", "-c", "SELECT 1"], capture_output=True).returncode == 0
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            return False
        return shutil.which("java") is not None
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "scorecard"))
    ap.add_argument("--engines", default="duckdb,postgres,spark")
    ap.add_argument("--case", action="append", help="SCORECARD:DATA:PERIOD")
    ap.add_argument("--keep", help="keep the SQL and outputs in this directory")
    args = ap.parse_args()
    os.chdir(ROOT)
    cases = [tuple(c.split(":")) for c in args.case] if args.case else DEFAULT_CASES
    ci = os.environ.get("CI") == "true"
    totals = {}
    failed = False
    for engine in args.engines.split(","):
        ok = available(engine)
        if not ok:
            status = "FAIL" if ci else "skip"
            print(f"{engine:9} {status}  engine not available")
            failed = failed or ci
            continue
        passed = 0
        for scorecard, data, period in cases:
            name = f"{os.path.basename(scorecard)} {os.path.basename(data)} --period {period}"
            start = time.time()
            work = args.keep or tempfile.mkdtemp(prefix="scorecard-conformance-")
            os.makedirs(work, exist_ok=True)
            try:
                expected = subprocess.run(
                    [args.bin, "score", scorecard, "--data", data, "--format", "csv",
                     "--on-invalid", "skip", "--period", period],
                    capture_output=True, text=True, check=True).stdout
                cols, path = normalized_csv(args, scorecard, data, work)
                sql = compile_sql(args, scorecard, engine, period)
                ddl = compile_sql(args, scorecard, engine, period, ("--ddl",))
                if engine == "duckdb":
                    header, rows = run_duckdb(sql, ddl, path)
                elif engine == "postgres":
                    header, rows = run_postgres(sql, ddl, path, work)
                else:
                    header, rows = run_spark(sql, cols, path)
                got = to_csv(header, rows)
                stem = os.path.join(work, f"{engine}-{os.path.basename(scorecard)}-{period}")
                if args.keep:
                    open(stem + ".sql", "w").write(sql)
                    open(stem + ".got.csv", "w").write(got)
                    open(stem + ".expected.csv", "w").write(expected)
                if got == expected:
                    passed += 1
                    print(f"{engine:9} ok    {name}  ({len(rows)} rows, {time.time() - start:.1f}s)")
                else:
                    failed = True
                    diff = next((i for i, (a, b) in enumerate(zip(got.splitlines(), expected.splitlines())) if a != b), None)
                    line = ""
                    if diff is not None:
                        line = f"\n            line {diff + 1}: got      {got.splitlines()[diff][:200]}\n            line {diff + 1}: expected {expected.splitlines()[diff][:200]}"
                    print(f"{engine:9} DIFF  {name}  ({len(got.splitlines())} lines, expected {len(expected.splitlines())}){line}")
            except Exception as e:  # noqa: BLE001 - reported per case
                failed = True
                msg = [m for m in str(e).strip().splitlines() if m.strip() and not m.strip().startswith("at ")]
                first = next((m for m in msg if "Exception" in m or "Error" in m), msg[-1] if msg else type(e).__name__)
                print(f"{engine:9} FAIL  {name}  {first.strip()[:400]}")
            finally:
                if not args.keep:
                    shutil.rmtree(work, ignore_errors=True)
        totals[engine] = passed
        print(f"{engine:9} total {passed}/{len(cases)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
