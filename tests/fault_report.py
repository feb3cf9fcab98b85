"""The fault tests' report (docs/FAULTS.md): each fault test appends one line saying what it
did and what was lost, and the lines are printed in a "Fault tests" section at the end of
every run, captured output or not, so CI's log shows them. Registered from conftest.py."""

from __future__ import annotations

import pytest

_lines: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fault: a fault-injection test (docs/FAULTS.md); bounded, runs in CI like the rest"
    )


@pytest.fixture
def fault_report() -> list[str]:
    """Append ``fault: …`` lines; they appear in the run's "Fault tests" summary section."""
    return _lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _lines:
        return
    terminalreporter.section("Fault tests")
    for line in _lines:
        terminalreporter.write_line(line)
