"""Routing decisions, referrals and escalations on a concrete directory of bodies.

Pure and deterministic: the same facts, policy and directory give byte-identical output
(``encode_decision``); time is passed in. The same code runs on kiosks and on the server
(which re-runs it to check what a client sealed to).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from crypto import DirectoryEntry, KeyDirectory, RoutingMetadata
from routing.bodies import UnknownBodyTypeError, body_type
from routing.deadlines import due
from routing.errors import RoutingRuleError, UnknownBodyError
from routing.policy import Policy, Situation, Target
from routing.rules import (
    SeenBody,
    independent_unconflicted,
    is_conflicted,
    is_independent,
    outside_organization,
)
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


def directory_from_signed(signed_directory: KeyDirectory) -> Directory:
    """Routing's directory from a *verified* signed directory: bodies, keys and jurisdictions
    all come from what the root key signed, so a server cannot move an institution to
    another province to redirect its reports."""
    return Directory(
        bodies=body_refs(signed_directory.bodies),
        institutions=[InstitutionRef(i.code, i.province) for i in signed_directory.institutions],
    )


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


def facts_from_metadata(
    routing: RoutingMetadata, received_at: datetime, *, retaliation: bool = False
) -> ReportFacts:
    """The routing facts of an envelope's routing metadata (what the server sees).

    Raises ``ValueError`` for a code this version's vocabulary lacks.
    """
    return ReportFacts(
        institution=routing.institution,
        report_type=ReportType(routing.report_type),
        category=routing.category,
        concerns=Concern(routing.concerns),
        urgency=Urgency(routing.urgency),
        received_at=received_at,
        retaliation=retaliation,
    )


class Recipient(msgspec.Struct, frozen=True):
    """One body that receives the report, why (docs/ROUTING.md §5), and whether it may be
    given the reporter's identity (not if the report concerns it, unless the reporter chose it).
    """

    body: str
    via: RecipientVia
    reason: str
    identity: bool = True


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


class _View:
    """Bodies seen from one report: locality, conflicts, and the rule check."""

    def __init__(self, facts: ReportFacts, directory: Directory) -> None:
        if facts.category not in CATEGORY_CODES:
            raise UnknownBodyError(f"unknown category {facts.category}")
        self.facts = facts
        self.directory = directory
        self.province = directory.institution(facts.institution).province

    def seen(self, ref: BodyRef) -> SeenBody:
        local = (
            ref.level == Level.NATIONAL
            or (ref.level == Level.PROVINCE and ref.province == self.province)
            or (ref.level == Level.INSTITUTION and ref.institution == self.facts.institution)
        )
        try:
            kind = body_type(ref.body_type)
        except UnknownBodyTypeError:
            raise UnknownBodyError(f"body {ref.code} has a type this version does not know") from None
        return SeenBody(kind, ref.level, local)

    def conflicted(self, ref: BodyRef) -> bool:
        return is_conflicted(self.seen(ref), self.facts.concerns)

    def broken_rule(self, codes: Sequence[str]) -> str | None:
        """The first always-hold rule these recipients break (only active bodies count)."""
        seen = [self.seen(ref) for ref in (self.directory.body(code) for code in codes) if ref.active]
        if not any(is_independent(body) for body in seen):
            return "independent_body"
        if not any(independent_unconflicted(body, self.facts.concerns) for body in seen):
            return "conflict_of_interest"
        needs_outside = category(self.facts.category).outside_organization or self.facts.retaliation
        if needs_outside and not any(
            outside_organization(body) and not is_conflicted(body, self.facts.concerns) for body in seen
        ):
            return "outside_organization"
        return None

    def situation(self, urgent: bool) -> Situation:
        f = self.facts
        return Situation(
            f.report_type, f.category, f.concerns, urgent, f.retaliation, self.province, f.institution
        )

    def resolve(self, target: Target) -> list[BodyRef]:
        def in_scope(ref: BodyRef) -> bool:
            if ref.body_type != target.body_type or ref.level != target.scope or not ref.active:
                return False
            if ref.level == Level.PROVINCE:
                return ref.province == self.province
            if ref.level == Level.INSTITUTION:
                return ref.institution == self.facts.institution
            return True

        return sorted((ref for ref in self.directory.bodies if in_scope(ref)), key=lambda ref: ref.code)


def satisfies_rules(codes: Sequence[str], facts: ReportFacts, directory: Directory) -> bool:
    """Do these recipients meet every always-hold rule (docs/ROUTING.md §4)?"""
    return _View(facts, directory).broken_rule(codes) is None


def route(
    facts: ReportFacts, policy: Policy, directory: Directory, reporter_choices: Sequence[str] = ()
) -> RoutingDecision:
    """Decide the recipients of a report.

    Policy rules add their targets (the first matching rule gives the reason); the reporter
    may add any other active body (Art. 114); if the result would break an always-hold rule,
    the policy's national fallback body is added. Raises ``UnknownBodyError`` for codes not
    in the directory or taxonomy (or inactive choices), ``RoutingRuleError`` if even the
    fallback cannot satisfy the rules.
    """
    view = _View(facts, directory)
    urgent = is_urgent(facts)
    situation = view.situation(urgent)
    chosen: dict[str, Recipient] = {}
    for rule in policy.rule:
        if rule.when.matches(situation):
            for target in rule.targets:
                for ref in view.resolve(target):
                    identity = not view.conflicted(ref)
                    chosen.setdefault(
                        ref.code, Recipient(ref.code, RecipientVia.POLICY, rule.reason, identity)
                    )
    for code in reporter_choices:
        ref = directory.body(code)
        if not ref.active:
            raise UnknownBodyError(f"body {code} is not active")
        chosen.setdefault(ref.code, Recipient(ref.code, RecipientVia.REPORTER_CHOICE, "reporter_choice"))
    if view.broken_rule(list(chosen)) is not None:
        for ref in view.resolve(Target(policy.fallback_independent, "national")):
            chosen.setdefault(ref.code, Recipient(ref.code, RecipientVia.POLICY, "fallback_independent"))
            break
        broken = view.broken_rule(list(chosen))
        if broken is not None:
            raise RoutingRuleError(broken, "the directory lacks the bodies the rules require")
    deadline = next(d for d in policy.deadline if d.when.matches(situation))
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
    so a referral can never leave a report only with bodies it concerns or inactive ones.
    """
    view = _View(facts, directory)
    current = {r.body: r for r in recipients}
    if from_body not in current:
        raise RoutingRuleError("referral", "only a body that holds the report can refer it")
    target = directory.body(to_body)
    if not target.active:
        raise UnknownBodyError(f"body {to_body} is not active")
    if withdraw:
        del current[from_body]
    identity = not view.conflicted(target)
    current.setdefault(
        to_body, Recipient(to_body, RecipientVia.REFERRAL, f"referral_from:{from_body}", identity)
    )
    broken = view.broken_rule(list(current))
    if broken is not None:
        raise RoutingRuleError(broken, "after this referral the report would break an always-hold rule")
    return sorted(current.values(), key=lambda r: r.body)


def escalate(
    recipients: list[Recipient], facts: ReportFacts, directory: Directory, overdue_body: str
) -> Recipient | None:
    """The next body up from a recipient that missed a deadline (None at the top).

    Climbs the chain (docs/ROUTING.md §6), skipping levels the directory lacks, bodies that
    are inactive, concerned by the report, or already recipients. Raises ``RoutingRuleError``
    when ``overdue_body`` is not a recipient, ``UnknownBodyError`` for a body, institution or
    category not in the directory or the taxonomy.
    """
    view = _View(facts, directory)
    present = {r.body for r in recipients}
    if overdue_body not in present:
        raise RoutingRuleError("escalation", "only a body that holds the report can miss its deadline")
    overdue = directory.body(overdue_body)
    kind, level = view.seen(overdue).type, overdue.level
    for _ in range(20):
        step = _up(kind.code, level)
        if step is None:
            return None
        kind, level = body_type(step[0]), step[1]
        for ref in view.resolve(Target(kind.code, level.value)):
            if ref.code not in present and independent_unconflicted(view.seen(ref), facts.concerns):
                return Recipient(ref.code, RecipientVia.POLICY, f"escalation_from:{overdue_body}")
    return None


def escalation_targets(
    recipients: list[Recipient], facts: ReportFacts, directory: Directory
) -> list[Recipient]:
    """Every body the first escalation from one of ``recipients`` would reach.

    For each recipient, ``escalate`` names the next body up; the result is the distinct
    bodies so named (never a recipient already), sorted by code, each with the reason
    ``escalation_from:<code>`` of the first recipient, by code, that escalates to it, and
    ``identity`` as ``route`` decides it (true: ``escalate`` skips concerned bodies). The
    reporter's device escrows a wrap of the report's keys to each of them at submission,
    and the server checks it escrowed to exactly these (docs/PROTOCOL.md §3.7). Raises
    ``UnknownBodyError`` for a recipient, institution or category not in the directory or
    the taxonomy.
    """
    view = _View(facts, directory)
    targets: dict[str, Recipient] = {}
    for holder in sorted(recipients, key=lambda r: r.body):
        up = escalate(recipients, facts, directory, holder.body)
        if up is not None and up.body not in targets:
            identity = not view.conflicted(directory.body(up.body))
            targets[up.body] = msgspec.structs.replace(up, identity=identity)
    return sorted(targets.values(), key=lambda r: r.body)


def _up(type_code: str, level: Level) -> tuple[str, Level] | None:
    """One step up: the national office of the same type, else the type it escalates to."""
    kind = body_type(type_code)
    if level == Level.PROVINCE and Level.NATIONAL in kind.levels:
        return kind.code, Level.NATIONAL
    if kind.escalates_to is None:
        return None
    parent = body_type(kind.escalates_to)
    if level == Level.INSTITUTION and Level.PROVINCE in parent.levels:
        return parent.code, Level.PROVINCE
    return parent.code, Level.NATIONAL if Level.NATIONAL in parent.levels else parent.levels[0]
