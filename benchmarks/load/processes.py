"""The load test's processes: a fresh database, ``seda serve``, the preparation, Locust.

Every child runs in a process group of its own on 127.0.0.1 and is given a time limit; on
any error (or when the limit passes) the whole group is killed, so nothing outlives a run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.intake import postgres_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


class RunError(Exception):
    """A step of the run failed; the message says which, and where its log is."""


def run_bounded(command: list[str], log: Path, timeout: float, env: dict[str, str] | None = None) -> None:
    """Run ``command`` in its own process group, its output in ``log``; kill the group after
    ``timeout`` seconds or on any error, and raise ``RunError`` unless it exited 0."""
    with log.open("ab") as output:
        child = subprocess.Popen(  # noqa: S603 (our own programs, by absolute path)
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        code = child.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_group(child)
        raise RunError(
            f"{Path(command[0]).name} {' '.join(command[1:3])} ran over {timeout:.0f} s; see {log}"
        ) from None
    except BaseException:
        kill_group(child)
        raise
    if code != 0:
        raise RunError(f"{Path(command[0]).name} {' '.join(command[1:3])} exited {code}; see {log}")


def kill_group(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)


def server_env(url: str, keys_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of ``seda`` commands: no inherited ``SEDA_*`` (a stray one is refused)."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("SEDA_")}
    return {**inherited, "SEDA_DATABASE_URL": url, "SEDA_DEMO_KEYS_DIR": str(keys_dir), **(extra or {})}


def set_up_database(url: str, keys_dir: Path, workdir: Path) -> None:
    """Migrate to head, then ``seda demo``: demo data, keys, a signed directory and policy."""
    env = server_env(url, keys_dir)
    log = workdir / "setup.log"
    run_bounded([str(BIN / "seda"), "db", "upgrade"], log, 300, env)
    run_bounded([str(BIN / "seda"), "demo"], log, 300, env)


@contextmanager
def fresh_database(config: str, workdir: Path) -> Iterator[str | None]:
    """An empty database for ``config``: a new SQLite file, or a new PostgreSQL database on
    the test server (dropped afterwards; None when no server answers)."""
    if config == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'seda.db'}"
        return
    with postgres_database() as url:
        yield url


def prepare_pool(
    base_url: str, keys_dir: Path, submissions: int, *, lookups: int, out: Path, timeout: float = 900
) -> None:
    command = [sys.executable, "-m", "benchmarks.load.prepare", "--base-url", base_url]
    command += ["--keys-dir", str(keys_dir), "--submissions", str(submissions)]
    command += ["--lookups", str(lookups), "--out", str(out)]
    run_bounded(command, out.with_suffix(".log"), timeout, _python_env())


def run_locust(
    user_class: str,
    host: str,
    *,
    users: int,
    seconds: int,
    pool_file: Path,
    results_file: Path,
    csv_prefix: Path,
    rate_per_user: float,
) -> None:
    """Locust headless, bounded in users and time; what it saw goes to ``results_file``."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), user_class, "--headless"]
    command += ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s"]
    command += ["--stop-timeout", "10", "--host", host.rstrip("/"), "--only-summary"]
    command += ["--csv", str(csv_prefix), "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    command += ["--pool-file", str(pool_file), "--results-file", str(results_file)]
    command += ["--rate-per-user", str(rate_per_user)]
    run_bounded(command, csv_prefix.with_suffix(".log"), seconds + 90, _python_env())


def _python_env() -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("SEDA_")}
    return {**inherited, "PYTHONPATH": str(ROOT)}
