"""Routing's errors. Messages name the rule or the field at fault, never report content."""

from __future__ import annotations


class RoutingError(Exception):
    """Base of every error raised by ``routing``."""


class PolicyError(RoutingError):
    """A policy file is malformed, unsigned, altered, or would break an always-hold rule.

    ``rule`` names the broken rule (see docs/ROUTING.md §4) or ``format``/``signature``.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"[{rule}] {message}")
        self.rule = rule


class RoutingRuleError(RoutingError):
    """A decision or a referral would break an always-hold rule (``rule`` names it)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"[{rule}] {message}")
        self.rule = rule


class UnknownBodyError(RoutingError):
    """A body, institution or code is not in the directory or the vocabulary."""
