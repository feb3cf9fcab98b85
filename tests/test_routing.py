"""Routing: the default policy over every combination, the always-hold rules over any policy,
reproducible decisions, signed policies, referrals and escalation."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crypto
from routing.bodies import BODY_TYPES
from routing.decide import body_refs, encode_decision, escalate, refer, route, satisfies_rules
from routing.errors import PolicyError, RoutingRuleError, UnknownBodyError
from routing.policy import load_signed_policy, parse_policy
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Concern, Level, RecipientVia, ReportType, Urgency
from tests.routing_helpers import DEFAULT_POLICY_BYTES, default_policy, demo_directory, facts

ROOT = Path(__file__).resolve().parent.parent
POLICY = default_policy()
DIRECTORY = demo_directory()
COMBINATIONS = list(itertools.product(ReportType, [c.code for c in CATEGORIES], Concern, Urgency))
DOCUMENTED_REASONS = set(
    re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "ROUTING.md").read_text("utf-8"), flags=re.MULTILINE)
)


def _reason_code(reason: str) -> str:
    return reason.split(":", 1)[0]


@pytest.mark.parametrize(("report_type", "category", "concern", "urgency"), COMBINATIONS)
def test_every_combination_of_the_default_policy_keeps_the_rules(
    report_type: ReportType, category: str, concern: Concern, urgency: Urgency
) -> None:
    report = facts(category, concern, report_type, urgency)
    decision = route(report, POLICY, DIRECTORY)
    bodies = [DIRECTORY.body(r.body) for r in decision.recipients]
    assert satisfies_rules(bodies, report, DIRECTORY)
    assert {_reason_code(r.reason) for r in decision.recipients} <= DOCUMENTED_REASONS
    assert any(b.level != Level.INSTITUTION for b in bodies)
    assert decision.acknowledge_by <= decision.feedback_by
    assert decision.recipients == sorted(decision.recipients, key=lambda r: r.body)


@pytest.mark.parametrize(
    ("category", "concern", "must_include"),
    [
        (
            "ill_treatment",
            Concern.STAFF_MEMBER,
            {"judiciary_protection_intelligence--national", "special_inspection_citizens_rights--national"},
        ),
        ("restraints", Concern.STAFF_MEMBER, {"sentence_execution_judge--east-azerbaijan"}),
        ("retaliation", Concern.INSTITUTION_MANAGEMENT, {"special_inspection_citizens_rights--national"}),
        ("health", Concern.CONDITIONS, {"institution_health_unit--east-azerbaijan-central"}),
        (
            "shop_prices",
            Concern.CONDITIONS,
            {"institution_inspection_representative--east-azerbaijan-central"},
        ),
        ("judicial", Concern.JUDGE, {"special_inspection_citizens_rights--national"}),
        ("suggestion", Concern.PRISONS_ORGANIZATION, {"general_inspection_organization--national"}),
    ],
)
def test_the_default_policy_sends_sensitive_reports_where_the_regulation_expects(
    category: str, concern: Concern, must_include: set[str]
) -> None:
    decision = route(facts(category, concern, institution="east-azerbaijan-central"), POLICY, DIRECTORY)
    assert must_include <= {r.body for r in decision.recipients}


def test_urgent_categories_get_urgent_deadlines_whatever_the_reporter_chose() -> None:
    decision = route(facts("restraints", Concern.STAFF_MEMBER, urgency=Urgency.NORMAL), POLICY, DIRECTORY)
    assert decision.urgent
    assert (decision.acknowledge_by - facts().received_at).total_seconds() == 24 * 3600


def test_a_decision_is_byte_for_byte_reproducible() -> None:
    report = facts("corruption", Concern.PROVINCIAL_DIRECTORATE)
    first = encode_decision(route(report, POLICY, DIRECTORY))
    second = encode_decision(route(report, default_policy(), demo_directory()))
    assert first == second
    other_version = parse_policy(DEFAULT_POLICY_BYTES.replace(b'version = "2026.1"', b'version = "2026.2"'))
    assert encode_decision(route(report, other_version, DIRECTORY)) != first


def test_the_reporter_may_add_any_body() -> None:
    decision = route(
        facts(), POLICY, DIRECTORY, reporter_choices=["general_inspection_organization--national"]
    )
    added = [r for r in decision.recipients if r.body == "general_inspection_organization--national"]
    assert added == [added[0]]
    assert added[0].via == RecipientVia.REPORTER_CHOICE
    with pytest.raises(UnknownBodyError):
        route(facts(), POLICY, DIRECTORY, reporter_choices=["no-such-body"])


def test_the_fallback_is_added_when_the_directory_lacks_the_policy_targets() -> None:
    thin = msgspec.structs.replace(
        DIRECTORY,
        bodies=[
            b
            for b in DIRECTORY.bodies
            if b.level == Level.INSTITUTION or b.body_type == "general_inspection_organization"
        ],
    )
    decision = route(facts("suggestion", Concern.NONE), POLICY, thin)
    assert ("general_inspection_organization--national", "fallback_independent") in {
        (r.body, r.reason) for r in decision.recipients
    }
    empty = msgspec.structs.replace(thin, bodies=[b for b in thin.bodies if b.level == Level.INSTITUTION])
    with pytest.raises(RoutingRuleError) as caught:
        route(facts("suggestion", Concern.NONE), POLICY, empty)
    assert caught.value.rule == "independent_body"


def _only_rule(body_type: str, scope: str) -> bytes:
    target = f'{{ body_type = "{body_type}", scope = "{scope}" }}'
    return f'[[rule]]\nid = "a"\nreason = "a"\ntargets = [{target}]\n'.encode()


POLICY_HEAD = b'version = "t"\nfallback_independent = "general_inspection_organization"\n'
DEADLINE = b'[[deadline]]\nacknowledge = "1w"\nfeedback = "1m"\n'


@pytest.mark.parametrize(
    ("rules", "broken"),
    [
        (  # staff complaints only inside the institution
            _only_rule("institution_management", "institution"),
            "independent_body",
        ),
        (  # reports about the judge only to the judge
            _only_rule("sentence_execution_judge", "province"),
            "conflict_of_interest",
        ),
    ],
)
def test_a_policy_that_would_break_a_rule_is_refused_naming_the_rule(rules: bytes, broken: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(POLICY_HEAD + rules + DEADLINE)
    assert caught.value.rule == broken


@pytest.mark.parametrize(
    "change",
    [
        (
            b'fallback_independent = "general_inspection_organization"',
            b'fallback_independent = "organization_inspection"',
        ),
        (b'scope = "province" }]\n\n# --- By category', b'scope = "national" }]\n\n# --- By category'),
        (b'acknowledge = "24h"', b'acknowledge = "soon"'),
        (b'[[deadline]]\nacknowledge = "1w"\nfeedback = "1m"', b""),
        (b'version = "2026.1"', b'version = "2026.1"\nsurprise = 1'),
    ],
)
def test_malformed_policies_are_refused(change: tuple[bytes, bytes]) -> None:
    altered = DEFAULT_POLICY_BYTES.replace(*change)
    assert altered != DEFAULT_POLICY_BYTES
    with pytest.raises(PolicyError):
        parse_policy(altered)


def test_only_a_policy_signed_by_the_pinned_root_is_loaded() -> None:
    root = bytes(range(32))
    pinned = crypto.root_public_key(root)
    signed = crypto.sign_document("policy", DEFAULT_POLICY_BYTES, root)
    assert load_signed_policy(signed, pinned).sha256 == POLICY.sha256
    tampered = msgspec.structs.replace(signed, document=DEFAULT_POLICY_BYTES.replace(b'"24h"', b'"48h"'))
    other_root = crypto.sign_document("policy", DEFAULT_POLICY_BYTES, bytes(32))
    as_directory = crypto.sign_document("directory", DEFAULT_POLICY_BYTES, root)
    for bad in (tampered, other_root, as_directory):
        with pytest.raises(PolicyError) as caught:
            load_signed_policy(bad, pinned)
        assert caught.value.rule == "signature"


def test_a_referral_keeps_the_rules() -> None:
    report = facts("judicial", Concern.JUDGE)
    recipients = route(report, POLICY, DIRECTORY).recipients
    judge = "sentence_execution_judge--tehran"
    special = "special_inspection_citizens_rights--national"
    referred = refer(
        recipients, report, DIRECTORY, from_body=special, to_body="general_inspection_organization--national"
    )
    assert ("general_inspection_organization--national", RecipientVia.REFERRAL) in {
        (r.body, r.via) for r in referred
    }
    # Leaving the case would leave only bodies the report concerns or that are not independent.
    only_conflicted = [r for r in recipients if r.body in (judge, special)]
    with pytest.raises(RoutingRuleError) as caught:
        refer(only_conflicted, report, DIRECTORY, from_body=special, to_body=judge, withdraw=True)
    assert caught.value.rule == "conflict_of_interest"
    with pytest.raises(RoutingRuleError):
        refer(
            recipients,
            report,
            DIRECTORY,
            from_body="general_inspection_organization--national",
            to_body=judge,
        )


def test_escalation_goes_up_the_chain_and_skips_concerned_bodies() -> None:
    report = facts("health", Concern.CONDITIONS)
    recipients = route(report, POLICY, DIRECTORY).recipients
    up = escalate(recipients, report, DIRECTORY, "provincial_dg_prisons--tehran")
    assert up is not None
    assert up.body == "organization_inspection--national"
    assert up.reason == "escalation_from:provincial_dg_prisons--tehran"
    about_organization = facts("health", Concern.PRISONS_ORGANIZATION)
    skipped = escalate([], about_organization, DIRECTORY, "provincial_dg_prisons--tehran")
    assert skipped is not None
    assert skipped.body == "general_inspection_organization--national"
    assert escalate([], report, DIRECTORY, "general_inspection_organization--national") is None


# --- Any policy: the always-hold rules cannot be broken by a policy file. ---

_types = list(BODY_TYPES)
target = st.sampled_from([(t.code, level.value) for t in _types for level in t.levels])
CATEGORY_LIST = [c.code for c in CATEGORIES]
CONCERN_LIST = [c.value for c in Concern]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


@st.composite
def random_policy(draw: st.DrawFn) -> bytes:
    lines = [
        'version = "random"',
        f'fallback_independent = "{draw(st.sampled_from([t.code for t in _types]))}"',
    ]
    for index in range(draw(st.integers(min_value=1, max_value=6))):
        targets = draw(st.lists(target, min_size=1, max_size=3))
        when = []
        if draw(st.booleans()):
            when.append(
                f"categories = {_toml_list(draw(st.lists(st.sampled_from(CATEGORY_LIST), max_size=3)))}"
            )
        if draw(st.booleans()):
            when.append(f"concerns = {_toml_list(draw(st.lists(st.sampled_from(CONCERN_LIST), max_size=3)))}")
        lines += [
            "[[rule]]",
            f'id = "r{index}"',
            f'reason = "r{index}"',
            "targets = [" + ", ".join(f'{{ body_type = "{t}", scope = "{s}" }}' for t, s in targets) + "]",
        ]
        if when:
            lines.append("when = { " + ", ".join(when) + " }")
    lines += ["[[deadline]]", 'acknowledge = "1w"', 'feedback = "1m"']
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy_bytes=random_policy(),
    combination=st.sampled_from(COMBINATIONS),
    institution=st.sampled_from([i.code for i in DIRECTORY.institutions]),
)
def test_no_policy_file_can_break_the_always_hold_rules(
    policy_bytes: bytes, combination: tuple[ReportType, str, Concern, Urgency], institution: str
) -> None:
    try:
        policy = parse_policy(policy_bytes)
    except PolicyError as error:
        refused: str | None = error.rule
    else:
        refused = None
    if refused is not None:
        assert refused in {"independent_body", "conflict_of_interest", "fallback", "format"}
        return
    report_type, category, concern, urgency = combination
    report = facts(category, concern, report_type, urgency, institution=institution)
    decision = route(report, policy, DIRECTORY)
    assert satisfies_rules([DIRECTORY.body(r.body) for r in decision.recipients], report, DIRECTORY)


def test_bodies_come_with_their_keys_from_a_verified_directory() -> None:
    vectors = json.loads((ROOT / "tests" / "vectors" / "protocol-v1.json").read_text("utf-8"))
    signed = msgspec.convert(vectors["directory"]["signed"], crypto.SignedDocument, strict=False)
    valid_at = datetime.fromisoformat(vectors["directory"]["valid_at"])
    directory = crypto.verify_directory(
        signed, bytes.fromhex(vectors["directory"]["root_public_key"]), now=valid_at
    )
    refs = body_refs(directory.bodies)
    assert [(r.code, r.level, r.key_id) for r in refs] == [
        (e.body, e.level, e.key_id) for e in directory.bodies
    ]
