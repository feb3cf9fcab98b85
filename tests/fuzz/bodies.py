"""A valid JSON value for any msgspec type, read from its own constraints: the seed a body
type starts from, so that a new endpoint's body is fuzzed from a decodable example at once.

Every field is given (the first non-null choice of a union), sizes at their least allowed,
strings from a few candidates until one matches the pattern (each pattern in the wire structs
is met by one of them).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from msgspec import inspect

_CANDIDATES = (
    "abc",
    "fa",
    "000000",
    "4e1c6bb2-50b5-4cb7-9a31-3c1f4f0c2b6d",
    "2026-12-01T09:00:00Z",
    "complaint",
)


def minimal_body(annotation: Any) -> Any:
    """A JSON-ready value (bytes as base64, times as ISO text) of ``annotation``."""
    return _value(inspect.type_info(annotation))


def _value(info: inspect.Type) -> Any:  # noqa: PLR0911, PLR0912 (one case per msgspec type)
    match info:
        case inspect.Metadata():
            return _value(info.type)
        case inspect.StructType():
            return {field.encode_name: _value(field.type) for field in info.fields}
        case inspect.UnionType():
            choices = [t for t in info.types if not isinstance(t, inspect.NoneType)]
            return _value(choices[0]) if choices else None
        case inspect.StrType():
            return _text(info)
        case inspect.BytesType():
            return base64.b64encode(
                bytes(max(info.min_length or 0, 1 if info.max_length != 0 else 0))
            ).decode()
        case inspect.IntType():
            low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else 0)
            return max(low, 1) if info.le is None or info.le >= 1 else low
        case inspect.BoolType():
            return False
        case inspect.FloatType():
            return 1.0
        case inspect.ListType() | inspect.SetType() | inspect.FrozenSetType():
            return [_value(info.item_type) for _ in range(info.min_length or 0)]
        case inspect.DictType():
            return {}
        case inspect.LiteralType():
            return info.values[0]
        case inspect.EnumType():
            return next(iter(info.cls)).value
        case inspect.DateTimeType():
            return datetime(2026, 12, 1, 9, tzinfo=UTC).isoformat()
        case inspect.UUIDType():
            return _CANDIDATES[3]
        case inspect.NoneType():
            return None
    raise TypeError(f"no example for {type(info).__name__}")  # a new kind of field: add it here


def _text(info: inspect.StrType) -> str:
    least = info.min_length or 0
    for candidate in _CANDIDATES:
        text = candidate + "a" * max(0, least - len(candidate))
        fits = info.max_length is None or len(text) <= info.max_length
        if fits and (info.pattern is None or re.search(info.pattern, text)):
            return text
    raise ValueError(f"no example matches {info.pattern!r}")  # add a candidate for it
