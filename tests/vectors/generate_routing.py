"""Generate ``tests/vectors/routing-v1.json``: routing decisions every implementation must make.

Python's ``routing.decide.route`` makes them; the browser's port (web/protocol/routing.mjs)
must make the same ones (web/test/routing.test.mjs), since the server re-runs ``route`` and
refuses a report sealed to anyone else. The file holds the policies (TOML text), small
synthetic directories, cases (routing metadata, retaliation, reporter's choices) with the
expected decision or error, policy files both sides must refuse or accept, and signed
policies and a signed directory. Everything is deterministic. Run:

    .venv/bin/python -m tests.vectors.generate_routing

tests/test_routing_js.py checks that the committed file is what this module makes now.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

import crypto
from crypto.directory import DirectoryLevel
from crypto.primitives import key_id, xwing_public_bytes
from routing.bodies import BODY_TYPES
from routing.decide import (
    BodyRef,
    Directory,
    InstitutionRef,
    Recipient,
    directory_from_signed,
    escalate,
    escalation_targets,
    facts_from_metadata,
    route,
)
from routing.errors import PolicyError, RoutingRuleError, UnknownBodyError
from routing.policy import Policy, load_signed_policy, parse_policy
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Concern, Level, RecipientVia, ReporterType, ReportType, Urgency

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("routing-v1.json")
DEFAULT_POLICY_PATH = "routing/policies/default.toml"
# Deadlines are not part of the vectors (the browser leaves them to the server's receipt),
# but Python's route needs a time.
RECEIVED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PROVINCES = ("tehran", "fars")
INSTITUTIONS = tuple(f"{province}-{suffix}" for province in PROVINCES for suffix in ("central", "camp"))

# A second policy, valid for parse_policy, that uses every part of `when` (places, types,
# urgency, retaliation, concerns, categories) and another fallback.
SMALL_POLICY = """\
# A small test policy (tests/vectors/generate_routing.py).
version = "test-2"
fallback_independent = "special_inspection_citizens_rights"

[[rule]]
id = "oversight_sees_everything"
reason = "concerns_oversight"
targets = [{ body_type = "general_inspection_organization", scope = "national" }]

[[rule]]
id = "tehran_directorate"
reason = "provincial_directorate"
when = { provinces = ["tehran"] }
targets = [{ body_type = "provincial_dg_prisons", scope = "province" }]

[[rule]]
id = "camp_suggestions"
reason = "institution_management"
when = { institutions = ["fars-camp"], types = ["suggestion", "criticism"] }
targets = [{ body_type = "institution_management", scope = "institution" }]

[[rule]]
id = "urgent_without_retaliation"
reason = "restraints_judge"
when = { urgent = true, retaliation = false }
targets = [
  { body_type = "sentence_execution_judge", scope = "province" },
  { body_type = "special_inspection_citizens_rights", scope = "national" },
]

[[rule]]
id = "rights"
reason = "prisoners_rights"
when = { concerns = ["other_prisoner", "conditions", "judge"], categories = ["living_conditions", "health"] }
targets = [
  { body_type = "prisoners_rights_protection", scope = "province" },
  { body_type = "prisoners_rights_protection", scope = "national" },
]

[[rule]]
id = "retaliation"
reason = "retaliation_above_institution"
targets = [{ body_type = "judiciary_protection_intelligence", scope = "national" }]

[rule.when]
retaliation = true
types = []

[[deadline]]
when = { urgent = true }
acknowledge = "12h"
feedback = "3d"

[[deadline]]
acknowledge = "2w"
feedback = "1m"
"""

_CATEGORY_CODES = [c.code for c in CATEGORIES]
_CONCERNS = list(Concern)
_TYPES = list(ReportType)
_REPORTER_TYPES = list(ReporterType)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def default_policy_bytes() -> bytes:
    return (ROOT / DEFAULT_POLICY_PATH).read_bytes()


# --- Directories -----------------------------------------------------------------------


def _offices(level: Level, place: str, province: str | None, institution: str | None) -> list[BodyRef]:
    """One body of every type that exists at ``level`` (codes as server/demo/service.py's)."""
    return [
        BodyRef(
            code=f"{kind.code}--{place}",
            body_type=kind.code,
            level=level,
            province=province,
            institution=institution,
        )
        for kind in BODY_TYPES
        if level in kind.levels
    ]


def synthetic_directory() -> Directory:
    """Two provinces of two institutions each: every body type at every level it exists."""
    institutions = [InstitutionRef(code, code.split("-")[0]) for code in INSTITUTIONS]
    bodies = [b for i in institutions for b in _offices(Level.INSTITUTION, i.code, i.province, i.code)]
    bodies += [b for p in PROVINCES for b in _offices(Level.PROVINCE, p, p, None)]
    bodies += _offices(Level.NATIONAL, "national", None, None)
    return Directory(bodies=bodies, institutions=institutions)


def thin_directory(*, with_general_inspection: bool = True) -> Directory:
    """One institution with few bodies above it: the special inspection office is inactive, a
    body of a type this version does not know is listed, and the General Inspection
    Organization (the default policy's fallback) only ``with_general_inspection``."""
    bodies = _offices(Level.INSTITUTION, "tehran-central", "tehran", "tehran-central")
    bodies += [
        BodyRef(code=f"{kind}--tehran", body_type=kind, level=Level.PROVINCE, province="tehran")
        for kind in ("provincial_dg_prisons", "sentence_execution_judge")
    ]
    bodies += [
        BodyRef(
            code="special_inspection_citizens_rights--national",
            body_type="special_inspection_citizens_rights",
            level=Level.NATIONAL,
            active=False,
        ),
        BodyRef(code="ombudsman--national", body_type="ombudsman", level=Level.NATIONAL),
    ]
    if with_general_inspection:
        bodies.append(
            BodyRef(
                code="general_inspection_organization--national",
                body_type="general_inspection_organization",
                level=Level.NATIONAL,
            )
        )
    return Directory(bodies=bodies, institutions=[InstitutionRef("tehran-central", "tehran")])


def without_general_inspection() -> Directory:
    """The synthetic directory lacking the General Inspection Organization."""
    full = synthetic_directory()
    bodies = [b for b in full.bodies if b.body_type != "general_inspection_organization"]
    return Directory(bodies=bodies, institutions=full.institutions)


def institution_only() -> Directory:
    """One institution's own offices and nothing independent of it."""
    bodies = _offices(Level.INSTITUTION, "tehran-central", "tehran", "tehran-central")
    return Directory(bodies=bodies, institutions=[InstitutionRef("tehran-central", "tehran")])


def elsewhere_directory() -> Directory:
    """One institution's own offices, and only offices of *other* places above it: whether
    they count as concerned depends on where they are (docs/ROUTING.md §2)."""
    bodies = _offices(Level.INSTITUTION, "tehran-central", "tehran", "tehran-central")
    bodies += [
        BodyRef(
            code="institution_management--tehran-camp",
            body_type="institution_management",
            level=Level.INSTITUTION,
            province="tehran",
            institution="tehran-camp",
        ),
        *(
            BodyRef(code=f"{kind}--fars", body_type=kind, level=Level.PROVINCE, province="fars")
            for kind in ("provincial_dg_prisons", "sentence_execution_judge", "prisoners_rights_protection")
        ),
    ]
    institutions = [
        InstitutionRef(code, code.split("-")[0]) for code in ("tehran-central", "tehran-camp", "fars-central")
    ]
    return Directory(bodies=bodies, institutions=institutions)


def directories() -> dict[str, Directory]:
    return {
        "full": synthetic_directory(),
        "thin": thin_directory(),
        "bare": thin_directory(with_general_inspection=False),
        "no_general_inspection": without_general_inspection(),
        "institution_only": institution_only(),
        "elsewhere": elsewhere_directory(),
    }


def directory_json(directory: Directory) -> dict[str, Any]:
    """A routing directory as the JavaScript takes it (key ids play no part in routing)."""
    return {
        "bodies": [
            {
                "code": b.code,
                "body_type": b.body_type,
                "level": b.level.value,
                "province": b.province,
                "institution": b.institution,
                "active": b.active,
            }
            for b in directory.bodies
        ],
        "institutions": [{"code": i.code, "province": i.province} for i in directory.institutions],
    }


# --- Decisions -------------------------------------------------------------------------


def metadata(
    institution: str, report_type: str, category: str, concern: str, urgency: str, *, index: int = 0
) -> dict[str, str]:
    """Routing metadata as an envelope carries it (reporter type and channel play no part)."""
    return {
        "institution": institution,
        "report_type": report_type,
        "category": category,
        "concerns": concern,
        "reporter_type": _REPORTER_TYPES[index % len(_REPORTER_TYPES)].value,
        "channel": "web",
        "urgency": urgency,
    }


def _error(error: Exception) -> dict[str, Any]:
    return {"error": type(error).__name__, "rule": getattr(error, "rule", None)}


def recipient_json(recipient: Recipient) -> dict[str, Any]:
    r = recipient
    return {"body": r.body, "via": r.via.value, "reason": r.reason, "identity": r.identity}


def outcome(
    policy: Policy,
    directory: Directory,
    routing: dict[str, str],
    retaliation: bool,
    choices: Sequence[str],
    *,
    escalation: bool = False,
) -> dict[str, Any]:
    """Python's decision for one case, or the error it raises (class name and rule); with
    ``escalation``, the decision also lists its escalation targets (routing.decide)."""
    try:
        facts = facts_from_metadata(crypto.RoutingMetadata(**routing), RECEIVED, retaliation=retaliation)
        decision = route(facts, policy, directory, choices)
        targets = escalation_targets(decision.recipients, facts, directory) if escalation else []
    except (UnknownBodyError, RoutingRuleError, ValueError) as error:
        return _error(error)
    answer: dict[str, Any] = {
        "policy_version": decision.policy_version,
        "urgent": decision.urgent,
        "recipients": [recipient_json(r) for r in decision.recipients],
    }
    if escalation:
        answer["escalation_targets"] = [recipient_json(r) for r in targets]
    return answer


def case_outcome(
    policy: Policy, directory: Directory, case: dict[str, Any], *, escalation: bool = False
) -> dict[str, Any]:
    """``outcome`` of a case as the vectors write it (routing, retaliation, reporter's choices)."""
    return outcome(
        policy,
        directory,
        case["routing"],
        case["retaliation"],
        case["reporter_choices"],
        escalation=escalation,
    )


def _case(
    policy: str,
    directory: str,
    routing: dict[str, str],
    retaliation: bool = False,
    *,
    choices: Sequence[str] = (),
    note: str = "",
) -> dict[str, Any]:
    case: dict[str, Any] = {
        "policy": policy,
        "directory": directory,
        "routing": routing,
        "retaliation": retaliation,
        "reporter_choices": list(choices),
    }
    if note:
        case["note"] = note
    return case


def _blocks() -> Iterable[tuple[int, Urgency, bool]]:
    """Each urgency with each retaliation value, numbered."""
    for u, urgency in enumerate(Urgency):
        for r, retaliation in enumerate((False, True)):
            yield 2 * u + r, urgency, retaliation


def spread_cases() -> list[dict[str, Any]]:
    """The default policy on the full directory. In each block (one urgency, one retaliation
    value) every category comes twice while concerns, types and institutions rotate, so that
    each block has every category, concern, type and institution."""
    cases: list[dict[str, Any]] = []
    for block, urgency, retaliation in _blocks():
        for c, category in enumerate(_CATEGORY_CODES):
            for k in range(2):
                concern = _CONCERNS[(2 * c + k + 5 * block) % len(_CONCERNS)]
                report_type = _TYPES[(c + k + block) % len(_TYPES)]
                institution = INSTITUTIONS[(2 * c + k + block) % len(INSTITUTIONS)]
                routing = metadata(institution, report_type, category, concern, urgency, index=len(cases))
                cases.append(_case("default", "full", routing, retaliation))
    return cases


def choice_cases() -> list[dict[str, Any]]:
    """The reporter's choices (valid ones): any body of the directory, anywhere."""
    rows = [
        (
            "tehran-central",
            "health",
            "none",
            ["general_inspection_organization--national"],
            "a national body",
        ),
        (
            "tehran-central",
            "health",
            "none",
            ["provincial_dg_prisons--tehran"],
            "already chosen by the policy",
        ),
        ("tehran-camp", "judicial", "judge", ["sentence_execution_judge--fars"], "another province's judge"),
        (
            "fars-central",
            "living_conditions",
            "institution_management",
            ["institution_management--fars-central"],
            "a body the report concerns: it may have the identity, as the reporter chose it",
        ),
        (
            "fars-camp",
            "ill_treatment",
            "staff_member",
            ["institution_health_unit--fars-camp", "prisoners_rights_protection--national"],
            "two choices",
        ),
        (
            "fars-camp",
            "other",
            "none",
            ["institution_management--tehran-central", "institution_management--tehran-central"],
            "another institution's head, chosen twice",
        ),
        ("tehran-central", "corruption", "prisons_organization", ["organization_inspection--national"], ""),
        ("fars-central", "security", "protection_intelligence", ["protection_intelligence_office--fars"], ""),
        (
            "tehran-camp",
            "shop_prices",
            "inspection_office",
            ["institution_inspection_representative--tehran-camp"],
            "",
        ),
        ("fars-camp", "retaliation", "prisoners_rights_office", ["prisoners_rights_protection--fars"], ""),
    ]
    return [
        _case(
            "default",
            "full",
            metadata(i, "complaint", cat, con, "normal", index=n),
            n % 2 == 1,
            choices=ch,
            note=note,
        )
        for n, (i, cat, con, ch, note) in enumerate(rows)
    ]


def small_policy_cases() -> list[dict[str, Any]]:
    """The small policy on the full directory, every category in every block."""
    cases: list[dict[str, Any]] = []
    for block, urgency, retaliation in _blocks():
        for c, category in enumerate(_CATEGORY_CODES):
            concern = _CONCERNS[(c + 7 * block) % len(_CONCERNS)]
            report_type = _TYPES[(c + block) % len(_TYPES)]
            institution = INSTITUTIONS[(c + 3 * block) % len(INSTITUTIONS)]
            routing = metadata(institution, report_type, category, concern, urgency, index=c)
            cases.append(_case("small", "full", routing, retaliation))
    return cases


def sparse_directory_cases() -> list[dict[str, Any]]:
    """Directories that lack bodies: the fallback is added, or the rules cannot be met."""
    cases: list[dict[str, Any]] = []
    concerns = ["provincial_directorate", "prisons_organization", "judge", "none"]
    for c, category in enumerate(_CATEGORY_CODES):
        for k in range(2):
            concern = concerns[(c + k) % len(concerns)]
            routing = metadata("tehran-central", "complaint", category, concern, "normal", index=c + k)
            cases.append(_case("default", "thin", routing, (c + k) % 3 == 0))
        routing = metadata("tehran-central", "objection", category, concerns[c % 4], "urgent", index=c)
        cases.append(_case("default", "bare", routing, c % 2 == 0))
        cases.append(_case("small", "bare", routing, c % 2 == 1))
        for institution in ("fars-central", "fars-camp"):
            routing = metadata(institution, _TYPES[c % 4], category, _CONCERNS[c % 12], "normal", index=c)
            cases.append(_case("small", "no_general_inspection", routing, c % 5 == 0))
    return cases


def locality_cases() -> list[dict[str, Any]]:
    """The reporter chooses an office of another place: it is not concerned by a report about
    the reporter's own institution, directorate or judge, so it satisfies the rules alone."""
    rows = [
        ("staff_member", "institution_management--tehran-camp"),
        ("institution_management", "institution_management--tehran-camp"),
        ("provincial_directorate", "provincial_dg_prisons--fars"),
        ("judge", "sentence_execution_judge--fars"),
        ("prisons_organization", "sentence_execution_judge--fars"),
        ("prisons_organization", "provincial_dg_prisons--fars"),
        ("prisoners_rights_office", "prisoners_rights_protection--fars"),
        ("none", "prisoners_rights_protection--fars"),
    ]
    return [
        _case(
            "default",
            "elsewhere",
            metadata("tehran-central", "complaint", category, concern, "normal", index=n),
            choices=[choice],
        )
        for n, (concern, choice) in enumerate(rows)
        for category in ("health", "restraints")
    ]


def error_cases() -> list[dict[str, Any]]:
    def base(**changes: str) -> dict[str, str]:
        return {**metadata("tehran-central", "complaint", "health", "none", "normal"), **changes}

    return [
        _case("default", "full", base(institution="nowhere-central"), note="unknown institution"),
        _case("default", "full", base(category="weather"), note="unknown category"),
        _case("default", "full", base(), choices=["nobody--national"], note="unknown choice"),
        _case(
            "default",
            "thin",
            base(),
            choices=["special_inspection_citizens_rights--national"],
            note="inactive",
        ),
        _case("default", "thin", base(), choices=["ombudsman--national"], note="a type this version lacks"),
        _case("default", "institution_only", base(), note="nothing independent of the institution"),
        _case("small", "institution_only", base(category="restraints"), True, note="nothing independent"),
        _case(
            "default",
            "institution_only",
            base(),
            choices=["institution_health_unit--tehran-central"],
            note="the reporter's choice cannot make up for it",
        ),
        _case("default", "full", base(report_type="petition"), note="unknown report type"),
        _case("default", "full", base(concerns="weather"), note="unknown concern"),
        _case("default", "full", base(urgency="soon"), note="unknown urgency"),
    ]


def decision_cases(policies: dict[str, Policy], dirs: dict[str, Directory]) -> list[dict[str, Any]]:
    spread = spread_cases()
    _check_spread(spread)
    cases = [
        *spread,
        *choice_cases(),
        *small_policy_cases(),
        *sparse_directory_cases(),
        *locality_cases(),
        *error_cases(),
    ]
    for case in cases:
        policy, directory = policies[case["policy"]], dirs[case["directory"]]
        case["expected"] = case_outcome(policy, directory, case)
    _check_paths(cases)
    return cases


def _check_spread(spread: list[dict[str, Any]]) -> None:
    """Each block has every category, concern, type and institution (see spread_cases)."""
    for _, urgency, retaliation in _blocks():
        block = [
            c["routing"]
            for c in spread
            if (c["routing"]["urgency"], c["retaliation"]) == (urgency, retaliation)
        ]
        for field, values in (
            ("category", _CATEGORY_CODES),
            ("concerns", _CONCERNS),
            ("report_type", _TYPES),
            ("institution", INSTITUTIONS),
        ):
            assert {r[field] for r in block} == set(values), (field, urgency, retaliation)


def _check_paths(cases: list[dict[str, Any]]) -> None:
    """The vectors must keep exercising every path, whatever the default policy becomes."""
    expected = [c["expected"] for c in cases]
    errors = {(e["error"], e["rule"]) for e in expected if "error" in e}
    assert {name for name, _ in errors} == {"UnknownBodyError", "RoutingRuleError", "ValueError"}, errors
    broken = {rule for name, rule in errors if name == "RoutingRuleError"}
    assert broken == {"independent_body", "conflict_of_interest", "outside_organization"}, broken
    recipients = [(c["policy"], r) for c in cases for r in c["expected"].get("recipients", [])]
    for policy in ("default", "small"):
        assert any(p == policy and r["reason"] == "fallback_independent" for p, r in recipients), policy
    assert any(r["via"] == "reporter_choice" for _, r in recipients)
    assert any(not r["identity"] for _, r in recipients)


# --- Escalation ------------------------------------------------------------------------

# Every ESCALATION_STEP-th decision case also carries its escalation targets (the file stays
# small; tests/test_routing_js.py compares every combination's targets with Node's).
ESCALATION_STEP = 4


def escalation_target_cases(
    cases: list[dict[str, Any]], policies: dict[str, Policy], dirs: dict[str, Directory]
) -> list[dict[str, Any]]:
    """The escalation targets of every ESCALATION_STEP-th decision case that routes, by index."""
    out = []
    for index, case in enumerate(cases):
        if index % ESCALATION_STEP or "error" in case["expected"]:
            continue
        policy, directory = policies[case["policy"]], dirs[case["directory"]]
        answer = case_outcome(policy, directory, case, escalation=True)
        out.append({"case": index, "escalation_targets": answer["escalation_targets"]})
    assert any(entry["escalation_targets"] for entry in out)
    return out


def escalation_steps(dirs: dict[str, Directory]) -> list[dict[str, Any]]:
    """Single escalate() calls: up the chain, past levels a directory lacks, past concerned
    or inactive bodies, at the top (null), and from a body that does not hold the report."""

    def step(directory: str, concern: str, holders: list[str], overdue: str, note: str) -> dict[str, Any]:
        routing = metadata("tehran-central", "complaint", "health", concern, "normal")
        facts = facts_from_metadata(crypto.RoutingMetadata(**routing), RECEIVED)
        recipients = [Recipient(body, RecipientVia.POLICY, "provincial_directorate") for body in holders]
        try:
            found = escalate(recipients, facts, dirs[directory], overdue)
            expected: dict[str, Any] | None = None if found is None else recipient_json(found)
        except (UnknownBodyError, RoutingRuleError) as error:
            expected = _error(error)
        return {
            "directory": directory,
            "routing": routing,
            "recipients": holders,
            "overdue": overdue,
            "expected": expected,
            "note": note,
        }

    dg, judge = "provincial_dg_prisons--tehran", "sentence_execution_judge--tehran"
    head = "institution_management--tehran-central"
    rights = "prisoners_rights_protection--tehran"
    return [
        step("full", "none", [dg], dg, "a directorate goes to the Organization's inspection"),
        step("full", "prisons_organization", [dg], dg, "past a concerned body"),
        step("full", "none", [dg, "organization_inspection--national"], dg, "past a recipient"),
        step("full", "none", [head], head, "an institution's office goes to its province"),
        step("full", "none", [rights], rights, "a provincial office to its national office"),
        step("full", "none", [judge], judge, "the judge to the special inspection office"),
        step(
            "full",
            "none",
            ["general_inspection_organization--national"],
            "general_inspection_organization--national",
            "the top",
        ),
        step("thin", "none", [dg], dg, "past levels the directory lacks"),
        step("thin", "none", [judge], judge, "past an inactive body"),
        step("bare", "none", [judge], judge, "nothing above"),
        step("full", "none", [dg], judge, "a body that does not hold the report"),
        step("full", "none", [dg, "nobody--national"], "nobody--national", "a body not in the directory"),
    ]


# --- Policy files ----------------------------------------------------------------------


# A minimal valid policy, for refusals that are about the bytes rather than the rules.
MINIMAL_POLICY = """\
version = "1"
fallback_independent = "general_inspection_organization"

[[rule]]
id = "everything"
reason = "provincial_directorate"
targets = [{ body_type = "general_inspection_organization", scope = "national" }]

[[deadline]]
acknowledge = "1w"
feedback = "1m"
"""


def apply_edit(text: str, edit: Sequence[str]) -> str:
    """A vector's edit of a policy text: replace the first occurrence of ``old`` with ``new``."""
    old, new = edit
    assert old in text, old
    return text.replace(old, new, 1)


def refused_rule(call: Callable[[], object]) -> str | None:
    """The rule of the PolicyError ``call`` raises, or None if it raises none."""
    try:
        call()
    except PolicyError as error:
        return error.rule
    return None


def _refusal(name: str, rule: str, data: bytes, spec: dict[str, Any]) -> dict[str, Any]:
    assert refused_rule(lambda: parse_policy(data)) == rule, name
    return {"name": name, "rule": rule, **spec}


def policy_refusals(default: bytes) -> list[dict[str, Any]]:
    """Policy files both sides must refuse, with the rule Python names: an ``edit`` of the
    default policy, or a whole file as ``toml`` text or ``hex`` bytes."""
    text = default.decode("utf-8")
    dg = '{ body_type = "provincial_dg_prisons", scope = "province" }'
    judge = '{ body_type = "sentence_execution_judge", scope = "province" }'
    last = 'acknowledge = "1w"\nfeedback = "1m"\n'
    fallback = '"general_inspection_organization"\n'
    edits: list[tuple[str, str, tuple[str, str]]] = [
        ("unknown body type", "format", (dg, dg.replace("provincial_dg_prisons", "ombudsman"))),
        ("scope the type lacks", "format", (dg, dg.replace('"province"', '"national"'))),
        ("scope that is no level", "format", (dg, dg.replace('"province"', '"city"'))),
        ("bad version string", "format", ('version = "2026.1"', 'version = "2026 1"')),
        ("version too long", "format", ('version = "2026.1"', f'version = "{"9" * 65}"')),
        ("version not a string", "format", ('version = "2026.1"', "version = 2026")),
        ("unknown top-level field", "format", ('version = "2026.1"', 'version = "2026.1"\nowner = "x"')),
        ("unknown rule field", "format", ('id = "health"', 'id = "health"\npriority = 1')),
        (
            "unknown when field",
            "format",
            ('{ categories = ["health"] }', '{ categories = ["health"], colour = "red" }'),
        ),
        ("unknown target field", "format", (dg, dg.replace(" }", ", weight = 2 }"))),
        ("unknown category", "format", ('categories = ["health"]', 'categories = ["weather"]')),
        ("unknown concern", "format", ('concerns = ["judge"]', 'concerns = ["weather"]')),
        ("unknown report type", "format", ('types = ["suggestion", "criticism"]', 'types = ["petition"]')),
        ("urgent not a boolean", "format", ("when = { urgent = true }", 'when = { urgent = "yes" }')),
        ("categories not a list", "format", ('categories = ["health"]', 'categories = "health"')),
        ("bad category code", "format", ('categories = ["health"]', 'categories = ["Health"]')),
        ("unknown reason", "format", ('reason = "health_unit"', 'reason = "because"')),
        ("reserved reason", "format", ('reason = "health_unit"', 'reason = "fallback_independent"')),
        ("duplicate rule id", "format", ('id = "security"', 'id = "health"')),
        ("no targets", "format", (f"targets = [{judge}]", "targets = []")),
        ("too many targets", "format", (f"targets = [{dg}]", "targets = [" + ", ".join([dg] * 33) + "]")),
        ("bad duration", "format", ('acknowledge = "24h"', 'acknowledge = "24x"')),
        ("zero duration", "format", ('acknowledge = "24h"', 'acknowledge = "0h"')),
        ("duration too long", "format", ('feedback = "7d"', 'feedback = "10000d"')),
        ("last deadline has a when", "format", (last, last + "when = { urgent = false }\n")),
        ("not TOML", "format", ("[[rule]]", "[[rule]")),
        ("sha256 not base64", "format", ("", 'sha256 = "AAA"\n')),
        ("fallback in the organization", "fallback", (fallback, '"organization_inspection"\n')),
        ("fallback not national", "fallback", (fallback, '"sentence_execution_judge"\n')),
        ("fallback of an unknown type", "fallback", (fallback, '"ombudsman"\n')),
        ("fallback not a code", "format", (fallback, '"General"\n')),
    ]
    out = [
        _refusal(name, rule, apply_edit(text, edit).encode("utf-8"), {"edit": list(edit)})
        for name, rule, edit in edits
    ]
    minimal = MINIMAL_POLICY.encode("utf-8")
    # Whole files; those that are not readable text are kept as hex.
    files: list[tuple[str, bytes, bool]] = [
        ("no deadline", minimal.split(b"[[deadline]]")[0], False),
        (
            "no rule",
            minimal.split(b"[[rule]]")[0] + b"rule = []\n\n[[deadline]]" + minimal.split(b"[[deadline]]")[1],
            False,
        ),
        ("empty", b"", False),
        ("not UTF-8", minimal.replace(b'"1"', b'"1" # \xff', 1), True),
        ("byte-order mark", b"\xef\xbb\xbf" + minimal, True),
    ]
    for name, data, as_hex in files:
        spec = {"hex": data.hex()} if as_hex else {"toml": data.decode("utf-8")}
        out.append(_refusal(name, "format", data, spec))
    return out


def policy_accepts(default: bytes) -> list[dict[str, Any]]:
    """Unusual but valid policy files: both sides accept them, with the same version and hash
    (an ``edit`` of the default policy, or a whole ``toml`` file)."""
    text = default.decode("utf-8")
    last = 'acknowledge = "1w"\nfeedback = "1m"\n'
    empty_lists = "when = { types = [], categories = [], concerns = [], provinces = [], institutions = [] }\n"
    judicial = (
        'when = { categories = ["judicial"] }\n'
        'targets = [{ body_type = "sentence_execution_judge", scope = "province" }]\n'
    )
    edits: list[tuple[str, tuple[str, str]]] = [
        ("a sha256 field is allowed and ignored", ("", 'sha256 = "AA=="\n')),
        ("an empty when on the last deadline", (last, "when = {}\n" + last)),
        ("a last deadline whose when lists are all empty", (last, empty_lists + last)),
        (
            "a when as a sub-table, in literal strings",
            (
                judicial,
                (
                    "targets = [{ body_type = 'sentence_execution_judge', scope = 'province' }]\n"
                    "[rule.when]\ncategories = ['judicial']\n"
                ),
            ),
        ),
    ]
    out = []
    for name, edit in edits:
        data = apply_edit(text, edit).encode("utf-8")
        policy = parse_policy(data)
        out.append(
            {"name": name, "edit": list(edit), "version": policy.version, "sha256": b64(policy.sha256)}
        )
    minimal = parse_policy(MINIMAL_POLICY.encode("utf-8"))
    out.append(
        {
            "name": "a minimal policy",
            "toml": MINIMAL_POLICY,
            "version": minimal.version,
            "sha256": b64(minimal.sha256),
        }
    )
    return out


# --- Signed policies and a signed directory --------------------------------------------


def _reference(version: str, digest: bytes) -> dict[str, str]:
    return {"version": version, "sha256": b64(digest)}


def signed_vectors(default: bytes) -> dict[str, Any]:
    """A policy signed by a fixed root key, the refusals of load_signed_policy, and a signed
    directory that names it (for directory_from_signed and an end-to-end decision)."""
    root_seed = bytes(range(200, 232))
    root = crypto.root_public_key(root_seed)
    other_root = crypto.root_public_key(bytes(32))
    signed = crypto.sign_document("policy", default, root_seed)
    reference = _reference("2026.1", hashlib.sha256(default).digest())
    altered = crypto.SignedDocument(
        kind=signed.kind,
        document=default.replace(b'version = "2026.1"', b'version = "2026.2"'),
        root_key_id=signed.root_key_id,
        signature=signed.signature,
    )
    older = crypto.sign_document("policy", SMALL_POLICY.encode("utf-8"), root_seed)
    malformed = b'version = "9"\n'
    faults: list[tuple[str, crypto.SignedDocument, bytes, dict[str, str] | None, str]] = [
        ("altered", altered, root, reference, "signature"),
        ("another root key", signed, other_root, reference, "signature"),
        (
            "signed as a directory",
            crypto.sign_document("directory", default, root_seed),
            root,
            reference,
            "signature",
        ),
        ("no reference", signed, root, None, "signature"),
        (
            "another version",
            signed,
            root,
            _reference("2025.9", hashlib.sha256(default).digest()),
            "signature",
        ),
        (
            "another hash",
            signed,
            root,
            _reference("2026.1", hashlib.sha256(b"another").digest()),
            "signature",
        ),
        ("an older signed policy", older, root, reference, "signature"),
        (
            "a signed malformed file",
            crypto.sign_document("policy", malformed, root_seed),
            root,
            _reference("9", hashlib.sha256(malformed).digest()),
            "format",
        ),
    ]
    refusals = []
    for fault, document, pinned, ref, rule in faults:
        expected = (
            None if ref is None else crypto.PolicyReference(ref["version"], base64.b64decode(ref["sha256"]))
        )
        refused = refused_rule(lambda: load_signed_policy(document, pinned, expected))  # noqa: B023 (called at once)
        assert refused == rule, fault
        refusals.append(
            {
                "fault": fault,
                # "policy" stands for the signed policy above (the file stays small).
                "signed": "policy" if document is signed else _js(document),
                "root_public_key": pinned.hex(),
                "reference": ref,
                "rule": rule,
            }
        )
    return {
        "root_public_key": root.hex(),
        "signed": _js(signed),
        "reference": reference,
        "refusals": refusals,
        "directory": _signed_directory(root_seed, default),
    }


def _js(value: object) -> Any:
    """A msgspec struct as the JSON the JavaScript reads (bytes in base64)."""
    return json.loads(msgspec.json.encode(value))


def _signed_directory(root_seed: bytes, default: bytes) -> dict[str, Any]:
    rows: list[tuple[str, DirectoryLevel, str | None, str | None]] = [
        ("provincial_dg_prisons--tehran", "province", "tehran", None),
        ("institution_management--tehran-central", "institution", "tehran", "tehran-central"),
        ("general_inspection_organization--national", "national", None, None),
    ]
    entries = []
    for code, level, province, institution in rows:
        public = xwing_public_bytes(hashlib.sha256(code.encode()).digest())
        entries.append(
            crypto.DirectoryEntry(
                body=code,
                body_type=code.split("--")[0],
                level=level,
                province=province,
                institution=institution,
                name_fa="نهاد نمونه",
                name_en="Sample body",
                key_id=key_id(public),
                public_key=public,
            )
        )
    directory = crypto.KeyDirectory(
        serial=3,
        issued_at="2026-11-01T00:00:00Z",
        expires_at="2027-05-01T00:00:00Z",
        bodies=entries,
        policy=crypto.PolicyReference(version="2026.1", sha256=hashlib.sha256(default).digest()),
        institutions=[crypto.DirectoryInstitution(code="tehran-central", province="tehran")],
    )
    signed = crypto.sign_directory(directory, root_seed)
    valid_at = datetime(2026, 11, 23, tzinfo=UTC)
    routing_directory = directory_from_signed(
        crypto.verify_directory(signed, crypto.root_public_key(root_seed), now=valid_at)
    )
    as_json = directory_json(routing_directory)
    for body, ref in zip(as_json["bodies"], routing_directory.bodies, strict=True):
        body["key_id"] = b64(ref.key_id or b"")
    routing = metadata("tehran-central", "complaint", "living_conditions", "none", "normal")
    return {
        "signed": _js(signed),
        "valid_at": "2026-11-23T00:00:00Z",
        "routing_directory": as_json,
        "case": {
            "routing": routing,
            "retaliation": False,
            "reporter_choices": [],
            "expected": outcome(parse_policy(default), routing_directory, routing, False, []),
        },
    }


# --- The file --------------------------------------------------------------------------


def build() -> dict[str, Any]:
    default = default_policy_bytes()
    small = SMALL_POLICY.encode("utf-8")
    policies = {"default": parse_policy(default), "small": parse_policy(small)}
    dirs = directories()
    cases = decision_cases(policies, dirs)
    return {
        "routing": "seda/routing/v1",
        "about": (
            "Routing decisions every implementation must make (docs/ROUTING.md); "
            "made by tests/vectors/generate_routing.py. Deadlines are not included."
        ),
        "policies": {
            "default": {
                "path": DEFAULT_POLICY_PATH,
                "toml": default.decode("utf-8"),
                "sha256": b64(policies["default"].sha256),
            },
            "small": {"path": None, "toml": SMALL_POLICY, "sha256": b64(policies["small"].sha256)},
        },
        "directories": {name: directory_json(directory) for name, directory in dirs.items()},
        "cases": cases,
        "escalation_targets": escalation_target_cases(cases, policies, dirs),
        "escalations": escalation_steps(dirs),
        "policy_refusals": policy_refusals(default),
        "policy_accepts": policy_accepts(default),
        "signed_policy": signed_vectors(default),
    }


def render(vectors: dict[str, Any]) -> bytes:
    return (json.dumps(vectors, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def main() -> None:
    OUT.write_bytes(render(build()))
    print(f"wrote {OUT}")  # noqa: T201 (a command-line tool reports what it wrote)


if __name__ == "__main__":
    main()
