"""Routing decisions, referrals and escalations on a concrete directory of bodies.

Pure and deterministic: the same facts, policy and directory give byte-identical output
(``encode_decision``); time is passed in. The same code runs on kiosks, in the browser's
server-side twin, and on the server (which re-runs it to check what a client sealed to).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from crypto import DirectoryEntry
from routing.bodies import body_type
from routing.deadlines import due
from routing.errors import RoutingRuleError, UnknownBodyError
from routing.policy import Policy, Target
from routing.rules import AbstractBody, independent_unconflicted, is_conflicted, is_independent
from routing.taxonomy import CATEGORY_CODES, category
from routing.vocabulary import Concern, Level, RecipientVia, ReportType, Urgency


class BodyRef(msgspec.Struct, frozen=True, kw_only=True):
    """A body as routing sees it (from the signed directory, or the server's table).

    ``key_id`` is the body's current key (crypto.DirectoryEntry); a client seals to the
    keys of the decision's recipients, and only keys from a verified directory.
    """

    code: str
    body_type: str
    level: Level
    province: str | None = None
    institution: str | None = None
    active: bool = True
    key_id: bytes | None = None


def body_refs(entries: list[DirectoryEntry]) -> list[BodyRef]:
    """The bodies of a verified signed directory, as routing sees them."""
    return [
        BodyRef(
            code=entry.body,
            body_type=entry.body_type,
            level=Level(entry.level),
            province=entry.province,
            institution=entry.institution,
            key_id=entry.key_id,
        )
        for entry in entries
    ]


class InstitutionRef(msgspec.Struct, frozen=True):
    code: str
    province: str


class Directory(msgspec.Struct, frozen=True):
    """Every body and institution routing may use."""

    bodies: list[BodyRef]
    institutions: list[InstitutionRef]

    def institution(self, code: str) -> InstitutionRef:
        for candidate in self.institutions:
            if candidate.code == code:
                return candidate
        raise UnknownBodyError(f"unknown institution {code}")

    def body(self, code: str) -> BodyRef:
        for candidate in self.bodies:
            if candidate.code == code:
                return candidate
        raise UnknownBodyError(f"unknown body {code}")


class ReportFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The routing envelope of one report (what the server may see), plus the time it came."""

    institution: str
    report_type: ReportType
    category: str
    concerns: Concern
    urgency: Urgency
    received_at: datetime
    retaliation: bool = False


class Recipient(msgspec.Struct, frozen=True):
    """One body that receives the report, and why (docs/ROUTING.md §5 lists the reasons)."""

    body: str
    via: RecipientVia
    reason: str


class RoutingDecision(msgspec.Struct, frozen=True):
    """Who receives a report, why, and by when it must be acknowledged and answered."""

    policy_version: str
    policy_sha256: bytes
    urgent: bool
    recipients: list[Recipient]
    acknowledge_by: datetime
    feedback_by: datetime


_encoder = msgspec.json.Encoder(order="deterministic")


def encode_decision(decision: RoutingDecision) -> bytes:
    """Canonical bytes of a decision (for comparing and signing)."""
    return _encoder.encode(decision)


def is_urgent(facts: ReportFacts) -> bool:
    """Urgent if the reporter said so, the category is urgent, or retaliation is reported."""
    return facts.urgency == Urgency.URGENT or category(facts.category).urgent or facts.retaliation


def _relative(ref: BodyRef, facts: ReportFacts, province: str) -> tuple[AbstractBody, bool]:
    """The body as seen from this report, and whether it lies in the report's own scope."""
    local = (
        ref.level == Level.NATIONAL
        or (ref.level == Level.PROVINCE and ref.province == province)
        or (ref.level == Level.INSTITUTION and ref.institution == facts.institution)
    )
    return AbstractBody(body_type(ref.body_type), ref.level), local


def satisfies_rules(refs: list[BodyRef], facts: ReportFacts, directory: Directory) -> bool:
    """At least one recipient is independent of the institution and not concerned (§4)."""
    province = directory.institution(facts.institution).province
    for ref in refs:
        body, local = _relative(ref, facts, province)
        if is_independent(body) and (not local or not is_conflicted(body, facts.concerns)):
            return True
    return False


def _resolve(target: Target, facts: ReportFacts, province: str, directory: Directory) -> list[BodyRef]:
    def in_scope(ref: BodyRef) -> bool:
        if ref.body_type != target.body_type or ref.level != target.scope or not ref.active:
            return False
        if ref.level == Level.PROVINCE:
            return ref.province == province
        if ref.level == Level.INSTITUTION:
            return ref.institution == facts.institution
        return True

    return sorted((ref for ref in directory.bodies if in_scope(ref)), key=lambda ref: ref.code)


def route(
    facts: ReportFacts,
    policy: Policy,
    directory: Directory,
    reporter_choices: list[str] = (),  # type: ignore[assignment]
) -> RoutingDecision:
    """Decide the recipients of a report.

    Policy rules add their targets (first matching rule gives the reason); the reporter may
    add any other body (Art. 114); if the result would break an always-hold rule, the
    policy's national fallback body is added. Raises ``UnknownBodyError`` for codes not in
    the directory or taxonomy, ``RoutingRuleError`` if even the fallback is missing.
    """
    if facts.category not in CATEGORY_CODES:
        raise UnknownBodyError(f"unknown category {facts.category}")
    province = directory.institution(facts.institution).province
    urgent = is_urgent(facts)
    chosen: dict[str, Recipient] = {}
    for rule in policy.rule:
        if rule.when.matches(facts.report_type, facts.category, facts.concerns, urgent):
            for target in rule.targets:
                for ref in _resolve(target, facts, province, directory):
                    chosen.setdefault(ref.code, Recipient(ref.code, RecipientVia.POLICY, rule.reason))
    for code in reporter_choices:
        ref = directory.body(code)
        chosen.setdefault(ref.code, Recipient(ref.code, RecipientVia.REPORTER_CHOICE, "reporter_choice"))
    if not satisfies_rules([directory.body(code) for code in chosen], facts, directory):
        fallback = _resolve(Target(policy.fallback_independent, "national"), facts, province, directory)
        if not fallback:
            raise RoutingRuleError("independent_body", "the directory lacks the fallback independent body")
        chosen.setdefault(
            fallback[0].code, Recipient(fallback[0].code, RecipientVia.POLICY, "fallback_independent")
        )
    deadline = next(
        d
        for d in policy.deadline
        if d.when.matches(facts.report_type, facts.category, facts.concerns, urgent)
    )
    return RoutingDecision(
        policy_version=policy.version,
        policy_sha256=policy.sha256,
        urgent=urgent,
        recipients=sorted(chosen.values(), key=lambda r: r.body),
        acknowledge_by=due(facts.received_at, deadline.acknowledge),
        feedback_by=due(facts.received_at, deadline.feedback),
    )


def refer(
    recipients: list[Recipient],
    facts: ReportFacts,
    directory: Directory,
    *,
    from_body: str,
    to_body: str,
    withdraw: bool = False,
) -> list[Recipient]:
    """A body refers a report to another; with ``withdraw`` it also leaves the case.

    The always-hold rules must still hold afterwards (``RoutingRuleError`` names the rule),
    so a referral can never leave a report only with the bodies it concerns.
    """
    current = {r.body: r for r in recipients}
    if from_body not in current:
        raise RoutingRuleError("referral", "only a body that holds the report can refer it")
    target = directory.body(to_body)
    if not target.active:
        raise UnknownBodyError(f"body {to_body} is not active")
    if withdraw:
        del current[from_body]
    current.setdefault(to_body, Recipient(to_body, RecipientVia.REFERRAL, f"referral_from:{from_body}"))
    if not satisfies_rules([directory.body(code) for code in current], facts, directory):
        raise RoutingRuleError(
            "conflict_of_interest",
            "after this referral no independent, unconcerned body would hold the report",
        )
    return sorted(current.values(), key=lambda r: r.body)


def escalate(
    recipients: list[Recipient], facts: ReportFacts, directory: Directory, overdue_body: str
) -> Recipient | None:
    """The next body up from one that missed a deadline (None at the top of the chain).

    Goes up the chain until it finds an active body that is not concerned by the report and
    not already a recipient (docs/ROUTING.md §6).
    """
    province = directory.institution(facts.institution).province
    present = {r.body for r in recipients}
    current = directory.body(overdue_body)
    for _ in range(10):
        parent = _parent(current, province, directory)
        if parent is None:
            return None
        body, local = _relative(parent, facts, province)
        if (
            parent.code not in present
            and parent.active
            and (not local or independent_unconflicted(body, facts.concerns))
        ):
            return Recipient(parent.code, RecipientVia.POLICY, f"escalation_from:{overdue_body}")
        current = parent
    return None


def _parent(ref: BodyRef, province: str, directory: Directory) -> BodyRef | None:
    kind = body_type(ref.body_type)
    if ref.level == Level.PROVINCE and Level.NATIONAL in kind.levels:
        candidates = [b for b in directory.bodies if b.body_type == kind.code and b.level == Level.NATIONAL]
    elif kind.escalates_to is None:
        return None
    else:
        up = body_type(kind.escalates_to)
        level = (
            Level.PROVINCE
            if Level.PROVINCE in up.levels and ref.level == Level.INSTITUTION
            else Level.NATIONAL
        )
        if level not in up.levels:
            level = up.levels[0]
        candidates = [
            b
            for b in directory.bodies
            if b.body_type == up.code
            and b.level == level
            and (level != Level.PROVINCE or b.province == province)
        ]
    return min(candidates, key=lambda b: b.code) if candidates else None
