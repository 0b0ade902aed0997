"""A Virtuoso Open Source server of its own, on loopback, for tests and benchmarks.

:func:`start_virtuoso` writes a short ``virtuoso.ini`` into a temporary folder (its own
database files, free ports for the SQL and HTTP listeners, both on 127.0.0.1), starts
``virtuoso-t +configfile FILE +foreground``, waits until ``/sparql`` answers, and grants
``SPARQL_UPDATE`` to the ``SPARQL`` user with ``isql-vt``. The pytest fixture
:func:`virtuoso_server` does this once per session and stops the server at the end.

Virtuoso comes from Debian (``virtuoso-opensource-7-bin``), which ``.ci/virtuoso-setup.sh``
installs. When it is missing the fixture fails (it does not skip) and says how to install it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["VirtuosoServer", "start_virtuoso", "virtuoso_server", "INSTALL_HINT"]

INSTALL_HINT = ("Virtuoso saknas (virtuoso-t och isql-vt). Installera med: bash .ci/virtuoso-setup.sh "
                "(det vill säga: apt-get update && apt-get install -y virtuoso-opensource-7-bin)")

_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableTcpSocket = 0
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {d}
CaseMode = 2
MaxQueryMem = 1G

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
EnabledDavVSP = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 300
DefaultGraph =
DeferInferenceRulesInit = 0
"""


@dataclass
class VirtuosoServer:
    folder: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def store_url(self) -> str:
        """The ``--store`` setting for this server."""
        return f"sparql+http://127.0.0.1:{self.http_port}/sparql"

    def log_tail(self, n: int = 40) -> str:
        out = []
        for name in ("stdout.log", "virtuoso.log"):
            path = self.folder / name
            if path.exists():
                out += path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:]
        return "\n".join(out)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "?query=ASK%7B%7D", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_virtuoso(folder: str | Path | None = None, memory_mb: int = 1000, timeout: float = 90) -> VirtuosoServer:
    """Start a fresh Virtuoso on loopback with updates allowed; raise RuntimeError when it cannot."""
    virtuoso, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if not virtuoso or not isql:
        raise RuntimeError(INSTALL_HINT)
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="uvts-virtuoso-"))
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = _free_port(), _free_port()
    while sql_port == http_port:  # pragma: no cover - the kernel rarely repeats a port at once
        sql_port = _free_port()
    buffers = max(10000, memory_mb * 1024 // 8 * 2 // 3)  # 8 kB pages, about 2/3 of the memory
    (folder / "virtuoso.ini").write_text(
        _INI.format(d=folder, sql_port=sql_port, http_port=http_port, buffers=buffers, dirty=buffers * 3 // 4),
        encoding="utf-8")
    log = open(folder / "stdout.log", "wb")
    process = subprocess.Popen([virtuoso, "+configfile", str(folder / "virtuoso.ini"), "+foreground"],
                               cwd=folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    server = VirtuosoServer(folder, http_port, sql_port, process)
    deadline = time.monotonic() + timeout
    while not _answers(server.endpoint):
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t avslutades (kod {process.returncode}) innan den svarade:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"virtuoso-t svarade inte på {server.endpoint} inom {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.3)
    grant = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if grant.returncode != 0 or "Error" in grant.stdout:
        server.stop()
        raise RuntimeError(f"isql-vt kunde inte ge SPARQL_UPDATE till SPARQL:\n{grant.stdout}\n{grant.stderr}")
    return server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """A Virtuoso server for the whole test session (fails, never skips, when it cannot start)."""
    try:
        server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()
