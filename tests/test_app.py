"""The HTTP application: health, schema, problem+json errors, security headers."""

from __future__ import annotations

import json
from typing import Literal

import msgspec
import pytest
from litestar import get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.errors import PROBLEMS
from server.settings import Settings


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url)


async def test_healthz_reports_the_database_ok(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_a_503_problem_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unavailable"
    assert "127.0.0.1" not in response.text


async def test_openapi_schema_is_served_as_json_without_third_party_viewers(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        schema = await client.get("/schema/openapi.json")
        viewer = await client.get("/schema/swagger")
    assert schema.status_code == 200
    document = json.loads(schema.text)
    assert document["openapi"].startswith("3.1")
    assert "/healthz" in document["paths"]
    assert viewer.status_code == 404


async def test_errors_are_persian_problem_json_by_default_and_english_on_request(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        persian = await client.get("/no/such/place")
        english = await client.get("/no/such/place", headers={"accept-language": "en-GB,en;q=0.8"})
    for response in (persian, english):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:seda:problem:not-found"
    assert persian.headers["content-language"] == "fa"
    assert persian.json()["title"] == "پیدا نشد"
    assert english.json()["title"] == "Not found"


async def test_wrong_method_is_a_405_problem(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.post("/healthz", content=b"{}")
    assert response.status_code == 405
    assert response.json()["code"] == "method-not-allowed"


async def test_unexpected_exception_is_a_fixed_500_that_never_echoes_its_message(settings: Settings) -> None:
    @get("/explode", sync_to_thread=False)
    def explode() -> None:
        raise RuntimeError("canary-exception-7c1e")

    app = create_app(settings)
    app.register(explode)
    async with AsyncTestClient(app) as client:
        response = await client.get("/explode")
    assert response.status_code == 500
    assert response.json()["code"] == "internal-error"
    assert "canary" not in response.text


async def test_every_response_carries_the_security_headers(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        for path in ("/healthz", "/missing", "/schema/openapi.json"):
            response = await client.get(path)
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "default-src 'none'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "no-store"


def test_every_problem_has_a_client_or_server_error_status() -> None:
    assert all(400 <= problem.status < 600 for problem in PROBLEMS.values())


class _Probe(msgspec.Struct, forbid_unknown_fields=True):
    channel: Literal["kiosk", "web", "box"]
    count: int


async def test_validation_errors_name_the_field_but_never_echo_the_value(settings: Settings) -> None:
    @post("/probe", sync_to_thread=False)
    def probe(data: JSONBody[_Probe]) -> None:
        del data

    app = create_app(settings)
    app.register(probe)
    async with AsyncTestClient(app) as client:
        bad_value = await client.post("/probe", json={"channel": "canary-enum-3f", "count": 1})
        bad_key = await client.post("/probe", json={"channel": "web", "count": 1, "canary-key-9a": 1})
        bad_json = await client.post("/probe", content=b"{canary-json-77")
    for response in (bad_value, bad_key, bad_json):
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-request"
        assert "canary" not in response.text
    assert bad_value.json()["errors"][0]["key"] == "channel"


async def test_head_on_healthz_answers_for_probes(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""
