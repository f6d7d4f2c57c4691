"""The deployment files: both compose files valid under the Compose Specification's JSON schema
(deploy/compose-spec/), their services, networks, volumes and variables consistent with each other,
with .env.example and with Nyx's settings; each container given only the secrets it uses; stop grace
periods longer than the shutdowns; and the image's health check really asking /readyz."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from automation.browser import KILL_TIMEOUT_S
from bot.app import UPDATE_GRACE_S
from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "deploy/compose-spec/compose-spec.json").read_text())
COMPOSE_FILES = {
    "docker-compose.yml": ROOT / ".env.example",
    "docker-compose.shared-db.yml": ROOT / "deploy/shared-db/.env.example",
}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?:[:?+-][^}]*)?\}")
SECRETS = {
    "TELEGRAM_BOT_TOKEN",
    "WEBHOOK_SECRET",
    "LLM_API_KEY",
    "TWOCAPTCHA_API_KEY",
    "VIBESURF_API_KEY",
    "METRICS_TOKEN",
    "LANGFUSE_SECRET_KEY",
}


def compose(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def example_names(path: Path) -> set[str]:
    return {line.split("=", 1)[0] for line in path.read_text().splitlines() if re.match(r"[A-Z0-9_]+=", line)}


def duration_s(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text))


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_files_follow_the_compose_specification(name):
    errors = sorted(Draft7Validator(SCHEMA).iter_errors(compose(name)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_file():
    broken = compose("docker-compose.yml")
    broken["services"]["worker"]["stop_grace_period"] = {"seconds": 60}
    broken["services"]["bot"]["restrat"] = "always"
    assert len(list(Draft7Validator(SCHEMA).iter_errors(broken))) >= 2


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_services_networks_and_volumes_refer_to_what_is_defined(name):
    spec = compose(name)
    services, networks, volumes = spec["services"], spec.get("networks", {}), spec.get("volumes", {})
    for service_name, service in services.items():
        for network in service.get("networks", []):
            assert network == "default" or network in networks, f"{service_name}: network {network} is not defined"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if not source.startswith((".", "/", "$")):
                assert source in volumes, f"{service_name}: volume {source} is not defined"
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{service_name} depends on an unknown service {needed}"
    used_volumes = {str(v).split(":", 1)[0] for s in services.values() for v in s.get("volumes", [])}
    assert set(volumes) <= used_volumes, "a volume is defined that no service uses"


@pytest.mark.parametrize(("name", "example"), COMPOSE_FILES.items())
def test_every_variable_the_file_reads_is_in_its_env_example(name, example):
    referenced = set(VARIABLE.findall((ROOT / name).read_text()))
    missing = referenced - example_names(example)
    assert not missing, f"{name} reads {sorted(missing)}, which {example.relative_to(ROOT)} does not list"


def test_every_variable_given_to_nyx_is_a_setting():
    settings = {name.upper() for name in Settings.model_fields}
    for service_name in ("migrate", "bot", "worker"):
        environment = compose("docker-compose.yml")["services"][service_name]["environment"]
        unknown = set(environment) - settings
        assert not unknown, f"{service_name} gets {sorted(unknown)}, which Nyx does not read"


def interpolated(value: object, dotenv: dict[str, str]) -> str:
    """A value as Compose fills it in from `dotenv`: ${X:-default}, ${X:?error} and ${X}."""

    def fill(match: re.Match[str]) -> str:
        name, rest = match["name"], match["rest"] or ""
        if name in dotenv:
            return dotenv[name]
        assert not rest.startswith(":?"), f"{name} is required by the compose file"
        return rest[2:] if rest.startswith(":-") else ""

    return re.sub(r"\$\{(?P<name>[A-Z0-9_]+)(?P<rest>:[?-][^}]*)?\}", fill, str(value))


@pytest.mark.parametrize("service", ["migrate", "bot", "worker"])
def test_each_container_starts_with_a_dotenv_holding_only_what_is_required(service, monkeypatch):
    """Compose hands every setting it lists to the container, the ones .env leaves out as empty strings
    (`LLM_PRICES: ${LLM_PRICES:-}`): each must read as "not set", whatever its type."""
    dotenv = {"TELEGRAM_BOT_TOKEN": "123456:ABC-DEF", "NYX_DB_PASSWORD": "0a1b2c3d"}
    environment = compose("docker-compose.yml")["services"][service]["environment"]
    for name in {name.upper() for name in Settings.model_fields}:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, interpolated(value, dotenv))

    settings = load_settings(_env_file=None)

    assert settings.llm_prices == {} and settings.profile_file is None and settings.webhook_url is None
    assert settings.database_url == "postgresql://nyx_venatrix:0a1b2c3d@shared-postgres:5432/nyx_venatrix"


def test_each_container_receives_only_the_secrets_it_uses():
    services = compose("docker-compose.yml")["services"]

    def secrets(service: str) -> set[str]:
        return SECRETS & set(services[service]["environment"])

    assert secrets("migrate") == {"TELEGRAM_BOT_TOKEN", "METRICS_TOKEN"}
    assert secrets("bot") == {
        "TELEGRAM_BOT_TOKEN",
        "WEBHOOK_SECRET",
        "LLM_API_KEY",
        "METRICS_TOKEN",
        "LANGFUSE_SECRET_KEY",
    }
    assert secrets("worker") == {
        "TELEGRAM_BOT_TOKEN",
        "LLM_API_KEY",
        "TWOCAPTCHA_API_KEY",
        "VIBESURF_API_KEY",
        "METRICS_TOKEN",
        "LANGFUSE_SECRET_KEY",
    }
    for service in ("migrate", "bot", "worker"):
        assert "env_file" not in services[service], "an env_file would hand the container every secret of .env"


def test_stop_grace_periods_outlast_the_graceful_shutdowns():
    services = compose("docker-compose.yml")["services"]
    assert duration_s(services["bot"]["stop_grace_period"]) >= 2 * UPDATE_GRACE_S
    assert duration_s(services["worker"]["stop_grace_period"]) >= KILL_TIMEOUT_S + 20


def test_the_webhook_is_published_and_the_profile_mounted_where_the_settings_point():
    bot = compose("docker-compose.yml")["services"]["bot"]
    environment = bot["environment"]
    assert environment["HTTP_HOST"] == "0.0.0.0"
    assert any(port.endswith(f":{environment['HTTP_PORT']}") for port in bot["ports"])
    # PROFILE_FILE=profile/<file> means the same file on the host (next to this file) and in the container.
    assert "./profile:/home/nyx/profile:ro" in bot["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "WORKDIR /home/nyx" in dockerfile.rsplit("USER nyx", 1)[1]


def test_every_nyx_container_has_a_health_check_on_its_metrics_port():
    services = compose("docker-compose.yml")["services"]
    for name in ("bot", "worker"):
        test = " ".join(services[name]["healthcheck"]["test"])
        port = services[name]["environment"]["METRICS_PORT"]
        assert f"http://127.0.0.1:{port}/readyz" in test, name
    assert services["migrate"]["healthcheck"] == {"disable": True}


def dockerfile_health_check() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return json.loads(re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", text, re.MULTILINE).group(1))


@pytest.fixture
def settings_overrides():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return {"metrics_port": sock.getsockname()[1]}


async def test_the_images_health_check_passes_when_ready_and_fails_when_not(nyx, settings):
    from aiohttp import web

    command = dockerfile_health_check()
    assert command[0] == "python"

    async def run(port: int) -> int:
        env = {**os.environ, "METRICS_PORT": str(port)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command[1:], env=env, stderr=asyncio.subprocess.DEVNULL
        )
        return await asyncio.wait_for(process.wait(), 30)

    assert await run(settings.metrics_port) == 0

    async def readyz(request: web.Request) -> web.Response:
        return web.json_response({"status": "not ready"}, status=503)

    not_ready = web.Application()
    not_ready.router.add_get("/readyz", readyz)
    runner = web.AppRunner(not_ready)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        assert await run(port) != 0
    finally:
        await runner.cleanup()
    assert await run(port) != 0  # nothing listening at all
