"""The load test's table (standard output) and JSON result."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from typing import Any

import msgspec

from benchmarks.load.driver import ConfigResult, Options
from benchmarks.load.results import TOTAL, Phase

HEADER = (
    "| configuration | phase | endpoint | requests | errors | 429 "
    "| p50 ms | p90 ms | p99 ms | max ms | per s |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _kind(phase: Phase) -> str:
    return phase.label.split("-", 1)[1]


def _rows(config: str, phase: Phase) -> list[str]:
    rows = []
    for entry in phase.endpoints:
        refused = entry.requests if entry.name.endswith("(429)") else 0
        errors = entry.failures - refused
        if entry.name == TOTAL:
            errors, refused = phase.errors, phase.refused
        figures = (
            f"{entry.p50:.0f} | {entry.p90:.0f} | {entry.p99:.0f} | {entry.max:.0f} | {entry.per_second:.1f}"
        )
        counts = f"{entry.requests} | {errors} | {refused}"
        rows.append(f"| {config} | {_kind(phase)} | {entry.name} | {counts} | {figures} |")
    return rows


def _ratios(result: ConfigResult) -> list[str]:
    main, *references = result.phases
    lines = []
    for reference in references:
        ceiling = reference.total.per_second
        if ceiling > 0:
            ratio = main.total.per_second / ceiling
            lines.append(f"{result.config}: Sedā's requests/s / {_kind(reference)}'s = {ratio:.3f}")
    return lines


def _storage_line(config: str, main: Phase) -> str | None:
    storage = main.storage
    if storage is None:
        return None
    verdict = "exactly once" if storage.exactly_once() else "NOT exactly once"
    return (
        f"{config}: {storage.receipts} receipts, {storage.stored_as_receipted} stored as receipted, "
        f"{storage.new_rows} new rows, {storage.sent} sent ({storage.cut_short} cut short by the stop): "
        f"{verdict}"
    )


def print_table(results: list[ConfigResult]) -> None:
    print()
    print(HEADER)
    for result in results:
        for phase in result.phases:
            for row in _rows(result.config, phase):
                print(row)
    print()
    for result in results:
        main = result.phases[0]
        for line in [*_ratios(result), _storage_line(result.config, main)]:
            if line is not None:
                print(line)
        if main.pool_exhausted_after is not None:
            print(f"{result.config}: the pool ran out after {main.pool_exhausted_after:.0f} s (raise --pool)")
        if main.errors:
            print(f"{result.config}: errors {main.error_kinds}")


def record(
    options: Options,
    results: list[ConfigResult],
    started: datetime,
    load_at_start: tuple[float, float, float],
) -> dict[str, Any]:
    """The JSON result: settings, machine, and every phase with its verdict."""
    return {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "load_at_start": load_at_start, "load_at_end": os.getloadavg()},
        "options": dataclasses.asdict(options),
        "configurations": [
            {
                "config": result.config,
                "server_processes": result.workers,
                "ratios": _ratios(result),
                "phases": [
                    {**msgspec.to_builtins(phase), "passed": phase.passed()} for phase in result.phases
                ],
            }
            for result in results
        ],
        "passed": all(phase.passed() for result in results for phase in result.phases),
    }
