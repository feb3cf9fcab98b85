"""One load-test run: for each configuration a fresh database, ``seda serve``, the pool, the
timed Locust phase, the two references, and the storage check (see ``__main__``)."""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from benchmarks.intake import trivial_server
from benchmarks.load import pool
from benchmarks.load.processes import RunError, fresh_database, prepare_pool, run_locust, set_up_database
from benchmarks.load.results import Phase, check_storage, count_reports, phase_of
from tests.intake_support import LiveServer

MAX_MINUTES = 8  # pre-solved puzzles stay valid 10-20 minutes (PROTOCOL.md §11)
MAX_USERS = 64  # one process's in-flight bound (SEDA_MAX_INFLIGHT): more would be refused 503 by design
# Closed-loop users submit as fast as the server answers; the pool must outlast the run.
# A third of the tasks are submissions; this bounds their rate from above on 2 cores.
ASSUMED_MAX_SUBMISSIONS_PER_SECOND = 150
POOL_FILE = "pool.msgpack"


@dataclass(frozen=True)
class Options:
    configs: tuple[str, ...]
    seconds: int
    users: int
    workers: int
    rate_per_user: float = 0.0  # 0: closed loop without waiting
    reference_seconds: int = 60
    pool_size: int | None = None
    puzzle_bits: int = 8
    lookup_burst: int = 100_000
    lookup_per_minute: int = 100_000
    tracked_reports: int = 64  # filed with real tokens (Argon2id), looked up in turn

    def submissions_needed(self) -> int:
        if self.pool_size is not None:
            return self.pool_size
        if self.rate_per_user > 0:  # a hard bound: no user runs tasks faster than its rate
            return math.ceil(self.users * self.rate_per_user * self.seconds / 3 * 1.3) + 50
        return self.seconds * ASSUMED_MAX_SUBMISSIONS_PER_SECOND + 200


@dataclass(frozen=True)
class ConfigResult:
    config: str
    workers: int
    phases: list[Phase]


def _server_settings(options: Options) -> dict[str, str]:
    return {
        "SEDA_LOOKUP_BURST": str(options.lookup_burst),
        "SEDA_LOOKUP_PER_MINUTE": str(options.lookup_per_minute),
    }


@dataclass(frozen=True)
class _Locust:
    """Runs Locust phases of one configuration (same users, pool and folder)."""

    options: Options
    workdir: Path

    def phase(self, label: str, user_class: str, host: str, seconds: int) -> tuple[Phase, pool.UserResults]:
        results_file = self.workdir / f"{label}.results"
        run_locust(
            user_class,
            host,
            users=self.options.users,
            seconds=seconds,
            pool_file=self.workdir / POOL_FILE,
            results_file=results_file,
            csv_prefix=self.workdir / label,
            rate_per_user=self.options.rate_per_user,
        )
        if not results_file.exists():
            raise RunError(f"Locust wrote no results for {label}; see {self.workdir / label}.log")
        seen = pool.read_results(results_file)
        return phase_of(label, self.options.users, seconds, seen), seen


def _prepare(config: str, base_url: str, options: Options, workdir: Path) -> None:
    count, tracked = options.submissions_needed(), options.tracked_reports
    print(f"[{config}] preparing {count} submissions and {tracked} tracked reports ...", flush=True)
    prepare_pool(base_url, workdir / "keys", count, lookups=tracked, out=workdir / POOL_FILE)
    if time.time() + options.seconds + 30 > pool.read_pool(workdir / POOL_FILE).puzzles_valid_until:
        raise RunError("the pool's puzzles would expire during the run: fewer --minutes")


def run_config(
    config: str, options: Options, workdir: Path, empty_database: str | None = None
) -> ConfigResult | None:
    """One configuration end to end, on ``empty_database`` (a URL) or a fresh one; None if
    its database server is not reachable."""
    workers = 1 if config == "sqlite" else options.workers
    locust = _Locust(options, workdir)
    given = contextlib.nullcontext(empty_database) if empty_database else None
    with given or fresh_database(config, workdir) as url:
        if url is None:
            return None
        set_up_database(url, workdir / "keys", workdir)
        settings = _server_settings(options)
        with LiveServer(url, workdir, workers=workers, puzzle_bits=options.puzzle_bits, **settings) as server:
            _prepare(config, server.base_url, options, workdir)
            rows_before = count_reports(url)
            print(f"[{config}] {options.users} users for {options.seconds} s ...", flush=True)
            main, seen = locust.phase(f"{config}-seda", "SedaUser", server.base_url, options.seconds)
            print(f"[{config}] reference: /healthz for {options.reference_seconds} s ...", flush=True)
            health, _ = locust.phase(
                f"{config}-healthz", "HealthUser", server.base_url, options.reference_seconds
            )
        main = msgspec.structs.replace(main, storage=check_storage(url, rows_before, seen))
        print(f"[{config}] reference: trivial Litestar app for {options.reference_seconds} s ...", flush=True)
        with trivial_server(workdir, workers) as (port, _):
            host = f"http://127.0.0.1:{port}"
            trivial, _ = locust.phase(f"{config}-trivial", "TrivialUser", host, options.reference_seconds)
    return ConfigResult(config, workers, [main, health, trivial])


def run(options: Options, run_dir: Path) -> list[ConfigResult]:
    """Every configuration in turn; the big files (pool, SQLite database) are removed after each."""
    results = []
    for config in options.configs:
        workdir = run_dir.resolve() / config
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            result = run_config(config, options, workdir)
        finally:
            for name in (POOL_FILE, "seda.db", "seda.db-wal", "seda.db-shm"):
                (workdir / name).unlink(missing_ok=True)
            shutil.rmtree(workdir / "keys", ignore_errors=True)
        if result is None:
            print(f"[{config}] skipped: no PostgreSQL server answers")
        else:
            results.append(result)
    return results
