"""Riding out a PostgreSQL or Redis restart: one bounded retry policy for every call a worker or the bot makes.

A restart shows up as connection-class errors for a few seconds: the server refuses connections,
says it is starting up, or drops the connection a statement was using. `ResilientPool` wraps the
asyncpg pool the repositories use and retries, with exponential back-off, a cap and a total
deadline (tenacity), only when repeating cannot do anything twice:

- the error came while getting a connection (the statement never reached the server), or
- the statement is a read, or its caller marked it `replay=True` (idempotent: a heartbeat, a
  guarded UPDATE whose repetition is a check of state).

A write that lost its connection mid-way may or may not have been committed: it is not repeated;
`OutcomeUnknown` is raised so the caller can look at the row and decide. `redis_retry()` gives
redis-py the same policy for Redis (its own `Retry` support, used by arq and the bridge).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from redis.asyncio.retry import Retry as RedisRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_delay, wait_exponential_jitter

from storage.errors import NyxError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors that mean PostgreSQL is not there (yet): the statement was never sent.
_UNREACHABLE = (
    OSError,  # refused, reset or unreachable while connecting
    asyncio.TimeoutError,  # connecting timed out
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.TooManyConnectionsError,  # 53300: the restarted server is still full of old backends
)
# Errors that mean the connection died under a statement: it may have been committed.
_CONNECTION_LOST = (
    OSError,
    asyncpg.ConnectionDoesNotExistError,  # "connection was closed in the middle of operation"
    asyncpg.AdminShutdownError,  # 57P01: terminated by a fast shutdown
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionFailureError,  # class 08
)
# Redis: only connection-class errors, never replies such as WRONGTYPE.
REDIS_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class OutcomeUnknown(NyxError):
    """The connection died while a write ran: it may or may not have taken effect."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off from `first` seconds up to `cap`, giving up after `deadline` seconds in all."""

    first: float = 0.1
    cap: float = 3.0
    deadline: float = 60.0

    def retrying(self, retry_on: Callable[[BaseException], bool], what: str) -> AsyncRetrying:
        return AsyncRetrying(
            retry=retry_if_exception(retry_on),
            wait=wait_exponential_jitter(initial=self.first, max=self.cap),
            stop=stop_after_delay(self.deadline),
            before_sleep=_log_retry(what),
            reraise=True,
        )

    async def call(self, work: Callable[[], Awaitable[T]], retry_on: Callable[[BaseException], bool], what: str) -> T:
        async for attempt in self.retrying(retry_on, what):
            with attempt:
                return await work()
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


DEFAULT_POLICY = RetryPolicy()


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        error = error.error if isinstance(error, _NotSent) else error
        log.warning(
            "%s failed (%s: %s); retry %d in %.1f s",
            what,
            type(error).__name__,
            error,
            state.attempt_number,
            state.upcoming_sleep,
        )

    return before_sleep


def _is_read(query: str) -> bool:
    return query.lstrip().upper().startswith("SELECT")


class _NotSent(NyxError):
    """Wraps an error raised before the statement reached the server: always safe to retry."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class ResilientPool:
    """The asyncpg pool's query methods, retried across a server restart (see the module's docstring).

    `acquire()` retries getting the connection only: what the caller then does on it (a
    transaction) is its own, and a connection lost in the middle surfaces as the error it is.
    """

    def __init__(self, pool: asyncpg.Pool, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._pool = pool
        self._policy = policy

    @property
    def raw(self) -> asyncpg.Pool:
        return self._pool

    async def execute(self, query: str, *args: Any, timeout: float | None = None, replay: bool = False) -> str:
        return await self._run(query, replay, lambda conn: conn.execute(query, *args, timeout=timeout))

    async def executemany(self, query: str, args: Any, *, timeout: float | None = None) -> None:
        await self._run(query, False, lambda conn: conn.executemany(query, args, timeout=timeout))

    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, replay: bool = False
    ) -> list[asyncpg.Record]:
        return await self._run(query, replay, lambda conn: conn.fetch(query, *args, timeout=timeout))

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None, replay: bool = False) -> Any:
        return await self._run(query, replay, lambda conn: conn.fetchrow(query, *args, timeout=timeout))

    async def fetchval(self, query: str, *args: Any, timeout: float | None = None, replay: bool = False) -> Any:
        return await self._run(query, replay, lambda conn: conn.fetchval(query, *args, timeout=timeout))

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await self._policy.call(self._pool.acquire, _unreachable, "connecting to PostgreSQL")
        try:
            yield conn
        finally:
            await self._pool.release(conn)

    async def close(self) -> None:
        await self._pool.close()

    def terminate(self) -> None:
        self._pool.terminate()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)  # sizes and other read-only introspection

    async def _run(self, query: str, replay: bool, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        replayable = replay or _is_read(query)

        async def once() -> T:
            try:
                conn = await self._pool.acquire()
            except _UNREACHABLE as exc:
                raise _NotSent(exc) from exc
            try:
                return await work(conn)
            except _CONNECTION_LOST as exc:
                if replayable:
                    raise
                raise OutcomeUnknown(f"the connection to PostgreSQL was lost during a write: {exc}") from exc
            finally:
                await _release(self._pool, conn)

        def retryable(error: BaseException) -> bool:
            return isinstance(error, _NotSent) or (replayable and isinstance(error, _CONNECTION_LOST))

        try:
            return await self._policy.call(once, retryable, "a PostgreSQL statement")
        except _NotSent as exc:
            raise exc.error from None


def _unreachable(error: BaseException) -> bool:
    return isinstance(error, _UNREACHABLE)


async def _release(pool: asyncpg.Pool, conn: asyncpg.Connection) -> None:
    # Releasing a connection whose server went away must not hide the statement's own outcome.
    try:
        await pool.release(conn)
    except Exception:
        log.debug("releasing a broken PostgreSQL connection failed", exc_info=True)


def is_redis_connection_error(error: BaseException) -> bool:
    return isinstance(error, REDIS_CONNECTION_ERRORS)


def redis_retry(policy: RetryPolicy = DEFAULT_POLICY) -> RedisRetry:
    """redis-py's own retry, with the same back-off; it counts attempts, so the deadline becomes a count."""
    attempts = max(1, int(policy.deadline / policy.cap) + 5)
    return RedisRetry(ExponentialWithJitterBackoff(cap=policy.cap, base=policy.first), attempts)


def redis_client_options(policy: RetryPolicy = DEFAULT_POLICY) -> dict[str, Any]:
    """Keyword arguments for a redis-py client (or arq's RedisSettings) that rides out a Redis restart."""
    return {
        "retry": redis_retry(policy),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionResetError, ConnectionRefusedError],
    }
