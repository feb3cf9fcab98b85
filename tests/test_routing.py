"""Routing: the default policy over every combination, the always-hold rules over any policy,
reproducible decisions, signed policies, referrals and escalation."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crypto
from routing.bodies import BODY_TYPES, body_type
from routing.decide import (
    Directory,
    Recipient,
    ReportFacts,
    body_refs,
    directory_from_signed,
    encode_decision,
    escalate,
    escalation_targets,
    refer,
    route,
    satisfies_rules,
)
from routing.errors import PolicyError, RoutingRuleError, UnknownBodyError
from routing.policy import load_signed_policy, parse_policy
from routing.reasons import POLICY_REASONS, RESERVED_REASONS
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Authority, Concern, Level, RecipientVia, ReportType, Urgency
from tests.routing_helpers import DEFAULT_POLICY_BYTES, default_policy, demo_directory, facts, oracle_holds

ROOT = Path(__file__).resolve().parent.parent
POLICY = default_policy()
DIRECTORY = demo_directory()
COMBINATIONS = list(itertools.product(ReportType, [c.code for c in CATEGORIES], Concern, Urgency))
_REASON_SECTION = (
    (ROOT / "docs" / "ROUTING.md").read_text("utf-8").split("## 5. Reason codes")[1].split("\n## ")[0]
)
DOCUMENTED_REASONS = set(re.findall(r"^\| `([a-z_]+)` \|", _REASON_SECTION, flags=re.MULTILINE))


def _reason_code(reason: str) -> str:
    return reason.split(":", 1)[0]


@pytest.mark.parametrize(("report_type", "category", "concern", "urgency"), COMBINATIONS)
def test_every_combination_of_the_default_policy_keeps_the_rules(
    report_type: ReportType, category: str, concern: Concern, urgency: Urgency
) -> None:
    report = facts(category, concern, report_type, urgency)
    decision = route(report, POLICY, DIRECTORY)
    bodies = [DIRECTORY.body(r.body) for r in decision.recipients]
    assert satisfies_rules([r.body for r in decision.recipients], report, DIRECTORY)
    assert oracle_holds(decision.recipients, report, DIRECTORY)
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
    return f'[[rule]]\nid = "a"\nreason = "provincial_directorate"\ntargets = [{target}]\n'.encode()


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
    named = crypto.PolicyReference(version=POLICY.version, sha256=POLICY.sha256)
    assert load_signed_policy(signed, pinned, named).sha256 == POLICY.sha256
    tampered = msgspec.structs.replace(signed, document=DEFAULT_POLICY_BYTES.replace(b'"24h"', b'"48h"'))
    other_root = crypto.sign_document("policy", DEFAULT_POLICY_BYTES, bytes(32))
    as_directory = crypto.sign_document("directory", DEFAULT_POLICY_BYTES, root)
    for bad in (tampered, other_root, as_directory):
        with pytest.raises(PolicyError) as caught:
            load_signed_policy(bad, pinned, named)
        assert caught.value.rule == "signature"
    with pytest.raises(PolicyError) as caught:
        load_signed_policy(signed, pinned, None)  # a directory that names no policy
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
    holder = [Recipient("provincial_dg_prisons--tehran", RecipientVia.POLICY, "provincial_directorate")]
    skipped = escalate(holder, about_organization, DIRECTORY, "provincial_dg_prisons--tehran")
    assert skipped is not None
    assert skipped.body == "general_inspection_organization--national"
    top = [Recipient("general_inspection_organization--national", RecipientVia.POLICY, "corruption")]
    assert escalate(top, report, DIRECTORY, "general_inspection_organization--national") is None
    with pytest.raises(RoutingRuleError):
        escalate([], report, DIRECTORY, "provincial_dg_prisons--tehran")


def test_escalation_targets_are_the_next_bodies_up_from_every_recipient() -> None:
    report = facts("health", Concern.CONDITIONS)
    recipients = route(report, POLICY, DIRECTORY).recipients
    targets = escalation_targets(recipients, report, DIRECTORY)
    # The health unit climbs past the directorate (a recipient) to the same body as it.
    assert [t.body for t in targets] == [
        "organization_inspection--national",
        "prisoners_rights_protection--national",
    ]
    by_body = {t.body: t for t in targets}
    assert by_body["organization_inspection--national"].reason == (
        "escalation_from:institution_health_unit--tehran-central"  # the first, by code, of two
    )
    assert all(t.identity and t.via == RecipientVia.POLICY for t in targets)
    assert escalation_targets([], report, DIRECTORY) == []
    with pytest.raises(UnknownBodyError):
        escalation_targets([Recipient("nobody--national", RecipientVia.POLICY, "x")], report, DIRECTORY)


def test_a_report_about_the_organization_escrows_nothing_to_its_offices() -> None:
    report = facts("health", Concern.PRISONS_ORGANIZATION)
    recipients = route(report, POLICY, DIRECTORY).recipients
    for target in escalation_targets(recipients, report, DIRECTORY):
        assert body_type(DIRECTORY.body(target.body).body_type).authority != Authority.PRISONS_ORGANIZATION


# --- Any policy: the always-hold rules cannot be broken by a policy file. ---

_types = list(BODY_TYPES)
target = st.sampled_from([(t.code, level.value) for t in _types for level in t.levels])
CATEGORY_LIST = [c.code for c in CATEGORIES]
REASON_LIST = sorted(POLICY_REASONS)
TYPE_LIST = [t.value for t in ReportType]
PROVINCE_LIST = ["east-azerbaijan", "tehran", "qom"]
CONCERN_LIST = [c.value for c in Concern]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


@st.composite
def random_policy(draw: st.DrawFn) -> bytes:
    # Mostly plausible fallbacks and often an anchor rule, so that many random policies load
    # and their decisions get checked (not only refused).
    good = [
        "general_inspection_organization",
        "special_inspection_citizens_rights",
        "judiciary_protection_intelligence",
    ]
    fallback = (
        draw(st.sampled_from(good))
        if draw(st.integers(0, 9))
        else draw(st.sampled_from([t.code for t in _types]))
    )
    lines = ['version = "random"', f'fallback_independent = "{fallback}"']
    if draw(st.integers(0, 9)) < 6:
        anchors = draw(st.lists(st.sampled_from(good), min_size=1, max_size=2, unique=True))
        lines += [
            "[[rule]]",
            'id = "anchor"',
            'reason = "concerns_oversight"',
            "targets = [" + ", ".join(f'{{ body_type = "{a}", scope = "national" }}' for a in anchors) + "]",
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
        if draw(st.booleans()):
            when.append(f"types = {_toml_list(draw(st.lists(st.sampled_from(TYPE_LIST), max_size=2)))}")
        if draw(st.integers(0, 3)) == 0:
            when.append(f"urgent = {str(draw(st.booleans())).lower()}")
        if draw(st.integers(0, 3)) == 0:
            when.append(f"retaliation = {str(draw(st.booleans())).lower()}")
        if draw(st.integers(0, 3)) == 0:
            when.append(
                f"provinces = {_toml_list(draw(st.lists(st.sampled_from(PROVINCE_LIST), max_size=2)))}"
            )
        lines += [
            "[[rule]]",
            f'id = "r{index}"',
            f'reason = "{draw(st.sampled_from(REASON_LIST))}"',
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
        assert refused in {
            "independent_body",
            "conflict_of_interest",
            "outside_organization",
            "fallback",
            "format",
        }
        return
    report_type, category, concern, urgency = combination
    report = facts(category, concern, report_type, urgency, institution=institution)
    decision = route(report, policy, DIRECTORY)
    assert satisfies_rules([r.body for r in decision.recipients], report, DIRECTORY)
    assert oracle_holds(decision.recipients, report, DIRECTORY)
    # A loaded policy needs the fallback only when the directory lacks a body.
    assert all(r.reason != "fallback_independent" for r in decision.recipients)


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
    routed = directory_from_signed(directory)
    assert routed.institution("qom-central").province == "qom"
    assert [b.code for b in routed.bodies] == [r.code for r in refs]


def test_the_documented_reasons_are_exactly_the_known_ones() -> None:
    assert set(POLICY_REASONS) | set(RESERVED_REASONS) == DOCUMENTED_REASONS


@pytest.mark.parametrize("reason", ["totally_undocumented", "reporter_choice", "fallback_independent"])
def test_a_policy_may_only_use_documented_policy_reasons(reason: str) -> None:
    altered = DEFAULT_POLICY_BYTES.replace(b'reason = "security"', f'reason = "{reason}"'.encode())
    with pytest.raises(PolicyError) as caught:
        parse_policy(altered)
    assert caught.value.rule == "format"


@pytest.mark.parametrize(
    "data",
    [
        b"x = " + b"[" * 5000 + b"]" * 5000,
        b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000,
        b"a" * (300 * 1024),
        DEFAULT_POLICY_BYTES + b'\n[[rule]]\nid = "security"\nreason = "security"\n'
        b'targets = [{ body_type = "protection_intelligence_office", scope = "province" }]\n',
    ],
)
def test_hostile_or_malformed_policy_files_are_a_typed_error(data: bytes) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.rule == "format"


def test_a_policy_that_only_protects_one_province_is_refused_for_the_others() -> None:
    body = (
        POLICY_HEAD
        + b'[[rule]]\nid = "a"\nreason = "provincial_directorate"\nwhen = { provinces = ["tehran"] }\n'
        + b'targets = [{ body_type = "general_inspection_organization", scope = "national" }]\n'
        + b'[[rule]]\nid = "b"\nreason = "institution_management"\n'
        + b'targets = [{ body_type = "institution_management", scope = "institution" }]\n'
        + DEADLINE
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(body)
    assert caught.value.rule == "independent_body"
    assert "province=*" in str(caught.value)


def test_ill_treatment_must_leave_the_organization_whatever_the_policy() -> None:
    only_pi = _only_rule("protection_intelligence_office", "province")
    with pytest.raises(PolicyError) as caught:
        parse_policy(POLICY_HEAD + only_pi + DEADLINE)
    assert caught.value.rule == "outside_organization"


def test_a_policy_must_be_the_one_the_signed_directory_names() -> None:
    root = bytes(range(32))
    signed = crypto.sign_document("policy", DEFAULT_POLICY_BYTES, root)
    right = crypto.PolicyReference(version=POLICY.version, sha256=POLICY.sha256)
    assert load_signed_policy(signed, crypto.root_public_key(root), expected=right).version == "2026.1"
    older = crypto.PolicyReference(version=POLICY.version, sha256=bytes(32))
    with pytest.raises(PolicyError) as caught:
        load_signed_policy(signed, crypto.root_public_key(root), expected=older)
    assert caught.value.rule == "signature"


def test_the_exact_recipients_of_some_reports() -> None:
    def recipients(category: str, concern: Concern) -> set[tuple[str, str, bool]]:
        decision = route(facts(category, concern, institution="qom-central"), POLICY, DIRECTORY)
        return {(r.body, r.reason, r.identity) for r in decision.recipients}

    assert recipients("judicial", Concern.JUDGE) == {
        ("provincial_dg_prisons--qom", "provincial_directorate", True),
        ("sentence_execution_judge--qom", "judicial_matters", False),
        ("special_inspection_citizens_rights--national", "concerns_judge", True),
    }
    assert recipients("shop_prices", Concern.INSTITUTION_MANAGEMENT) == {
        ("provincial_dg_prisons--qom", "provincial_directorate", True),
        ("institution_inspection_representative--qom-central", "shop_inspection", False),
        ("institution_protection_intelligence_representative--qom-central", "shop_inspection", False),
        ("organization_inspection--national", "concerns_institution", True),
    }


def test_the_same_instant_in_any_zone_gives_the_same_decision() -> None:
    # Just before Europe's daylight-saving switch: a wall-clock "24 hours later" would be off by one.
    instant = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    base = msgspec.structs.replace(facts("restraints", Concern.STAFF_MEMBER), received_at=instant)
    elsewhere = msgspec.structs.replace(base, received_at=instant.astimezone(ZoneInfo("Europe/Berlin")))
    assert encode_decision(route(base, POLICY, DIRECTORY)) == encode_decision(
        route(elsewhere, POLICY, DIRECTORY)
    )


def test_inactive_bodies_never_count_and_cannot_be_chosen() -> None:
    report = facts("health", Concern.CONDITIONS, institution="qom-central")
    inactive = {"provincial_dg_prisons--qom", "prisoners_rights_protection--qom"}
    directory = msgspec.structs.replace(
        DIRECTORY,
        bodies=[msgspec.structs.replace(b, active=b.code not in inactive) for b in DIRECTORY.bodies],
    )
    decision = route(report, POLICY, directory)
    assert not inactive & {r.body for r in decision.recipients}
    assert "general_inspection_organization--national" in {r.body for r in decision.recipients}
    with pytest.raises(UnknownBodyError):
        route(report, POLICY, directory, reporter_choices=["provincial_dg_prisons--qom"])


def test_a_referral_to_the_same_organization_elsewhere_does_not_count_as_independent() -> None:
    report = facts("corruption", Concern.PRISONS_ORGANIZATION)
    recipients = route(report, POLICY, DIRECTORY).recipients
    outside = [
        r.body
        for r in recipients
        if "protection_intelligence_office" not in r.body and "provincial" not in r.body
    ]
    assert outside == [
        "general_inspection_organization--national",
        "special_inspection_citizens_rights--national",
    ]
    isfahan = "protection_intelligence_office--isfahan"
    current = refer(recipients, report, DIRECTORY, from_body=outside[0], to_body=isfahan, withdraw=True)
    with pytest.raises(RoutingRuleError):
        refer(current, report, DIRECTORY, from_body=outside[1], to_body=isfahan, withdraw=True)


def test_a_retaliation_report_goes_above_and_outside_the_institution() -> None:
    flagged = msgspec.structs.replace(
        facts("living_conditions", Concern.INSTITUTION_MANAGEMENT), retaliation=True
    )
    decision = route(flagged, POLICY, DIRECTORY)
    assert decision.urgent
    assert "special_inspection_citizens_rights--national" in {r.body for r in decision.recipients}


@st.composite
def _situations(draw: st.DrawFn) -> tuple[Directory, ReportFacts, list[str], list[tuple[int, str, bool]]]:
    codes = [b.code for b in DIRECTORY.bodies]
    off = set(draw(st.lists(st.sampled_from(codes), max_size=40)))
    directory = msgspec.structs.replace(
        DIRECTORY, bodies=[msgspec.structs.replace(b, active=b.code not in off) for b in DIRECTORY.bodies]
    )
    report_type, category, concern, urgency = draw(st.sampled_from(COMBINATIONS))
    report = msgspec.structs.replace(
        facts(category, concern, report_type, urgency, institution=draw(st.sampled_from(INSTITUTION_LIST))),
        retaliation=draw(st.booleans()),
    )
    active = [c for c in codes if c not in off]
    choices = draw(st.lists(st.sampled_from(active), max_size=3, unique=True))
    referrals = draw(
        st.lists(st.tuples(st.integers(0, 20), st.sampled_from(active), st.booleans()), max_size=4)
    )
    return directory, report, choices, referrals


INSTITUTION_LIST = [i.code for i in DIRECTORY.institutions]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situation=_situations())
def test_no_directory_choice_or_referral_sequence_breaks_the_rules(
    situation: tuple[Directory, ReportFacts, list[str], list[tuple[int, str, bool]]],
) -> None:
    directory, report, choices, referrals = situation
    try:
        recipients = route(report, POLICY, directory, reporter_choices=choices).recipients
    except RoutingRuleError:
        return  # the directory lacks even the fallback: refused, never a bad decision
    assert oracle_holds(recipients, report, directory)
    for index, to_body, withdraw in referrals:
        source = recipients[index % len(recipients)].body
        try:
            recipients = refer(
                recipients, report, directory, from_body=source, to_body=to_body, withdraw=withdraw
            )
        except RoutingRuleError:
            continue
        assert oracle_holds(recipients, report, directory)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situation=_situations())
def test_escalation_targets_are_exactly_the_distinct_escalations_of_the_recipients(
    situation: tuple[Directory, ReportFacts, list[str], list[tuple[int, str, bool]]],
) -> None:
    directory, report, choices, _ = situation
    try:
        recipients = route(report, POLICY, directory, reporter_choices=choices).recipients
    except RoutingRuleError:
        return
    targets = escalation_targets(recipients, report, directory)
    ups = {r.body: escalate(recipients, report, directory, r.body) for r in recipients}
    assert {t.body for t in targets} == {up.body for up in ups.values() if up is not None}
    assert [t.body for t in targets] == sorted(t.body for t in targets)
    held = {r.body for r in recipients}
    for target in targets:
        assert target.body not in held
        assert target.identity
        assert directory.body(target.body).active
        first = min(code for code, up in ups.items() if up is not None and up.body == target.body)
        assert target.reason == f"escalation_from:{first}"
