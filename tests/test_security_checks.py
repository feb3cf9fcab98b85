"""scripts/security-checks: a skipped audit is never reported as a clean one."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_checks() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(
        "security_checks", str(ROOT / "scripts" / "security-checks")
    )
    spec = importlib.util.spec_from_loader("security_checks", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def fake_pip_audit(report: dict[str, Any]) -> Any:
    def run(*command: Any, **_options: Any) -> subprocess.CompletedProcess[str]:
        parts = [str(part) for part in command]
        Path(parts[parts.index("-o") + 1]).write_text(json.dumps(report))
        return subprocess.CompletedProcess(parts, 0, "", "No known vulnerabilities found")

    return run


def test_packages_pip_audit_could_not_look_up_are_not_audited_not_clean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = load_checks()
    report = {"dependencies": [{"name": "litestar", "skip_reason": "Dependency not found on PyPI"}]}
    monkeypatch.setattr(checks, "run", fake_pip_audit(report))
    vulnerable, skipped = checks.pip_audit(ROOT / "requirements" / "runtime.lock")
    assert (vulnerable, skipped) == ([], ["litestar"])


def test_a_known_vulnerability_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = load_checks()
    report = {"dependencies": [{"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217"}]}]}
    monkeypatch.setattr(checks, "run", fake_pip_audit(report))
    monkeypatch.setattr(checks, "locks_are_current", list)
    monkeypatch.setattr(checks, "bandit_findings", list)
    monkeypatch.setattr(checks, "npm_audit", lambda: ([], []))
    assert checks.main() == 1


def test_unaudited_dependencies_fail_when_an_audit_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = load_checks()
    report = {"dependencies": [{"name": "litestar", "skip_reason": "Dependency not found on PyPI"}]}
    monkeypatch.setattr(checks, "run", fake_pip_audit(report))
    monkeypatch.setattr(checks, "locks_are_current", list)
    monkeypatch.setattr(checks, "bandit_findings", list)
    monkeypatch.setattr(checks, "npm_audit", lambda: ([], ["web/package-lock.json"]))
    monkeypatch.delenv("SEDA_REQUIRE_AUDIT", raising=False)
    assert checks.main() == 0
    monkeypatch.setenv("SEDA_REQUIRE_AUDIT", "1")
    assert checks.main() == 1


def test_bandit_medium_findings_fail_and_low_ones_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = load_checks()
    issue = {"filename": "server/x.py", "line_number": 3, "test_id": "B108", "issue_text": "tmp"}
    report = {"results": [{**issue, "issue_severity": "MEDIUM"}, {**issue, "issue_severity": "LOW"}]}

    def run(*_command: Any, **_options: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, json.dumps(report), "")

    monkeypatch.setattr(checks, "run", run)
    assert checks.bandit_findings() == ["medium: server/x.py:3 B108 tmp"]
