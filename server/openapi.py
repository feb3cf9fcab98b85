"""How Sedā's wire types appear in the OpenAPI schema (``/schema/openapi.json``).

Litestar describes a ``bytes`` field as UTF-8 text whose length bounds count bytes, but msgspec
sends bytes as standard base64, so a client (or a validator) that trusted the schema would
build refused requests and reject good answers. The patterns of the strict structs end in
Python's ``\\Z``, which is not an ECMA-262 regex (the dialect JSON Schema uses): there ``$``
is the end of the input, as ``\\Z`` is in Python. And a struct that refuses unknown fields is
an object closed to other properties. This plugin describes all three as they are on the
wire, from the same ``msgspec.Meta`` and struct options the decoders enforce.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

_B64 = "[A-Za-z0-9+/]"
# Padded endings: one byte more is two characters and "==", two bytes more are three and "=".
_TAILS = ("", f"{_B64}{{2}}==", f"{_B64}{{3}}=")
# Keys, digests, signatures, nonces, grants (up to 4 KiB): values whose exact form a pattern
# can spell out, so that a schema-valid string always decodes to an allowed length.
_MAX_EXACT_BYTES = 4096


def _constraints(field: FieldDefinition) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for meta in field.metadata:
        if isinstance(meta, msgspec.Meta):
            for name in ("min_length", "max_length", "pattern"):
                if getattr(meta, name) is not None:
                    found[name] = getattr(meta, name)
    return found


def base64_pattern(min_bytes: int, max_bytes: int | None) -> str | None:
    """The exact pattern of the standard base64 of ``min_bytes``..``max_bytes`` bytes, or None
    for long values (such a pattern is costly to match and to generate; the lengths bound them)."""
    if max_bytes is None or max_bytes > _MAX_EXACT_BYTES:
        return None
    choices = []
    for rest, tail in enumerate(_TAILS):
        low, high = max(0, math.ceil((min_bytes - rest) / 3)), (max_bytes - rest) // 3
        if low <= high:
            groups = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            choices.append(f"(?:{_B64}{{4}}){groups}{tail}")
    return "^(?:" + "|".join(choices) + ")$"


def _base64_length(size: int) -> int:
    return 4 * math.ceil(size / 3)


def portable_pattern(pattern: str) -> str:
    """``pattern`` (Python) in ECMA-262: a final ``\\Z`` (end of input) becomes ``$``."""
    if pattern.endswith("\\Z") and not pattern.endswith("\\\\Z"):
        return pattern[:-2] + "$"
    return pattern


def _is_strict_struct(field: FieldDefinition) -> bool:
    return (
        not field.is_union
        and field.is_subclass_of(msgspec.Struct)
        and field.type_.__struct_config__.forbid_unknown_fields
    )


class WireSchemaPlugin(OpenAPISchemaPlugin):
    """Describe ``bytes`` as base64 text, constrained ``str`` with portable patterns, and
    structs that forbid unknown fields as closed objects."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.annotation in (bytes, str) or _is_strict_struct(field_definition)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        if _is_strict_struct(field_definition):
            return self._closed_struct(field_definition, schema_creator)
        constraints = _constraints(field_definition)
        min_length, max_length = constraints.get("min_length"), constraints.get("max_length")
        if field_definition.annotation is str:
            pattern = constraints.get("pattern")
            return Schema(
                type=OpenAPIType.STRING,
                min_length=min_length,
                max_length=max_length,
                pattern=portable_pattern(pattern) if pattern else None,
            )
        return Schema(
            type=OpenAPIType.STRING,
            content_encoding="base64",
            min_length=_base64_length(min_length) if min_length else None,
            max_length=_base64_length(max_length) if max_length is not None else None,
            pattern=base64_pattern(min_length or 0, max_length),
        )

    def _closed_struct(self, field: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        """The schema Litestar's own struct plugin makes, closed to other properties."""
        struct_plugin = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self and schema_creator.plugin_supports_field(plugin, field)
        )
        schema = struct_plugin.to_openapi_schema(field_definition=field, schema_creator=schema_creator)
        schema.additional_properties = False
        return schema
