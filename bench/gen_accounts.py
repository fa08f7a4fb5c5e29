#!/usr/bin/env python3
"""Generate the input of bench/b3-categorical.scorecard: one row per account
and quarter with many text and enum columns (countries, industries, status
codes, plans, channels) and a few numbers, some values missing.

    python3 bench/gen_accounts.py --accounts 1000000 --periods 1 --seed 7 --out accounts.csv

Deterministic for a seed; rows sorted by (account_id, period).
"""
import argparse
import random

COUNTRIES = ["US", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "GB", "IE", "FR", "DE", "NL", "BE",
             "LU", "ES", "PT", "IT", "CH", "AT", "SE", "NO", "DK", "FI", "PL", "CZ", "HU", "RO",
             "GR", "TR", "IL", "AE", "SA", "ZA", "NG", "KE", "EG", "IN", "CN", "JP", "KR", "SG",
             "MY", "TH", "VN", "ID", "PH", "AU", "NZ", "TW"]
INDUSTRIES = ["banking", "insurance", "retail", "wholesale", "manufacturing", "automotive",
              "energy", "utilities", "telecom", "media", "healthcare", "pharma", "education",
              "government", "logistics", "hospitality", "real estate", "agriculture",
              "construction", "software"]
STATUS = ["A11", "A12", "A13", "A14"]
PLANS = ["basic", "plus", "pro", "enterprise"]
CHANNELS = ["direct", "partner", "online", "marketplace"]
SIZES = ["micro", "small", "mid", "large", "global"]
QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--periods", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    periods = QUARTERS[len(QUARTERS) - args.periods:]
    with open(args.out, "w", newline="") as out:
        out.write("account_id,period,country,industry,status,plan,channel,size,region_code,"
                  "seats,spend,tickets,nps,renewal_risk\n")
        lines = []
        for a in range(1, args.accounts + 1):
            country = rng.choice(COUNTRIES)
            industry = rng.choice(INDUSTRIES)
            size = rng.choice(SIZES)
            channel = rng.choice(CHANNELS)
            region = f"R{rng.randrange(1, 31):02d}"
            for period in periods:
                seats = rng.randrange(1, 5000)
                spend = f"{rng.uniform(0, 250000):.2f}"
                tickets = rng.randrange(0, 60)
                nps = "" if rng.random() < 0.1 else str(rng.randrange(-100, 101))
                risk = f"{rng.random():.3f}"
                status = rng.choice(STATUS) if rng.random() > 0.05 else ""
                lines.append(f"A{a:07d},{period},{country},{industry},{status},{rng.choice(PLANS)},"
                             f"{channel},{size},{region},{seats},{spend},{tickets},{nps},{risk}\n")
            if len(lines) >= 100_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))


if __name__ == "__main__":
    main()
