"""The load test's driver: ``python -m benchmarks.load --config pg|sqlite|both --minutes M``.

For each configuration it makes a fresh database (migrated, ``seda demo``), starts ``seda
serve`` on 127.0.0.1 (SQLite: one process; PostgreSQL: ``--workers``), prepares the pool of
sealed submissions and tracked reports, runs Locust headless for ``--minutes`` with
``--users`` closed-loop users, then the same Locust for ``--reference-seconds`` against the
server's ``/healthz`` and against a one-handler Litestar app (the framework's ceiling), stops
everything, and checks every receipt against the database. It prints a table and writes a
JSON result; the exit status is 1 if any request failed other than by 429, if a receipted
report is not stored exactly once, or if the pool ran out. docs/PERFORMANCE.md has figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import msgspec

from benchmarks.load.driver import MAX_MINUTES, MAX_USERS, Options, run
from benchmarks.load.processes import ROOT, RunError
from benchmarks.load.report import print_table, record


def _parse() -> tuple[Options, Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=("pg", "sqlite", "both"), default="both")
    parser.add_argument(
        "--minutes", type=float, required=True, help=f"timed phase per configuration (≤ {MAX_MINUTES})"
    )
    parser.add_argument("--users", type=int, default=32, help=f"concurrent Locust users (≤ {MAX_USERS})")
    parser.add_argument("--workers", type=int, default=2, help="server processes on PostgreSQL (SQLite: 1)")
    parser.add_argument("--reference-seconds", type=int, default=60, help="each reference phase")
    parser.add_argument("--rate-per-user", type=float, default=0.0, help="tasks/s per user; 0: no wait")
    parser.add_argument("--pool", type=int, default=None, help="submissions to prepare (default: enough)")
    parser.add_argument(
        "--out", type=Path, default=None, help="the JSON result (default var/load/…/result.json)"
    )
    args = parser.parse_args()
    if not (0 < args.minutes <= MAX_MINUTES and 1 <= args.users <= MAX_USERS and 1 <= args.workers <= 8):
        parser.error(f"--minutes in (0, {MAX_MINUTES}], --users in 1..{MAX_USERS}, --workers in 1..8")
    if not 5 <= args.reference_seconds <= 300:
        parser.error("--reference-seconds in 5..300")
    configs = ("pg", "sqlite") if args.config == "both" else (args.config,)
    options = Options(
        configs=configs,
        seconds=round(args.minutes * 60),
        users=args.users,
        workers=args.workers,
        rate_per_user=args.rate_per_user,
        reference_seconds=args.reference_seconds,
        pool_size=args.pool,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # Absolute: the servers run in the run's folder, and a relative SQLite path would name
    # another (empty) database there.
    out = (args.out or ROOT / "var" / "load" / stamp / "result.json").resolve()
    return options, out


def _hard_limit(_signal: int, _frame: FrameType | None) -> None:
    raise RunError("the run's hard time limit passed")


def main() -> None:
    options, out = _parse()
    out.parent.mkdir(parents=True, exist_ok=True)
    limit = len(options.configs) * (options.seconds + 2 * options.reference_seconds + 1500)
    signal.signal(signal.SIGALRM, _hard_limit)
    signal.alarm(limit)  # every step's children are killed on the way out (process groups)
    started = datetime.now(UTC)
    load_at_start = os.getloadavg()
    try:
        results = run(options, out.parent)
    finally:
        signal.alarm(0)
    out.write_bytes(
        msgspec.json.format(msgspec.json.encode(record(options, results, started, load_at_start)))
    )
    print_table(results)
    print(f"result: {out}")
    sys.exit(0 if all(phase.passed() for result in results for phase in result.phases) else 1)


if __name__ == "__main__":
    main()
