"""Request metrics that move once an hour.

Every time Sedā stores or logs about a reporter is rounded down to the hour (SECURITY.md §4),
so a counter a monitoring system samples every fifteen seconds must not date a submission
more finely: each process counts requests in a registry of its own (prometheus_client does
the counting and the histogram) and *releases* a snapshot of it only when a local hour ends.
``/metrics`` serves the released snapshots of every process sharing the metrics folder,
summed, so a scrape shows what the whole node did up to the last full hour and nothing
since. Route templates only (``/api/v1/reports/{report_id}``), never a path as asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from server.db.types import round_down_to_hour
from server.logging import get_logger

SNAPSHOT_SUFFIX = ".prom"
DEFAULT_METRICS_DIR = "var/metrics"
# How often a process looks whether the local hour changed (tests make it shorter).
POLL_SECONDS = 30.0
# Latency buckets in seconds: Argon2id look-ups and group commits sit between 10 ms and 2 s.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _HourCounters:
    """The counters of one hour's requests, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "seda_http_requests",
            "HTTP requests answered, by route template, method and status (released hourly).",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "seda_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template (released hourly).",
            ["route"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )

    def text(self) -> str:
        return generate_latest(self.registry).decode()


class HourlyRequestMetrics:
    """One process's request counters, released at the end of every local hour.

    Requests are counted into the hour they are answered in; when the hour changes, its
    counters join those of the hours before (``completed``), and only ``completed`` is ever
    released. Releases happen on the process's own cadence (every ``POLL_SECONDS``), never
    because a request came: the moment a snapshot changes says nothing about any request.
    """

    def __init__(self, directory: Path | None, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.current = _HourCounters()
        self.counting_hour = round_down_to_hour(clock())
        self.completed = ""
        self.directory = directory
        self.snapshot_file = (
            directory / f"{os.getpid()}-{secrets.token_hex(4)}{SNAPSHOT_SUFFIX}" if directory else None
        )
        self.released = b""

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.close_hour_if_ended()
        self.current.requests.labels(route=route, method=method, status=str(status)).inc()
        self.current.duration.labels(route=route).observe(seconds)

    def close_hour_if_ended(self) -> None:
        """Move the ended hour's counts (any change of hour: a clock moved back too) into
        ``completed``; nothing is released here."""
        hour = round_down_to_hour(self.clock())
        if hour != self.counting_hour:
            self.completed = render(summed([self.completed, self.current.text()]))
            self.current = _HourCounters()
            self.counting_hour = hour

    def release(self) -> None:
        """Publish the counts of the completed hours."""
        self.released = self.completed.encode()
        if self.snapshot_file is None:
            return
        self.snapshot_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.snapshot_file.with_suffix(".partial")
        partial.write_bytes(self.released)
        partial.replace(self.snapshot_file)  # atomic: a scrape never reads half a snapshot

    def released_snapshots(self) -> list[str]:
        """Every process's last release: this folder's files, or this process's alone."""
        if self.directory is None:
            return [self.released.decode()]
        texts = []
        for path in sorted(self.directory.glob(f"*{SNAPSHOT_SUFFIX}")):
            with contextlib.suppress(FileNotFoundError):  # a snapshot being replaced
                texts.append(path.read_text(encoding="utf-8"))
        return texts

    def tick(self) -> None:
        """One look at the clock: close an ended hour, release if there is something new."""
        self.close_hour_if_ended()
        if self.completed.encode() != self.released:
            self.release()

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        """Release once at start (an empty snapshot), then look every ``POLL_SECONDS``."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                try:
                    self.tick()
                except OSError:
                    get_logger("seda.metrics").warning("metrics_release_failed")

        self.release()
        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def clear_snapshots(directory: Path) -> None:
    """Forget the snapshots of an earlier server run (``seda serve`` does it at start)."""
    for path in directory.glob(f"*{SNAPSHOT_SUFFIX}"):
        path.unlink(missing_ok=True)


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def render(families: Iterable[Metric]) -> str:
    """Prometheus text of ``families``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    return generate_latest(registry).decode()


def summed(snapshots: Iterable[str]) -> list[Metric]:
    """Add the processes' snapshots sample by sample (every released series is a counter or a
    histogram, so sums are meaningful); ``_created`` times are per process and dropped."""
    families: dict[str, Metric] = {}
    totals: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}
    for text in snapshots:
        for family in text_string_to_metric_families(text):
            families.setdefault(family.name, Metric(family.name, family.documentation, family.type))
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                key = (family.name, sample.name, tuple(sorted(sample.labels.items())))
                totals[key] = totals.get(key, 0.0) + sample.value
    for (family_name, sample_name, labels), value in totals.items():
        families[family_name].add_sample(sample_name, dict(labels), value)
    return list(families.values())
