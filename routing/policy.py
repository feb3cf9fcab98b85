"""The routing policy: a declarative, versioned, signed TOML file (docs/ROUTING.md §3).

A policy maps report type, category, concern, urgency, retaliation and place (province or
institution) to target body types and scopes, each with a reason code, and sets deadlines.
Whatever a policy says, the always-hold rules (§4) must hold: a policy that would break them
for any combination is refused when loaded, with an error naming the rule. A policy is used
only if the pinned root key signed it.
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from typing import Annotated, Literal

import msgspec

from crypto import PolicyReference, SignatureError, SignedDocument, verify_document
from routing.bodies import BODY_TYPES, UnknownBodyTypeError, body_type
from routing.deadlines import DurationError, parse_duration
from routing.errors import PolicyError
from routing.reasons import POLICY_REASONS
from routing.rules import (
    SeenBody,
    independent_unconflicted,
    is_conflicted,
    is_independent,
    outside_organization,
)
from routing.taxonomy import CATEGORIES, CATEGORY_CODES
from routing.vocabulary import Authority, Concern, Level, ReportType

MAX_POLICY_BYTES = 256 * 1024
# The always-hold rules are checked for every combination of facts in each kind of place.
MAX_PLACE_CLASSES = 64
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,59}\Z")]
PlaceCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}\Z")]
Scope = Literal["institution", "province", "national"]
_ELSEWHERE = ""  # a place no rule names


class When(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which reports a rule applies to; an empty list (or None) means any."""

    types: list[ReportType] = []
    categories: list[Code] = []
    concerns: list[Concern] = []
    urgent: bool | None = None
    retaliation: bool | None = None
    provinces: list[PlaceCode] = []
    institutions: list[PlaceCode] = []

    def matches(self, report: Situation) -> bool:
        return (
            (not self.types or report.report_type in self.types)
            and (not self.categories or report.category in self.categories)
            and (not self.concerns or report.concern in self.concerns)
            and (self.urgent is None or self.urgent == report.urgent)
            and (self.retaliation is None or self.retaliation == report.retaliation)
            and (not self.provinces or report.province in self.provinces)
            and (not self.institutions or report.institution in self.institutions)
        )


class Situation(msgspec.Struct, frozen=True):
    """What rules match on: a report's routing facts and its place."""

    report_type: str
    category: str
    concern: str
    urgent: bool
    retaliation: bool
    province: str
    institution: str


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Bodies of ``body_type`` in the report's own institution, province, or nationally."""

    body_type: Code
    scope: Scope


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """If ``when`` matches, every target becomes a recipient with ``reason``."""

    id: Code
    reason: Code
    targets: Annotated[list[Target], msgspec.Meta(min_length=1, max_length=32)]
    when: When = When()


class DeadlineRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The first matching deadline rule sets both deadlines."""

    acknowledge: str
    feedback: str
    when: When = When()


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A parsed, validated policy. ``sha256`` is the hash of the exact file bytes."""

    version: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z._-]{1,64}\Z")]
    fallback_independent: Code
    rule: Annotated[list[Rule], msgspec.Meta(min_length=1, max_length=500)]
    deadline: Annotated[list[DeadlineRule], msgspec.Meta(min_length=1, max_length=100)]
    sha256: bytes = b""


def parse_policy(data: bytes) -> Policy:
    """Parse and validate a policy file (unsigned: for authoring and tests).

    ``PolicyError`` names what is wrong: ``format`` for shape errors, or the always-hold rule
    the policy would break (``independent_body``, ``conflict_of_interest``,
    ``outside_organization``, ``fallback``).
    """
    if not isinstance(data, bytes) or len(data) > MAX_POLICY_BYTES:
        raise PolicyError("format", f"a policy file is bytes, at most {MAX_POLICY_BYTES} of them")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
        policy = msgspec.convert(raw, Policy, strict=True)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, msgspec.ValidationError, RecursionError) as error:
        raise PolicyError("format", f"not a valid policy file: {type(error).__name__}") from None
    policy = msgspec.structs.replace(policy, sha256=hashlib.sha256(data).digest())
    _check_codes(policy)
    _check_always_hold_rules(policy)
    return policy


def load_signed_policy(
    signed: SignedDocument, pinned_root_public: bytes, expected: PolicyReference | None
) -> Policy:
    """The policy, if the pinned root key signed exactly these bytes; else ``PolicyError``.

    ``expected`` is the policy reference of a verified (unexpired) signed directory: the
    policy must be that version with that hash, so an older signed policy cannot be
    replayed. A directory that names no policy gives ``None``, which is refused.
    """
    try:
        document = verify_document(signed, "policy", pinned_root_public)
    except SignatureError:
        raise PolicyError("signature", "the policy is unsigned, altered, or signed by another key") from None
    if expected is None:
        raise PolicyError("signature", "the signed directory names no policy")
    policy = parse_policy(document)
    if expected.version != policy.version or expected.sha256 != policy.sha256:
        raise PolicyError("signature", "the policy is not the one the signed directory names")
    return policy


def _check_codes(policy: Policy) -> None:
    ids = [rule.id for rule in policy.rule]
    if len(set(ids)) != len(ids):
        raise PolicyError("format", "rule ids must be unique")
    for rule in policy.rule:
        if rule.reason not in POLICY_REASONS:
            raise PolicyError(
                "format", f"rule {rule.id}: unknown reason code {rule.reason} (docs/ROUTING.md §5)"
            )
        for target in rule.targets:
            try:
                kind = body_type(target.body_type)
            except UnknownBodyTypeError:
                raise PolicyError("format", f"rule {rule.id}: unknown body type {target.body_type}") from None
            if Level(target.scope) not in kind.levels:
                raise PolicyError(
                    "format", f"rule {rule.id}: {target.body_type} has no {target.scope} offices"
                )
        unknown = set(rule.when.categories) - CATEGORY_CODES
        if unknown:
            raise PolicyError("format", f"rule {rule.id}: unknown categories {sorted(unknown)}")
    for deadline in policy.deadline:
        try:
            parse_duration(deadline.acknowledge)
            parse_duration(deadline.feedback)
        except DurationError as error:
            raise PolicyError("format", str(error)) from None
    if policy.deadline[-1].when != When():
        raise PolicyError("format", "the last deadline rule must apply to every report (an empty when)")


def _places(policy: Policy) -> list[tuple[str, str]]:
    """One (province, institution) for each set of rules whose place conditions a place can
    meet: places meeting the same rules route alike, so checking one of them is enough. (A
    policy naming 30 provinces and 30 institutions took half a minute to check pair by pair.)
    ``PolicyError`` if the rules tell more than ``MAX_PLACE_CLASSES`` kinds of place apart."""
    by_province = _place_classes([r.when.provinces for r in policy.rule])
    by_institution = _place_classes([r.when.institutions for r in policy.rule])
    if len(by_province) * len(by_institution) > MAX_PLACE_CLASSES:
        raise PolicyError("format", f"the rules tell more than {MAX_PLACE_CLASSES} kinds of place apart")
    places: dict[frozenset[int], tuple[str, str]] = {}
    for province_rules, province in by_province.items():
        for institution_rules, institution in by_institution.items():
            places.setdefault(province_rules & institution_rules, (province, institution))
    return sorted(places.values())


def _place_classes(conditions: list[list[str]]) -> dict[frozenset[int], str]:
    """For each set of rules a place code can meet (a rule with no condition is met by all),
    the first code, in order, that meets exactly those; ``_ELSEWHERE`` stands for any other."""
    classes: dict[frozenset[int], str] = {}
    for code in sorted({c for names in conditions for c in names} | {_ELSEWHERE}):
        met = frozenset(n for n, names in enumerate(conditions) if not names or code in names)
        classes.setdefault(met, code)
    return classes


def _check_always_hold_rules(policy: Policy) -> None:
    fallback = policy.fallback_independent
    if fallback not in {t.code for t in BODY_TYPES}:
        raise PolicyError("fallback", f"unknown body type {fallback}")
    kind = body_type(fallback)
    if Level.NATIONAL not in kind.levels or kind.authority == Authority.PRISONS_ORGANIZATION:
        raise PolicyError("fallback", "the fallback must be a national body outside the prisons organisation")
    outside_categories = {c.code for c in CATEGORIES if c.outside_organization}
    places = _places(policy)
    for report_type, category, concern, urgent, retaliation, (province, institution) in itertools.product(
        ReportType, sorted(CATEGORY_CODES), Concern, (False, True), (False, True), places
    ):
        report = Situation(report_type, category, concern, urgent, retaliation, province, institution)
        bodies = [
            SeenBody(body_type(t.body_type), Level(t.scope))
            for rule in policy.rule
            if rule.when.matches(report)
            for t in rule.targets
        ]
        where = f"type={report_type} category={category} concern={concern}"
        where += f" urgent={urgent} retaliation={retaliation}"
        if len(places) > 1:
            where += f" province={province or '*'} institution={institution or '*'}"
        if not any(is_independent(b) for b in bodies):
            raise PolicyError("independent_body", f"no body independent of the institution for {where}")
        if not any(independent_unconflicted(b, concern) for b in bodies):
            conflicted = sorted({b.type.code for b in bodies if is_conflicted(b, concern)})
            raise PolicyError(
                "conflict_of_interest", f"every independent body for {where} is concerned: {conflicted}"
            )
        needs_outside = category in outside_categories or retaliation
        if needs_outside and not any(
            outside_organization(b) and not is_conflicted(b, concern) for b in bodies
        ):
            raise PolicyError("outside_organization", f"no body outside the Prisons Organization for {where}")
