"""The routing policy: a declarative, versioned, signed TOML file (docs/ROUTING.md §3).

A policy maps report type, category, concern (and urgency) to target body types and scopes,
each with a reason code, and sets deadlines. Whatever a policy says, the always-hold rules
(§4) must hold: a policy that would break them for any combination is refused when loaded,
with an error naming the rule. A policy is used only if the pinned root key signed it.
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from typing import Annotated, Literal

import msgspec

from crypto import SignatureError, SignedDocument, verify_document
from routing.bodies import BODY_TYPES, body_type
from routing.deadlines import DurationError, parse_duration
from routing.errors import PolicyError
from routing.rules import AbstractBody, independent_unconflicted, is_conflicted, is_independent
from routing.taxonomy import CATEGORY_CODES
from routing.vocabulary import Authority, Concern, Level, ReportType

Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,59}\Z")]
Scope = Literal["institution", "province", "national"]


class When(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which reports a rule applies to; an empty list means any."""

    types: list[ReportType] = []
    categories: list[Code] = []
    concerns: list[Concern] = []
    urgent: bool | None = None

    def matches(self, report_type: str, category: str, concern: str, urgent: bool) -> bool:
        return (
            (not self.types or report_type in self.types)
            and (not self.categories or category in self.categories)
            and (not self.concerns or concern in self.concerns)
            and (self.urgent is None or self.urgent == urgent)
        )


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Bodies of ``body_type`` in the report's own institution, province, or nationally."""

    body_type: Code
    scope: Scope


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """If ``when`` matches, every target becomes a recipient with ``reason``."""

    id: Code
    reason: Code
    targets: Annotated[list[Target], msgspec.Meta(min_length=1)]
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
    rule: Annotated[list[Rule], msgspec.Meta(min_length=1)]
    deadline: Annotated[list[DeadlineRule], msgspec.Meta(min_length=1)]
    sha256: bytes = b""


def parse_policy(data: bytes) -> Policy:
    """Parse and validate a policy file (unsigned: for authoring and tests).

    ``PolicyError`` names what is wrong: ``format`` for shape errors, or the always-hold rule
    the policy would break (``independent_body``, ``conflict_of_interest``, ``fallback``).
    """
    try:
        raw = tomllib.loads(data.decode("utf-8"))
        policy = msgspec.convert(raw, Policy, strict=True)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, msgspec.ValidationError) as error:
        raise PolicyError("format", f"not a valid policy file: {error}") from None
    policy = msgspec.structs.replace(policy, sha256=hashlib.sha256(data).digest())
    _check_codes(policy)
    _check_always_hold_rules(policy)
    return policy


def load_signed_policy(signed: SignedDocument, pinned_root_public: bytes) -> Policy:
    """The policy, if the pinned root key signed exactly these bytes; else ``PolicyError``."""
    try:
        document = verify_document(signed, "policy", pinned_root_public)
    except SignatureError:
        raise PolicyError("signature", "the policy is unsigned, altered, or signed by another key") from None
    return parse_policy(document)


def _check_codes(policy: Policy) -> None:
    known_types = {t.code for t in BODY_TYPES}
    for rule in policy.rule:
        for target in rule.targets:
            if target.body_type not in known_types:
                raise PolicyError("format", f"rule {rule.id}: unknown body type {target.body_type}")
            if Level(target.scope) not in body_type(target.body_type).levels:
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


def _check_always_hold_rules(policy: Policy) -> None:
    fallback = policy.fallback_independent
    if fallback not in {t.code for t in BODY_TYPES}:
        raise PolicyError("fallback", f"unknown body type {fallback}")
    fallback_type = body_type(fallback)
    if (
        Level.NATIONAL not in fallback_type.levels
        or fallback_type.authority == Authority.PRISONS_ORGANIZATION
    ):
        raise PolicyError("fallback", "the fallback must be a national body outside the prisons organisation")
    for report_type, category, concern, urgent in itertools.product(
        ReportType, sorted(CATEGORY_CODES), Concern, (False, True)
    ):
        bodies = [
            AbstractBody(body_type(t.body_type), Level(t.scope))
            for rule in policy.rule
            if rule.when.matches(report_type, category, concern, urgent)
            for t in rule.targets
        ]
        where = f"type={report_type} category={category} concern={concern} urgent={urgent}"
        if not any(is_independent(b) for b in bodies):
            raise PolicyError("independent_body", f"no body independent of the institution for {where}")
        if not any(independent_unconflicted(b, concern) for b in bodies):
            conflicted = sorted({b.type.code for b in bodies if is_conflicted(b, concern)})
            raise PolicyError(
                "conflict_of_interest",
                f"every independent body for {where} is concerned by the report: {conflicted}",
            )
