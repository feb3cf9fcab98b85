"""Locust users of the load test; only the Locust subprocess imports this (gevent patching).

``SedaUser`` is a reporter's client in a closed loop: it files a prepared submission
(weight 1) or looks up a report filed before the run (weight 2, because every report is
followed by its reporter several times while it is open). Answers are checked, not only
counted: a 201 must carry the receipt of the very envelope sent, a 200 look-up the report
asked about. 429 answers (the look-up limit) are recorded under a name of their own, so they
count apart from errors and do not blur the look-ups' latencies.

``HealthUser`` (``GET /healthz``) and ``TrivialUser`` (the same submission bodies posted to a
one-handler Litestar app, benchmarks/intake.py) are the references the same Locust measures.

Options (after Locust's): ``--pool-file`` (benchmarks/load/pool.py), ``--results-file``,
``--rate-per-user`` (tasks per second per user; 0, the default, is no wait at all).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.user.wait_time import constant_throughput

from benchmarks.load import pool
from benchmarks.load.pool import LOOK_UP, LOOK_UP_PATH, SUBMIT, SUBMIT_PATH

JSON = {"content-type": "application/json"}


class _Answer(msgspec.Struct):
    report_id: str = ""
    envelope_sha256: bytes = b""
    code: str = ""


class _Run:
    """The pool and what the users saw (one Locust process, one greenlet at a time)."""

    def __init__(self) -> None:
        self.pool: pool.Pool | None = None
        self.fresh: Any = iter(())
        self.cycle: Any = iter(())
        self.samples: Any = iter(())
        self.started = time.monotonic()
        self.exhausted_after: float | None = None
        self.sent = 0
        self.answered = 0  # sent and answered (anything, even no answer at all) before the stop
        self.receipts: list[pool.Receipted] = []
        self.statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self.task_errors: Counter[str] = Counter()  # exceptions in a task: bugs of this file

    def load(self, path: Path) -> None:
        self.pool = pool.read_pool(path)
        self.fresh = iter(self.pool.submissions)
        self.cycle = itertools.cycle(self.pool.lookups)
        self.samples = itertools.cycle(self.pool.submissions[:256])
        self.started = time.monotonic()


RUN = _Run()


def _options(parser: Any) -> None:
    parser.add_argument("--pool-file", type=str, default="", help="prepared requests")
    parser.add_argument("--results-file", type=str, default="", help="where to write what was seen")
    parser.add_argument("--rate-per-user", type=float, default=0.0, help="tasks/s per user (0: no wait)")


def _load_pool(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is not None and options.pool_file:
        RUN.load(Path(options.pool_file))


def _task_error(exception: Exception, **_: Any) -> None:
    RUN.task_errors[type(exception).__name__] += 1


def _write_results(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None or not options.results_file:
        return
    stats = environment.stats
    entries = [*stats.entries.values(), stats.total]
    errors: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for error in stats.errors.values():
        errors[error.name][error.to_name()] = error.occurrences
    if RUN.task_errors:
        errors["task"] = dict(RUN.task_errors)
    results = pool.UserResults(
        endpoints=[
            pool.EndpointStats(
                name=entry.name,
                requests=entry.num_requests,
                failures=entry.num_failures,
                p50=entry.get_response_time_percentile(0.5),
                p90=entry.get_response_time_percentile(0.9),
                p99=entry.get_response_time_percentile(0.99),
                max=entry.max_response_time or 0.0,
                per_second=entry.total_rps,
            )
            for entry in entries
        ],
        errors=dict(errors),
        task_errors=sum(RUN.task_errors.values()),
        receipts=RUN.receipts,
        sent_submissions=RUN.sent,
        answered_submissions=RUN.answered,
        statuses={name: dict(counts) for name, counts in RUN.statuses.items()},
        pool_exhausted_after=RUN.exhausted_after,
    )
    pool.write(Path(options.results_file), results)


def _listen(hook: Any, handler: Callable[..., None]) -> None:
    """``hook.add_listener(handler)`` (Locust's event hooks are not typed)."""
    hook.add_listener(handler)


_listen(events.init_command_line_parser, _options)
_listen(events.test_start, _load_pool)
_listen(events.user_error, _task_error)
_listen(events.quitting, _write_results)


def _post(user: FastHttpUser, path: str, body: bytes, name: str) -> Any:
    """Post prepared bytes as they are (geventhttpclient sends ``bytes`` untouched)."""
    client: Any = user.client
    return client.post(path, data=body, headers=JSON, name=name, catch_response=True)


def _wait(user: FastHttpUser) -> float:
    options = user.environment.parsed_options
    rate = 0.0 if options is None else float(options.rate_per_user)
    return 0.0 if rate <= 0 else constant_throughput(rate)(user)


def _refused(response: Any, name: str) -> None:
    """Record a refusal: 429 under its own name, anything else as an error with its code."""
    RUN.statuses[name][response.status_code] += 1
    if response.status_code == 429:
        response.request_meta["name"] = f"{name} (429)"
        response.failure("429 too-many-requests")
        return
    if response.status_code == 0:
        response.failure(f"no answer: {type(getattr(response, 'error', None)).__name__}")
        return
    try:
        code = msgspec.json.decode(response.content or b"{}", type=_Answer).code
    except msgspec.DecodeError:
        code = "not a problem document"
    response.failure(f"{response.status_code} {code}")


class SedaUser(FastHttpUser):
    """A reporter's client: files prepared submissions and looks up tracked reports."""

    wait_time = _wait
    network_timeout = 30.0
    connection_timeout = 10.0

    @task(1)
    def submit(self) -> None:
        prepared: pool.PreparedSubmission | None = next(RUN.fresh, None)
        if prepared is None:  # the pool is spent: stop rather than repeat (a different path)
            RUN.exhausted_after = RUN.exhausted_after or time.monotonic() - RUN.started
            if self.environment.runner is not None:
                self.environment.runner.quit()
            return
        RUN.sent += 1
        with _post(self, SUBMIT_PATH, prepared.body, SUBMIT) as answer:
            RUN.answered += 1
            if answer.status_code != 201:
                _refused(answer, SUBMIT)
                return
            RUN.statuses[SUBMIT][201] += 1
            receipt = msgspec.json.decode(answer.content or b"{}", type=_Answer)
            if (receipt.report_id, receipt.envelope_sha256) != (prepared.report_id, prepared.envelope_sha256):
                answer.failure("a receipt for another envelope")
                return
            RUN.receipts.append(pool.Receipted(receipt.report_id, receipt.envelope_sha256))

    @task(2)
    def look_up(self) -> None:
        prepared: pool.PreparedLookup = next(RUN.cycle)
        with _post(self, LOOK_UP_PATH, prepared.body, LOOK_UP) as answer:
            if answer.status_code != 200:
                _refused(answer, LOOK_UP)
                return
            RUN.statuses[LOOK_UP][200] += 1
            if msgspec.json.decode(answer.content or b"{}", type=_Answer).report_id != prepared.report_id:
                answer.failure("the status of another report")


class HealthUser(FastHttpUser):
    """Reference: the server's own cheapest route (one ``SELECT 1``)."""

    wait_time = _wait

    @task
    def health(self) -> None:
        self.client.get("/healthz", name="GET /healthz")


class TrivialUser(FastHttpUser):
    """Reference: the framework's ceiling, the same bodies decoded by a one-handler app."""

    wait_time = _wait

    @task
    def accept(self) -> None:
        prepared: pool.PreparedSubmission = next(RUN.samples)
        with _post(self, "/accept", prepared.body, "POST /accept (trivial)") as answer:
            if answer.status_code != 201:
                _refused(answer, "POST /accept (trivial)")
