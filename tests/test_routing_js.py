"""The browser's routing (web/protocol/routing.mjs) decides exactly as Python's route() does.

(a) tests/vectors/routing-v1.json is what its generator makes now; (b) the tables the
JavaScript imports are routing's; (c) every type x category x concern x urgency x retaliation,
in two institutions and more, decided by Python and by the JavaScript in Node, compared exactly,
with each decision's escalation targets (the bodies the reporter's device escrows wraps for).
Without Node, smol-toml or the generated tables these skip, unless SEDA_TEST_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from routing.decide import Directory
from routing.policy import Policy, parse_policy
from routing.tables import tables_json
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Concern, ReportType, Urgency
from tests.vectors import generate_routing as vectors

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "web" / "generated" / "routing-tables.json"
DRIVER = ROOT / "web" / "test" / "route-driver.mjs"
SMOL_TOML = ROOT / "web" / "node_modules" / "smol-toml" / "package.json"
COMBINATIONS = list(
    itertools.product(ReportType, [c.code for c in CATEGORIES], Concern, Urgency, (False, True))
)


def _missing(what: str) -> None:
    message = f"needs {what} (scripts/bootstrap sets it up)"
    if os.environ.get("SEDA_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def test_the_committed_vectors_are_what_the_generator_makes() -> None:
    assert vectors.render(vectors.build()) == vectors.OUT.read_bytes(), (
        "tests/vectors/routing-v1.json is stale: run .venv/bin/python -m tests.vectors.generate_routing"
    )


def test_the_vectors_stay_small() -> None:
    assert vectors.OUT.stat().st_size < 400 * 1024


def test_the_generated_tables_are_routings_tables() -> None:
    if not TABLES.is_file():
        _missing(str(TABLES.relative_to(ROOT)))
    assert TABLES.read_bytes() == tables_json(), (
        f"{TABLES.relative_to(ROOT)} is stale: run .venv/bin/python web/tools/export_routing_tables.py"
    )


def test_the_tables_are_deterministic_json() -> None:
    data = tables_json()
    assert data.endswith(b"\n")
    assert data == tables_json()
    tables = json.loads(data)
    assert [t["code"] for t in tables["categories"]] == [c.code for c in CATEGORIES]
    assert tables["concerns"] == [c.value for c in Concern]


def _cases(institution: str, choosing_from: Directory | None = None) -> list[dict[str, Any]]:
    """Every combination in one institution; with ``choosing_from``, the reporter also chooses
    one of its bodies (or none), rotating through them."""
    options: list[list[str]] = [[]]
    if choosing_from is not None:
        options += [[body.code] for body in choosing_from.bodies]
    return [
        {
            "routing": vectors.metadata(institution, t, category, concern, urgency, index=n),
            "retaliation": retaliation,
            "reporter_choices": options[(7 * n) % len(options)],
        }
        for n, (t, category, concern, urgency, retaliation) in enumerate(COMBINATIONS)
    ]


def _batches() -> list[tuple[Policy, str, Directory, list[dict[str, Any]]]]:
    """(policy, its TOML, directory, cases): the default policy in two institutions of two
    provinces, the small policy, the paths a full directory never takes (the fallback, broken
    rules), and reporters' choices of bodies anywhere."""
    default = vectors.default_policy_bytes().decode("utf-8")
    dirs = vectors.directories()
    policies = {"default": default, "small": vectors.SMALL_POLICY}
    plan = [
        ("default", "full", "tehran-central", False),
        ("default", "full", "fars-camp", False),
        ("small", "full", "tehran-camp", False),
        ("small", "no_general_inspection", "fars-central", False),
        ("default", "thin", "tehran-central", False),
        ("small", "bare", "tehran-central", False),
        ("default", "full", "fars-central", True),
        ("default", "elsewhere", "tehran-central", True),
    ]
    return [
        (
            parse_policy(policies[p].encode("utf-8")),
            policies[p],
            dirs[d],
            _cases(institution, dirs[d] if choosing else None),
        )
        for p, d, institution, choosing in plan
    ]


def test_javascript_routes_every_combination_as_python_does() -> None:
    node = shutil.which("node")
    if node is None:
        _missing("node on PATH")
    for needed in (SMOL_TOML, TABLES):
        if not needed.is_file():
            _missing(str(needed.relative_to(ROOT)))
    batches = _batches()
    request = {
        "batches": [
            {
                "policy_toml": toml,
                "directory": vectors.directory_json(directory),
                "escalation": True,
                "cases": cases,
            }
            for _, toml, directory, cases in batches
        ]
    }
    result = subprocess.run(
        [str(node), str(DRIVER), "--stdin"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=ROOT / "web",
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)["batches"]
    assert len(answers) == len(batches)
    compared = 0
    kinds: set[str] = set()
    reasons: set[str] = set()
    escalations: set[int] = set()
    for (policy, _, directory, cases), got in zip(batches, answers, strict=True):
        assert len(got) == len(cases)
        for case, js in zip(cases, got, strict=True):
            expected = vectors.case_outcome(policy, directory, case, escalation=True)
            assert js == expected, case
            kinds.add(expected.get("error", "decision"))
            reasons.update(r["reason"] for r in expected.get("recipients", []))
            escalations.add(len(expected.get("escalation_targets", [])))
            compared += 1
    assert compared == len(batches) * len(COMBINATIONS) == 8 * 2880
    assert kinds == {"decision", "RoutingRuleError"}
    assert {"fallback_independent", "reporter_choice"} <= reasons
    assert {0, 1, 2} <= escalations, "escalation targets: none, one and several must all be compared"
    print(f"compared {compared} routing decisions between Python and JavaScript")  # noqa: T201
