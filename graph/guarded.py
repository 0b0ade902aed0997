"""Run a user's query in a child process, so that an engine crash cannot take the caller down.

pyoxigraph is native code: a query it cannot handle may crash the whole process (a segfault
gives the shell exit code 139 and no message), and a query may take all the memory there is.
:func:`run_guarded` forks, runs the function in the child under an address-space limit
(``RLIMIT_AS``), and hands back its return value or its exception; a child that dies becomes
a :class:`GuardedCrash` (a :class:`~uvts.graph.store.QueryError`) with a Swedish message.

The command line runs ``uvts query --sparql`` this way; the web service has its own worker
processes (:mod:`uvts.api.sparql_pool`) with the same limit (:func:`memory_limit_mb`).
Without ``os.fork`` (Windows) the function runs in the calling process.
"""

from __future__ import annotations

import os
import pickle
import signal

from .store import QueryError

__all__ = ["run_guarded", "GuardedCrash", "memory_limit_mb", "limit_memory", "DEFAULT_MEMORY_MB", "crash_message"]

DEFAULT_MEMORY_MB = 1024
ENV_MEMORY = "UVTS_QUERY_MEMORY"


class GuardedCrash(QueryError):
    """The child process running a query died (a crash in the engine, or out of memory)."""


def memory_limit_mb(environ=None) -> int:
    """The memory limit of a query process in MB: ``UVTS_QUERY_MEMORY`` or :data:`DEFAULT_MEMORY_MB` (0: none)."""
    env = os.environ if environ is None else environ
    raw = (env.get(ENV_MEMORY) or "").strip()
    if not raw:
        return DEFAULT_MEMORY_MB
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{ENV_MEMORY}: förväntade ett heltal (megabyte), fick {raw!r}") from None
    if value < 0:
        raise QueryError(f"{ENV_MEMORY}: minnesgränsen kan inte vara negativ, fick {value}")
    return value


def _address_space_mb() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def limit_memory(mb: int) -> None:
    """Let this process take at most ``mb`` megabytes more address space than it holds now (0: no limit).

    ``RLIMIT_AS`` where the OS has it. Measured from the current size, so the setting means
    "memory one query may take", whatever the libraries and the store's own mappings cost.
    """
    if not mb:
        return
    try:
        import resource

        limit = (_address_space_mb() + mb) * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def crash_message(signum: int | None, memory_mb: int) -> str:
    """What to tell the user when a query process died (``signum``: the signal that ended it)."""
    if signum is None:
        how = ""
    else:
        how = f" ({signal.Signals(signum).name})" if signum in signal.Signals._value2member_map_ else f" (signal {signum})"
    memory = (f" eller behövde mer minne än gränsen på {memory_mb} MB för en fråga (UVTS_QUERY_MEMORY)" if memory_mb else "")
    return (f"SPARQL-motorn kraschade på frågan{how}{memory}. Gör frågan enklare eller snävare, till "
            f"exempel med färre UNION-grenar, mindre nästling eller LIMIT.")


def _quiet_stderr() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_guarded(fn, *args, memory_mb: int | None = None):
    """``fn(*args)`` run in a forked child under a memory limit; its result, or its exception re-raised.

    The result and exceptions must pickle. A child that dies without answering raises
    :class:`GuardedCrash`.
    """
    memory = memory_limit_mb() if memory_mb is None else memory_mb
    if not hasattr(os, "fork"):
        return fn(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _quiet_stderr()  # an engine's own crash report (a Rust backtrace) is not for the user
            limit_memory(memory)
            try:
                payload = ("ok", fn(*args))
            except MemoryError:
                payload = ("crash", "memory")
            except BaseException as exc:  # noqa: BLE001 - handed to the parent
                payload = ("error", exc)
            try:
                data = pickle.dumps(payload)
            except Exception:
                exc = payload[1]
                data = pickle.dumps(("error", QueryError(f"{type(exc).__name__}: {exc}")))
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view):]
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        data = _read_all(read_fd)
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    if data:
        kind, value = pickle.loads(data)
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        raise GuardedCrash(crash_message(None, memory))
    signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    raise GuardedCrash(crash_message(signum, memory))
