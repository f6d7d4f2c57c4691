"""Database URLs for tests that make databases of their own."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, name: str) -> str:
    """The same server URL pointed at another database (works for host and unix-socket forms)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
