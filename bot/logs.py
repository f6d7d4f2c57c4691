"""Logging: structlog over the standard library, console lines or JSON objects (LOG_FORMAT), with
the user and application ids a line was written for, and every secret scrubbed from the whole
rendered line (message, fields and traceback alike)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import structlog

if TYPE_CHECKING:
    from bot.config import Settings

REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter values would scrub ordinary words and numbers


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders a record, then replaces each secret in the finished text, tracebacks included."""

    def __init__(self, *args, secrets: Iterable[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Longest first, so a secret that contains another is scrubbed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def url_password(url: str | None) -> list[str]:
    """The password in a postgresql:// or redis:// URL, as written and percent-decoded."""
    if not url:
        return []
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


def secrets_of(settings: Settings) -> list[str]:
    """Every secret a setting holds: tokens, keys and the passwords inside DATABASE_URL and REDIS_URL."""
    held = [
        settings.telegram_bot_token,
        settings.llm_api_key,
        settings.twocaptcha_api_key,
        settings.webhook_secret,
        getattr(settings, "vibesurf_api_key", None),
        getattr(settings, "metrics_token", None),
        getattr(settings, "langfuse_secret_key", None),
    ]
    values = [secret.get_secret_value() for secret in held if secret is not None]
    if settings.telegram_bot_token is not None:  # the part after the bot id is the secret one
        values.append(settings.telegram_bot_token.get_secret_value().partition(":")[2])
    return values + url_password(settings.database_url) + url_password(settings.redis_url)


def configure_logging(level: str = "INFO", *, secrets: Iterable[str] = (), json: bool = False) -> None:
    """Once per process, before anything logs."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,  # user_id, application_id bound by the middleware and the worker
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # the traceback as one string field, "exception"
            structlog.processors.JSONRenderer(),
        ]
    else:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    formatter = RedactingFormatter(processors=processors, foreign_pre_chain=shared, secrets=secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiogram.event", "httpx", "browser_use", "cdp_use", "bubus"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
