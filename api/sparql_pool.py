"""A small pool of worker processes that run SPARQL jobs under a time limit.

Neither rdflib nor pyoxigraph can stop a query once it runs, and rdflib holds Python's
global lock while it does, so a timer around the call cannot enforce a time limit. Here
each query goes to a separate process (:mod:`uvts.api.sparql_worker`, started as
``python -m uvts.api.sparql_worker``); the event loop waits for the reply in a helper
thread (``Connection.poll`` releases the GIL), so the server keeps answering other requests. When the deadline passes, the process is killed
and a fresh one started in the background.

* Fairness. Each client (by its IP address) may run ``client_limit`` queries at once; its
  further queries wait in its own queue (at most ``queue_wait`` seconds, then
  :class:`ClientBusy`), so one client cannot take every worker. A job then waits at most
  ``queue_wait`` seconds for a free worker (:class:`PoolBusy`) and has ``timeout`` seconds
  to run (:class:`QueryTimeout`).
* A job still running after ``demote_after`` seconds (1 s) is "long": its process's CPU priority
  is lowered (``nice`` 19), and a spare worker is started in its place (up to ``max_long`` long
  jobs at once), so the ``size`` workers stay free for short queries: a long query never takes
  the lane of a short one. Its process is stopped once it is done.
* A job whose caller goes away (the client disconnected: the endpoint cancels the call) has
  its worker killed at once and replaced.
* Each worker's memory is capped (``memory_mb`` more than it holds after start-up, see
  :mod:`uvts.graph.guarded`); a worker that dies (out of memory, or an engine crash) gives
  :class:`WorkerCrashed` with the signal, and is replaced.
* Updates (only when enabled) take every worker at once, run on one of them, and copy
  the resulting state (N-Quads) to the others, so all workers answer from the same data.
  A worker started later loads that state too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["QueryPool", "PoolBusy", "ClientBusy", "QueryTimeout", "WorkerCrashed", "PoolError"]

log = logging.getLogger("uvts.api.sparql")

LONG_NICE = 19  # CPU priority of a long job's process: the lowest, so short queries and the server come first
_TIMEOUT = object()
_CRASHED = object()


class PoolError(Exception):
    """The pool could not run a job."""


class PoolBusy(PoolError):
    """No worker became free in time."""


class ClientBusy(PoolBusy):
    """The client already ran its share of queries for as long as a job may wait."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class QueryTimeout(PoolError):
    """The job ran past its time limit; its worker was killed."""


class WorkerCrashed(PoolError):
    """The worker died while running the job (``signal``: what ended it, when known)."""

    def __init__(self, signal: int | None = None, memory: bool = False):
        super().__init__(signal)
        self.signal = signal
        self.memory = memory


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    conn: object
    started: bool = False
    pid: int | None = field(default=None)
    demoted: bool = False
    long: bool = False  # a spare was started in its place: stop it when done, do not replace it

    def alive(self) -> bool:
        return self.process.poll() is None


class _IdleWorkers:
    """Idle workers, handed out first come, first served.

    (``asyncio.Queue`` lets a newly arrived ``get`` take an item ahead of a waiter that was
    just woken, which sends that waiter to the back: under load some requests wait far longer
    than others.)
    """

    def __init__(self):
        self.free: deque = deque()
        self.waiters: deque = deque()

    def qsize(self) -> int:
        return len(self.free)

    def put(self, worker) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self.free.append(worker)

    async def get(self, timeout: float):
        """The next idle worker; ``TimeoutError`` when none comes within ``timeout`` seconds."""
        if self.free and not self.waiters:
            return self.free.popleft()
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await asyncio.wait({waiter}, timeout=timeout)
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.put(waiter.result())  # handed to us as we were cancelled: pass it on
            waiter.cancel()
            raise
        if waiter.done():
            return waiter.result()
        waiter.cancel()
        raise TimeoutError


def _wait_reply(conn, timeout: float | None):
    """Wait (in a helper thread) for one reply; ``_TIMEOUT`` or ``_CRASHED`` if none comes."""
    try:
        if conn.poll(timeout):
            return conn.recv()
        return _TIMEOUT
    except (EOFError, OSError):
        return _CRASHED


def _exit_signal(process: subprocess.Popen) -> int | None:
    """The signal that ended ``process`` (waits up to a second for it to be reaped)."""
    try:
        code = process.wait(1.0)
    except subprocess.TimeoutExpired:
        return None
    return -code if code < 0 else None


def _stop(worker: _Worker) -> None:
    try:
        if worker.alive():
            worker.process.kill()
        worker.process.wait(5)
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        worker.conn.close()
    except OSError:
        pass


class QueryPool:
    """Worker processes for SPARQL over the embedded store at ``store_path``.

    Use ``await pool.start()`` before the first job and ``await pool.close()`` at the end
    (the app's lifespan does both).
    """

    def __init__(self, store_path: str | Path, *, size: int = 3, timeout: float = 10.0, in_memory: bool = False,
                 start_timeout: float = 120.0, demote_after: float | None = 1.0, memory_mb: int = 0,
                 client_limit: int | None = None, queue_wait: float | None = None, max_long: int | None = None):
        self.store_path = str(store_path)
        self.size = size
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self.client_limit = client_limit if client_limit is not None else max(1, min(2, size - 1))
        self.queue_wait = float(queue_wait) if queue_wait is not None else min(self.timeout, 5.0)
        self.max_long = max_long if max_long is not None else size
        self.long_jobs = 0
        self._clients: dict[str, list] = {}  # client -> [running, deque of waiters]
        self.in_memory = in_memory
        self.start_timeout = start_timeout
        self.demote_after = demote_after if hasattr(os, "setpriority") else None
        self.graphs: list[str] = []
        self.restarts = 0
        self._snapshot: bytes | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._idle: _IdleWorkers | None = None
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task] = set()
        self._update_lock: asyncio.Lock | None = None
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.process.pid for w in self._workers if w.alive()]

    @property
    def busy(self) -> int:
        """Workers not ready for a job right now (running one, or starting)."""
        idle = self._idle.qsize() if self._idle is not None else 0
        return max(0, self.size - idle)  # (spares for long jobs can make more than ``size`` idle)

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers and wait until every one has opened the store."""
        self._executor = ThreadPoolExecutor(max_workers=2 * self.size + 2, thread_name_prefix="uvts-sparql")
        self._idle = _IdleWorkers()
        self._update_lock = asyncio.Lock()
        workers = [self._spawn() for _ in range(self.size)]
        results = await asyncio.gather(*(self._await_ready(w) for w in workers), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await self.close()
            raise PoolError(f"frågeprocesserna kunde inte starta: {failures[0]}")
        for w in workers:
            self._idle.put(w)

    async def close(self) -> None:
        """Stop every worker (kill: their store is read-only or a copy in memory)."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in list(self._workers):
            _stop(worker)
        self._workers.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _spawn(self) -> _Worker:
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        try:
            fd = theirs.fileno()
            process = subprocess.Popen([sys.executable, "-m", "uvts.api.sparql_worker", str(fd)], pass_fds=(fd,),
                                       stdin=subprocess.DEVNULL, close_fds=True)
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        conn.send({"path": self.store_path, "in_memory": self.in_memory, "snapshot": self._snapshot,
                   "parent_pid": os.getpid(), "memory_mb": self.memory_mb})
        worker = _Worker(process, conn)
        self._workers.add(worker)
        return worker

    async def _await_ready(self, worker: _Worker) -> None:
        loop = asyncio.get_running_loop()
        reply = await loop.run_in_executor(self._executor, _wait_reply, worker.conn, self.start_timeout)
        if reply is _TIMEOUT or reply is _CRASHED or not reply.get("ok"):
            self._workers.discard(worker)
            await loop.run_in_executor(self._executor, _stop, worker)
            message = reply.get("message") if isinstance(reply, dict) else "ingen kontakt"
            raise PoolError(f"en frågeprocess kunde inte starta: {message}")
        worker.started, worker.pid = True, reply.get("pid")
        self.graphs = list(reply.get("graphs", self.graphs))

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in the background (a long job's worker: just kill it,
        a spare already took its place)."""
        self._workers.discard(worker)
        self.restarts += 1
        try:  # now, not when a helper thread is free: a cancelled query must stop at once
            if worker.alive():
                worker.process.kill()
        except OSError:
            pass
        if worker.long:
            worker.long = False
            self.long_jobs -= 1
            self._background(self._restart(worker, respawn=False))
            return
        if self._closed:
            _stop(worker)
            return
        self._background(self._restart(worker))

    def _background(self, coro) -> None:
        if self._closed:
            coro.close()
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _restart(self, old: _Worker | None, respawn: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if old is not None:
            await loop.run_in_executor(self._executor, _stop, old)
        if not respawn:
            return
        for attempt in range(3):
            if self._closed:
                return
            worker = self._spawn()
            try:
                await self._await_ready(worker)
            except PoolError as exc:
                log.error("SPARQL worker restart failed (attempt %d): %s", attempt + 1, exc)
                await asyncio.sleep(1.0 + attempt)
                continue
            self._idle.put(worker)
            return
        log.error("SPARQL worker could not be restarted; the pool has one worker fewer")

    # --- running jobs -------------------------------------------------------------------------

    async def _acquire(self, wait: float) -> _Worker:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PoolBusy()
            try:
                worker = await self._idle.get(remaining)
            except TimeoutError:
                raise PoolBusy() from None
            if worker.alive():
                return worker
            self._replace(worker)

    def _demote(self, worker: _Worker, spare: bool = True) -> None:
        """A job on ``worker`` runs long: lower its priority and (``spare``) start a spare in its place."""
        try:
            os.setpriority(os.PRIO_PROCESS, worker.process.pid, LONG_NICE)
            worker.demoted = True
        except (OSError, AttributeError):
            pass
        if spare and self.long_jobs < self.max_long and not self._closed:
            worker.long = True
            self.long_jobs += 1
            self._background(self._restart(None))

    def _release(self, worker: _Worker) -> None:
        """Make ``worker`` available again (a demoted one is replaced by a fresh process)."""
        if worker.demoted:
            self._replace(worker)
        else:
            self._idle.put(worker)

    async def _call(self, worker: _Worker, message, timeout: float, spare: bool = True):
        """Send one job and wait for its reply; on timeout or crash the worker is replaced.

        ``spare``: start a spare worker if the job runs long (not during an update, whose
        spare would start from the state before it)."""
        loop = asyncio.get_running_loop()
        try:
            worker.conn.send(message)
            first = min(timeout, self.demote_after) if self.demote_after else timeout
            reply = await loop.run_in_executor(self._executor, _wait_reply, worker.conn, first)
            if reply is _TIMEOUT and first < timeout:
                self._demote(worker, spare)
                reply = await loop.run_in_executor(self._executor, _wait_reply, worker.conn, timeout - first)
        except (OSError, EOFError):
            reply = _CRASHED
        except BaseException:  # cancelled while the worker runs: it cannot be trusted to be free
            self._replace(worker)
            raise
        if reply is _TIMEOUT:
            self._replace(worker)
            raise QueryTimeout()
        if reply is _CRASHED:
            signum = await loop.run_in_executor(self._executor, _exit_signal, worker.process)
            self._replace(worker)
            raise WorkerCrashed(signum)
        if isinstance(reply, dict) and reply.get("memory"):
            self._replace(worker)  # a MemoryError leaves the worker's heap in a poor state
            raise WorkerCrashed(None, memory=True)
        return reply

    async def run(self, kind: str, payload) -> dict:
        """Run one job (``query``) on a free worker; returns the worker's reply dict."""
        worker = await self._acquire(self.queue_wait)
        reply = await self._call(worker, (kind, payload), self.timeout)
        self._release(worker)
        return reply

    async def query(self, job: dict, client: str | None = None) -> dict:
        """Run a query job for ``client`` (an IP address; ``None``: not counted per client)."""
        if client is None:
            return await self.run("query", job)
        await self._enter(client)
        try:
            return await self.run("query", job)
        finally:
            self._leave(client)

    # --- per-client shares ------------------------------------------------------------------------

    async def _enter(self, client: str) -> None:
        entry = self._clients.setdefault(client, [0, deque()])
        if entry[0] < self.client_limit and not entry[1]:
            entry[0] += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        entry[1].append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.queue_wait)
        except asyncio.TimeoutError:
            self._give_up(client, waiter)
            raise ClientBusy(self.client_limit) from None
        except BaseException:
            self._give_up(client, waiter)
            raise

    def _give_up(self, client: str, waiter) -> None:
        if waiter.done() and not waiter.cancelled():
            self._leave(client)  # our turn came as we gave up: pass it on
        else:
            waiter.cancel()

    def _leave(self, client: str) -> None:
        entry = self._clients.get(client)
        if entry is None:
            return
        while entry[1]:
            waiter = entry[1].popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the next waiter
                return
        entry[0] -= 1
        if entry[0] <= 0 and not entry[1]:
            self._clients.pop(client, None)

    async def update(self, text: str) -> dict:
        """Run an update on every worker's copy of the data (``in_memory`` pools only)."""
        if not self.in_memory:
            raise PoolError("uppdateringar kräver en pool med datan i minnet")
        async with self._update_lock:
            held: list[_Worker] = []
            try:
                for _ in range(self.size):
                    held.append(await self._acquire(self.timeout))
            except PoolBusy:
                for w in held:
                    self._release(w)
                raise
            first, rest = held[0], held[1:]
            try:
                reply = await self._call(first, ("update", {"update": text}), self.timeout, spare=False)
            except PoolError:
                for w in rest:
                    self._release(w)
                raise
            if not reply.get("ok"):
                for w in held:
                    self._release(w)
                return reply
            self._snapshot = reply.pop("snapshot")
            self.graphs = list(reply.get("graphs", self.graphs))
            self._release(first)
            for w in rest:
                try:
                    loaded = await self._call(w, ("load", self._snapshot), max(self.timeout, 30.0), spare=False)
                except PoolError:
                    continue  # replaced: the new worker starts from the snapshot
                if loaded.get("ok"):
                    self._release(w)
                else:
                    self._replace(w)
            return reply
