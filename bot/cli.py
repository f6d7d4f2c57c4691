"""The `nyx` command: run, bot, worker, migrate, doctor."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure_logging, secrets_of

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

app = typer.Typer(help="Nyx Venatrix: a self-hosted job-application assistant in Telegram.", no_args_is_help=True)


def _settings(*, need_token: bool = True) -> Settings:
    try:
        settings = load_settings(need_token=need_token)
    except SettingsError as exc:
        typer.echo(f"nyx: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, secrets=secrets_of(settings), json=settings.log_format == "json")
    return settings


@contextlib.contextmanager
def _resolved(settings: Settings, *, embedded: bool) -> Iterator[Settings]:
    """Fill in DATABASE_URL / REDIS_URL from embedded servers when allowed, else insist on them."""
    need_pg, need_redis = settings.database_url is None, settings.redis_url is None
    if not (need_pg or need_redis):
        yield settings
        return
    if not embedded:
        missing = [name for name, need in (("DATABASE_URL", need_pg), ("REDIS_URL", need_redis)) if need]
        typer.echo(
            f"nyx: configuration error: {' and '.join(missing)} must be set (only `nyx run` embeds them)", err=True
        )
        raise typer.Exit(2)
    from bot.embedded import EmbeddedServiceError, start_embedded

    try:
        services = start_embedded(settings.data_dir, need_postgres=need_pg, need_redis=need_redis)
    except EmbeddedServiceError as exc:
        typer.echo(f"nyx: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        yield settings.model_copy(
            update={
                "database_url": settings.database_url or services.database_url,
                "redis_url": settings.redis_url or services.redis_url,
            }
        )
    finally:
        services.stop()


async def _serve(settings: Settings, roles) -> None:
    from bot.app import NyxApp
    from bot.services import Services

    services = await Services.connect(settings)
    nyx = NyxApp(services, roles)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await nyx.start()
        waiter = asyncio.create_task(nyx.wait())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, stopper], return_when=asyncio.FIRST_COMPLETED)
        if waiter.done():
            waiter.result()
        stopper.cancel()
        waiter.cancel()
    finally:
        await nyx.stop()
        await services.close()


def _run_roles(*, bot: bool, worker: bool, scheduler: bool, embedded: bool) -> None:
    from bot.app import Roles

    settings = _settings()
    with _resolved(settings, embedded=embedded) as resolved:
        asyncio.run(_serve(resolved, Roles(bot=bot, worker=worker, scheduler=scheduler)))


@app.command()
def run() -> None:
    """Bot, scheduler and worker in one process (embedded PostgreSQL/Redis when none is configured)."""
    _run_roles(bot=True, worker=True, scheduler=True, embedded=True)


@app.command("bot")
def bot_command() -> None:
    """The Telegram bot and the scheduler."""
    _run_roles(bot=True, worker=False, scheduler=True, embedded=False)


@app.command()
def worker() -> None:
    """A worker that fills forms in Chrome; run as many as you like."""
    _run_roles(bot=False, worker=True, scheduler=False, embedded=False)


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    from storage.migrate import migrate_url

    settings = _settings()
    with _resolved(settings, embedded=True) as resolved:
        assert resolved.database_url is not None  # _resolved fills it in or stops
        applied = asyncio.run(migrate_url(resolved.database_url))
    typer.echo(f"applied {len(applied)} migration(s)" if applied else "database is up to date")


@app.command()
def doctor() -> None:
    """Check token, database, Redis, Chrome, LLM and 2captcha: one line each."""
    from bot.doctor import run_checks

    settings = _settings()
    with _resolved(settings, embedded=True) as resolved:
        results = asyncio.run(run_checks(resolved))
    for result in results:
        typer.echo(result.line())
    if any(r.required and not r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def fill(
    url: str = typer.Argument(..., help="The job's application page"),
    profile: Path | None = typer.Option(None, "--profile", help="YAML/JSON profile (default: PROFILE_FILE)"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
    screenshot: Path | None = typer.Option(None, "--screenshot", help="Save the filled form as a PNG here"),
) -> None:
    """Fill a form from a profile without Telegram and stop before submitting; print what was found."""
    from automation.adapters.base import UnsupportedForm
    from automation.dry_run import dry_run
    from automation.urls import UnsafeUrl
    from bot.services import agent_config, browser_options
    from storage.profile_import import ProfileError, load_profile_file

    settings = _settings(need_token=False)
    path = profile or settings.profile_file
    if path is None:
        typer.echo("nyx: give a profile with --profile FILE or set PROFILE_FILE", err=True)
        raise typer.Exit(2)
    try:
        loaded, resume = load_profile_file(path)
        result = asyncio.run(
            dry_run(
                url,
                loaded,
                resume,
                browser_options(settings),
                allow_hosts=settings.url_allow_hosts,
                llm=_chat_model(settings),
                agent=agent_config(settings),
            )
        )
    except (ProfileError, UnsafeUrl, UnsupportedForm) as exc:
        typer.echo(f"nyx: {exc}", err=True)
        raise typer.Exit(1) from None
    if screenshot is not None:
        screenshot.write_bytes(result.form.screenshot)
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    captchas = ", ".join(c.kind for c in result.captchas) or "none"
    typer.echo(f"ATS: {result.ats}    CAPTCHA: {captchas}    form: {result.form.url}")
    for field in result.form.fields:
        mark = "ok " if field.ok and not (field.required and field.empty) else "!! "
        how = (
            f"empty: {field.reason.value}"
            if field.empty and field.reason
            else f"by {field.source.value}"
            if field.source
            else ""
        )
        typer.echo(
            f"{mark}{field.label[:40]:<40} {field.selector[:30]:<30} "
            f"intended={field.intended!r} actual={field.actual!r} {how}"
        )
    for question in result.would_ask:
        typer.echo(f"would ask: {question}")
    typer.echo(f"{len(result.form.problems)} problem(s); nothing was submitted.")


def _chat_model(settings: Settings) -> BaseChatModel | None:  # langchain is imported only when used
    """The configured LLM for the batched question call, as the apply flow uses it; None without a key."""
    if settings.llm_api_key is None:
        return None
    from automation.llm import LLMConfig, make_chat_model

    return make_chat_model(LLMConfig(settings.llm_base_url, settings.llm_api_key, settings.llm_model))


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
