"""``/metrics``: Prometheus text, request counts released once an hour, no report data."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.db.types import round_down_to_hour
from server.metrics import hourly
from server.metrics.hourly import HourlyRequestMetrics, render, summed
from server.settings import Settings

# 10:30 in Tehran: the middle of a local hour.
MID_HOUR = round_down_to_hour(datetime(2026, 11, 20, 7, 0, tzinfo=UTC)) + timedelta(minutes=30)


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def healthz_count(text: str) -> float:
    key = ("seda_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))
    return samples(text).get(key, 0.0)


@pytest.fixture(autouse=True)
def quick_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hourly, "POLL_SECONDS", 0.02)


async def wait_for_release(client: AsyncTestClient, expected: float) -> str:  # type: ignore[type-arg]
    for _ in range(200):
        text = (await client.get("/metrics")).text
        if healthz_count(text) == expected:
            return text
        await asyncio.sleep(0.02)
    raise AssertionError(f"no release with {expected} /healthz requests")


async def test_request_counts_appear_only_once_the_local_hour_has_ended(
    migrated_url: str, tmp_path: Path
) -> None:
    clock = MovableClock(MID_HOUR)
    app = create_app(Settings(database_url=migrated_url, metrics_dir=str(tmp_path)), clock=clock)
    async with AsyncTestClient(app) as client:
        for _ in range(3):
            assert (await client.get("/healthz")).status_code == 200
        await asyncio.sleep(0.1)  # several looks at the clock: still the same hour
        first = await client.get("/metrics")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/plain")
        assert healthz_count(first.text) == 0
        clock.now = MID_HOUR + timedelta(minutes=31)  # the next local hour
        released = await wait_for_release(client, 3)
    values = samples(released)
    assert values[("seda_database_up", ())] == 1
    assert ("seda_build_info", (("version", "0.1.0"),)) in values
    count = ("seda_http_request_duration_seconds_count", (("route", "/healthz"),))
    assert values[count] == 3
    assert not any(name.endswith("_created") for name, _ in values)


async def test_a_clock_moved_back_releases_too_and_counters_never_go_down(
    migrated_url: str, tmp_path: Path
) -> None:
    clock = MovableClock(MID_HOUR)
    app = create_app(Settings(database_url=migrated_url, metrics_dir=str(tmp_path)), clock=clock)
    async with AsyncTestClient(app) as client:
        await client.get("/healthz")
        clock.now = MID_HOUR - timedelta(hours=5)
        await wait_for_release(client, 1)
        await client.get("/healthz")
        clock.now = MID_HOUR
        await wait_for_release(client, 2)


def test_the_snapshots_of_several_processes_are_summed(tmp_path: Path) -> None:
    clock = MovableClock(MID_HOUR)
    first, second = HourlyRequestMetrics(tmp_path, clock), HourlyRequestMetrics(tmp_path, clock)
    for metrics, count in ((first, 2), (second, 5)):
        for _ in range(count):
            metrics.observe_request("/healthz", "GET", 200, 0.003)
    clock.now = MID_HOUR + timedelta(hours=1)
    for metrics in (first, second):
        metrics.tick()
    second.observe_request("/healthz", "GET", 200, 0.003)  # counted in this hour, not released
    second.tick()
    text = render(summed(first.released_snapshots()))
    assert healthz_count(text) == 7
    assert len(list(tmp_path.glob("*.prom"))) == 2


def test_a_request_in_the_new_hour_is_not_in_the_release_of_the_hour_before(tmp_path: Path) -> None:
    clock = MovableClock(MID_HOUR)
    metrics = HourlyRequestMetrics(tmp_path, clock)
    metrics.observe_request("/healthz", "GET", 200, 0.003)
    clock.now = MID_HOUR + timedelta(minutes=30, seconds=5)  # five seconds into the next hour
    metrics.observe_request("/healthz", "GET", 200, 0.003)  # before the process looked
    assert metrics.released == b""  # a request never causes a release
    metrics.tick()
    assert healthz_count(metrics.released.decode()) == 1
    clock.now = MID_HOUR + timedelta(hours=1, minutes=30)
    metrics.tick()
    assert healthz_count(metrics.released.decode()) == 2


async def test_a_configured_token_is_required_and_a_wrong_one_looks_like_no_endpoint(
    migrated_url: str,
) -> None:
    token = "metrics-" + uuid.uuid4().hex
    app = create_app(Settings(database_url=migrated_url, metrics_token=token))
    async with AsyncTestClient(app) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert missing.status_code == wrong.status_code == 404
    assert missing.json()["code"] == "not-found"
    assert right.status_code == 200
    assert token not in right.text


async def test_metrics_name_route_templates_never_the_paths_or_queries_asked_for(
    migrated_url: str, tmp_path: Path
) -> None:
    canary = uuid.uuid4()
    clock = MovableClock(MID_HOUR)
    app = create_app(Settings(database_url=migrated_url, metrics_dir=str(tmp_path)), clock=clock)
    async with AsyncTestClient(app) as client:
        await client.get(f"/api/v1/reports/{canary}/nothing?secret=canary{canary.hex}")
        await client.get(f"/no/such/{canary.hex}")
        await client.get("/healthz")
        clock.now = MID_HOUR + timedelta(hours=1)
        text = await wait_for_release(client, 1)
    assert str(canary) not in text
    assert canary.hex not in text
    counted = [dict(labels) for name, labels in samples(text) if name == "seda_http_requests_total"]
    routes = {labels["route"] for labels in counted}
    assert "<unmatched>" in routes


async def test_database_down_shows_as_zero_not_as_an_error() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert samples(response.text)[("seda_database_up", ())] == 0
    assert "127.0.0.1" not in response.text


async def test_without_a_token_metrics_answer_only_a_server_listening_on_loopback(migrated_url: str) -> None:
    for host, expected in (("127.0.0.1", 200), ("::1", 200), ("localhost", 200), ("10.0.0.11", 404)):
        app = create_app(Settings(database_url=migrated_url, host=host))
        async with AsyncTestClient(app) as client:
            assert (await client.get("/metrics")).status_code == expected, host
            assert (await client.get("/metrics/")).status_code == expected, host
