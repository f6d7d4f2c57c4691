"""Every process's monitoring listener: liveness, readiness (database, Redis, Telegram), Prometheus
metrics (behind METRICS_TOKEN when set), never on the webhook's port."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import NyxApp, Roles, Services
from bot.config import load_settings
from tests.support import ALLOWED_USER

TOKEN = "metrics-token-for-the-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def metrics_port() -> int:
    return _free_port()


@pytest.fixture
def settings_overrides(metrics_port: int) -> dict[str, object]:
    return {"metrics_port": metrics_port, "metrics_token": TOKEN}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(port: int, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as r:
        return r.status, await r.text()


async def test_liveness_and_readiness(nyx, metrics_port):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as response:
            assert response.status == 200 and (await response.json()) == {"status": "ok"}
        async with http.get(f"http://127.0.0.1:{metrics_port}/readyz") as response:
            assert response.status == 200
            assert (await response.json())["checks"] == {"database": "ok", "redis": "ok", "telegram": "ok"}


async def test_metrics_need_the_token_and_count_what_happened(nyx, fake_telegram, metrics_port):
    assert (await scrape(metrics_port, token=None))[0] == 401
    assert (await scrape(metrics_port, token="wrong"))[0] == 401
    status, before_text = await scrape(metrics_port)
    assert status == 200
    before = samples(before_text)

    user = fake_telegram.user(ALLOWED_USER)
    await user.send("Jobs: http://127.0.0.1:9/jobs/1 http://127.0.0.1:9/jobs/2")
    await fake_telegram.wait_for_message(lambda m: "/jobs/2" in m.body and m.buttons())
    after = samples((await scrape(metrics_port))[1])

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("nyx_updates_total", type="message", outcome="ok") >= 1
    assert grew("nyx_telegram_sent_total", method="sendMessage") >= 2
    assert after[("nyx_applications", (("status", "awaiting_approval"),))] == 2
    assert after[("nyx_queue_depth", ())] == 0
    assert ("nyx_browsers_in_use", ()) in after
    for family in ("nyx_telegram_rate_limited_total", "nyx_telegram_retries_total"):
        assert (family, ()) in after, family
    names = {family.name for family in text_string_to_metric_families((await scrape(metrics_port))[1])}
    # Families that have no sample until something happens are still declared for the dashboards.
    assert {
        "nyx_llm_tokens",
        "nyx_llm_calls",
        "nyx_captcha_solves",
        "nyx_fill_seconds",
        "nyx_prompt_wait_seconds",
        "nyx_apply_runs",
    } <= names


async def test_a_worker_is_not_ready_while_telegram_is_unreachable(settings, metrics_port):
    closed = _free_port()  # nothing listens there
    worker_settings = settings.model_copy(update={"telegram_api_base": f"http://127.0.0.1:{closed}"})
    services = await Services.connect(worker_settings)
    app = NyxApp(services, Roles(bot=False, worker=True, scheduler=False))
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as response:
                assert response.status == 200  # alive, so not restarted for an outage elsewhere
            async with http.get(f"http://127.0.0.1:{metrics_port}/readyz") as response:
                body = await response.json()
        assert response.status == 503
        assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
        assert body["checks"]["telegram"].startswith("unreachable")
    finally:
        await app.stop()
        await services.close()


def test_metrics_never_share_the_webhooks_port():
    from bot.config import SettingsError

    with pytest.raises(SettingsError, match="METRICS_PORT must differ from HTTP_PORT"):
        load_settings(_env_file=None, telegram_bot_token="1:abcdef", http_port=8080, metrics_port=8080)
