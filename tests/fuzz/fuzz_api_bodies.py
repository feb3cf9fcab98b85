"""Every JSON request body the server decodes: the body types are read from the app's own
route handlers (a new endpoint is fuzzed without a change here), and each body is decoded
exactly as Litestar decodes it for that handler (``SedaRequest.json``, then conversion to the
handler's ``data`` annotation with the handler's deserializer).

Accepted: the errors the server answers 400 for — ``SerializationException``,
``UnicodeDecodeError`` or ``RecursionError`` while reading the JSON, ``msgspec.ValidationError``
while converting it; anything else would be a 500. Then the pure checks the server runs on a
decoded body before any database work: ``plan_submission`` for a report (a submission, a box
letter) with ``SedaError`` accepted, and ``context()`` of every sealed envelope and message in
a body, with ``EnvelopeFormatError`` accepted. Invariant: a decoded body encodes to JSON that
decodes to an equal body (the server stores and hashes re-encoded envelopes).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from functools import cache, partial
from typing import Any
from unittest import mock

import msgspec
from litestar._signature.model import _deserializer  # the one Litestar's signature models use
from litestar.exceptions import SerializationException
from litestar.handlers import HTTPRouteHandler
from litestar.serialization import decode_json

import crypto
import server.app
from server.app import create_app
from server.errors import SedaError
from server.intake.schemas import Submission
from server.intake.service import plan_submission
from server.settings import Settings
from tests.fuzz import samples
from tests.fuzz.bodies import minimal_body
from tests.fuzz.provider import Provider


class BodyType(msgspec.Struct, frozen=True):
    """One handler's body: its route (for messages), its annotation and its handler."""

    route: str
    annotation: Any
    handler: HTTPRouteHandler


@cache
def body_types() -> tuple[BodyType, ...]:
    """Every distinct JSON body type of the app's handlers, in a stable order."""
    with mock.patch.object(server.app, "configure_logging"):  # no global logging changes
        app = create_app(Settings(database_url="sqlite+aiosqlite://"))
    found: dict[str, BodyType] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and "data" in handler.parsed_fn_signature.parameters:
                annotation = handler.signature_model.__annotations__["data"]
                name = handler.parsed_fn_signature.parameters["data"].annotation.__qualname__
                found.setdefault(name, BodyType(route.path, annotation, handler))
    return tuple(found[name] for name in sorted(found))


def decode_body(kind: BodyType, raw: bytes) -> Any:
    """The body as the handler receives it; raises what Litestar turns into a 400."""
    value = decode_json(raw or b"null", type_decoders=kind.handler.resolve_type_decoders())
    hook = partial(_deserializer, default_deserializer=kind.handler.default_deserializer)
    return msgspec.convert(value, kind.annotation, strict=False, dec_hook=hook, str_keys=True)


def seeds() -> list[bytes]:
    found: list[bytes] = []
    for index, kind in enumerate(body_types()):
        found.append(bytes([index, 0]) + msgspec.json.encode(minimal_body(kind.annotation)))
        if kind.annotation.__origin__ is Submission:
            for tokened, escrow in ((False, False), (True, False), (True, True)):
                body = samples.submission(tokened=tokened, escrow=escrow)
                found.append(bytes([index, int(escrow)]) + msgspec.json.encode(body))
    return found


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    kinds = body_types()
    kind = kinds[provider.byte() % len(kinds)]
    forwarded = provider.byte() % 2 == 1  # from the front, like the kind: the body is the rest
    raw = provider.rest()
    try:
        body = decode_body(kind, raw)
    except (SerializationException, UnicodeDecodeError, RecursionError, msgspec.ValidationError):
        return
    assert decode_body(kind, msgspec.json.encode(body)) == body, kind.route
    check_decoded(body, forwarded)


def check_decoded(body: object, forwarded: bool) -> None:
    for part in _parts(body):
        if isinstance(part, Submission):
            try:
                planned = plan_submission(samples.world().trusted, part, samples.NOW, forwarded=forwarded)
            except SedaError:
                pass
            else:
                assert planned.report_id == uuid.UUID(part.envelope.report_id)
        if isinstance(part, crypto.ReportEnvelope | crypto.SealedMessage):
            with contextlib.suppress(crypto.EnvelopeFormatError):
                part.context()


def _parts(value: object) -> Iterator[object]:
    """``value`` and every struct inside it."""
    yield value
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from _parts(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _parts(item)
