"""A typed face on ``atheris.FuzzedDataProvider`` and the mutations the harnesses share.

A structured harness lets the fuzzer choose *which* valid object to change and *how* (a bit
flip, a cut, a replacement), so that its inputs reach the checks behind the decoders instead
of stopping at the first JSON error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import atheris  # type: ignore[import-untyped]

_T = TypeVar("_T")


class Provider:
    def __init__(self, data: bytes) -> None:
        self._fdp = atheris.FuzzedDataProvider(data)

    def byte(self) -> int:
        """The next byte from the front (0 when none is left): seeds start with the byte
        that picks a harness's mode. (The provider's integers come from the end.)"""
        taken = bytes(self._fdp.ConsumeBytes(1))
        return taken[0] if taken else 0

    def integer(self, low: int, high: int) -> int:
        return int(self._fdp.ConsumeIntInRange(low, high))

    def boolean(self) -> bool:
        return bool(self._fdp.ConsumeBool())

    def pick(self, values: Sequence[_T]) -> _T:
        return values[self.integer(0, len(values) - 1)]

    def data(self, most: int) -> bytes:
        return bytes(self._fdp.ConsumeBytes(most))

    def text(self, most: int) -> str:
        return str(self._fdp.ConsumeUnicodeNoSurrogates(most))

    def rest(self) -> bytes:
        return bytes(self._fdp.ConsumeBytes(self._fdp.remaining_bytes()))

    def mutate(self, value: bytes) -> bytes:
        """``value`` changed one way the fuzzer picks: bit flip, cut, extension, overwrite,
        or wholesale replacement. May return ``value`` unchanged; callers compare."""
        how = self.integer(0, 5)
        if how == 0 and value:
            position = self.integer(0, len(value) * 8 - 1)
            changed = bytearray(value)
            changed[position // 8] ^= 1 << (position % 8)
            return bytes(changed)
        if how == 1:
            return value[: self.integer(0, len(value))]
        if how == 2:
            return value[self.integer(0, len(value)) :]
        if how == 3:
            return value + self.data(64)
        if how == 4 and value:
            start = self.integer(0, len(value) - 1)
            patch = self.data(16)
            return value[:start] + patch + value[start + len(patch) :]
        return self.data(4096)
