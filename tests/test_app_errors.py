"""The app factory, its settings, and the one error shape for every error.

Like Datasette's ``test_error_shape``: every error the service sends, from our own code,
from FastAPI (404, 405, 422), from a bug (500) or from a middleware (413, CORS), has the
body ``{"ok": false, "error": <Swedish message>, "status": <int>}`` and that status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from uvts.api.app import ROUTER_MODULES, create_app
from uvts.api.errors import ApiError, error_body
from uvts.api.settings import Settings, SettingsError

ENGLISH = ("Not Found", "Method Not Allowed", "Internal Server Error", "Field required", "Unprocessable",
           "Disallowed CORS", "Request Entity Too Large")


def assert_shape(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert list(body) == ["ok", "error", "status"]
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"].strip()
    for word in ENGLISH:
        assert word not in body["error"]
    return body["error"]


def test_error_body_is_pinned():
    assert error_body(404, "Finns inte.") == {"ok": False, "error": "Finns inte.", "status": 404}


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    """An app with no SPARQL module (no worker processes), plus routes that fail on purpose."""
    from fastapi import APIRouter

    tmp = tmp_path_factory.mktemp("app-errors")
    app = create_app(Settings(store_path=tmp / "store", max_body=2048, cors_origins=("https://exempel.se",)),
                     modules=[])
    router = APIRouter()

    @router.get("/antal/{n}")
    def count(n: int, steg: int = 1):
        return {"n": n, "steg": steg}

    @router.get("/fel")
    def broken():
        raise RuntimeError("a bug")

    @router.get("/nekad")
    def refused():
        raise ApiError(403, "Du får inte se detta.")

    @router.post("/eko")
    async def echo(request: Request):
        return {"bytes": len(await request.body())}

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_404_from_fastapi(plain_app):
    message = assert_shape(plain_app.get("/finns/inte"), 404)
    assert message == "Det finns ingenting på /finns/inte."


def test_405_from_fastapi(plain_app):
    r = plain_app.post("/antal/3")
    message = assert_shape(r, 405)
    assert "POST" in message and r.headers["allow"] == "GET"


def test_422_from_fastapi(plain_app):
    message = assert_shape(plain_app.get("/antal/tre"), 422)
    assert "'n'" in message and "heltal" in message
    message = assert_shape(plain_app.get("/antal/3", params={"steg": "x"}), 422)
    assert "frågeparametern 'steg'" in message
    assert plain_app.get("/antal/3").json() == {"n": 3, "steg": 1}


def test_500_from_a_bug(plain_app):
    message = assert_shape(plain_app.get("/fel"), 500)
    assert "a bug" not in message  # no internals in the answer


def test_api_error_from_a_route(plain_app):
    assert assert_shape(plain_app.get("/nekad"), 403) == "Du får inte se detta."


def test_413_from_the_body_limit(plain_app):
    message = assert_shape(plain_app.post("/eko", content=b"x" * 3000), 413)
    assert "2048" in message
    chunked = plain_app.post("/eko", content=iter([b"x" * 1500, b"y" * 1500]))
    assert_shape(chunked, 413)
    assert plain_app.post("/eko", content=b"x" * 2000).json() == {"bytes": 2000}
    r = plain_app.post("/eko", content=b"x", headers={"Content-Length": "lots"})
    assert_shape(r, 400)


def test_cors(plain_app):
    ok = plain_app.options("/antal/1", headers={"Origin": "https://exempel.se", "Access-Control-Request-Method": "GET"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://exempel.se"
    r = plain_app.get("/antal/1", headers={"Origin": "https://exempel.se"})
    assert r.headers["access-control-allow-origin"] == "https://exempel.se"
    other = plain_app.get("/antal/1", headers={"Origin": "https://annan.example"})
    assert "access-control-allow-origin" not in other.headers
    refused = plain_app.options("/antal/1", headers={"Origin": "https://annan.example",
                                                     "Access-Control-Request-Method": "GET"})
    assert "ursprunget" in assert_shape(refused, 400)
    # errors carry the CORS headers too, so a browser page can read them
    r = plain_app.get("/finns/inte", headers={"Origin": "https://exempel.se"})
    assert r.headers["access-control-allow-origin"] == "https://exempel.se"


def test_no_cors_unless_configured(tmp_path):
    app = create_app(Settings(store_path=tmp_path / "store"), modules=[])
    with TestClient(app) as client:
        r = client.get("/finns/inte", headers={"Origin": "https://exempel.se"})
        assert "access-control-allow-origin" not in r.headers
        assert_shape(client.options("/finns/inte", headers={"Origin": "https://exempel.se",
                                                           "Access-Control-Request-Method": "GET"}), 404)


# --- the SPARQL module's errors have the same shape ----------------------------------------------------------


@pytest.fixture(scope="module")
def sparql_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app-errors-sparql")
    app = create_app(Settings(store_path=tmp / "store", query_timeout=1.0, query_workers=1, max_body=4096),
                     modules=["uvts.api.sparql"])
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("status,request_args", [
    (400, ("GET", "/sparql", {"params": {"query": "SELECT"}})),
    (403, ("POST", "/sparql", {"content": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}})),
    (404, ("GET", "/sparql/mer", {})),
    (405, ("PATCH", "/sparql", {})),
    (406, ("GET", "/sparql", {"params": {"query": "ASK {}"}, "headers": {"Accept": "text/turtle"}})),
    (413, ("POST", "/sparql", {"content": b"#" * 5000, "headers": {"Content-Type": "application/sparql-query"}})),
    (415, ("POST", "/sparql", {"content": b"ASK {}", "headers": {"Content-Type": "text/plain"}})),
    (503, ("GET", "/sparql", {"params": {"query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}})),
])
def test_every_sparql_error_has_the_shape(sparql_app, status, request_args):
    method, url, kwargs = request_args
    assert_shape(sparql_app.request(method, url, **kwargs), status)


# --- the factory and the settings ----------------------------------------------------------------------------


def test_importing_the_app_builds_nothing():
    code = ("import sys, uvts.api.app, uvts.api.serve, uvts.api.sparql_check\n"
            "print(sorted(m for m in ('fastapi', 'pyoxigraph', 'rdflib', 'uvicorn', 'starlette') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_create_app_opens_nothing_until_it_starts(tmp_path):
    missing = tmp_path / "no-such-data"
    store = tmp_path / "store"
    app = create_app(Settings(data=(missing,), store_path=store))
    assert not store.exists() and not hasattr(app.state, "store")
    assert app.url_path_for("sparql_endpoint") == "/sparql"
    assert ROUTER_MODULES[0] == "uvts.api.sparql"
    with pytest.raises(Exception):
        with TestClient(app):
            pass  # starting it is what reads the data (and fails here)


def test_settings_from_the_environment():
    env = {"UVTS_DATA": "/a/data" + os.pathsep + "/b/data", "UVTS_STORE": "memory",
           "UVTS_STORE_PATH": "/tmp/s", "UVTS_QUERY_TIMEOUT": "2.5", "UVTS_RESULT_LIMIT": "50",
           "UVTS_UPDATE_TOKEN": "hemlig-token", "UVTS_CORS_ORIGINS": "https://a.se, https://b.se",
           "UVTS_MAX_BODY": "4096", "UVTS_QUERY_WORKERS": "2"}
    s = Settings.from_env(env)
    assert s == Settings(data=(Path("/a/data"), Path("/b/data")), store="memory", store_path=Path("/tmp/s"),
                         query_timeout=2.5, result_limit=50, update_token="hemlig-token",
                         cors_origins=("https://a.se", "https://b.se"), max_body=4096, query_workers=2)
    assert s.updates_enabled
    defaults = Settings.from_env({})
    assert (defaults.query_timeout, defaults.result_limit, defaults.update_token, defaults.cors_origins,
            defaults.max_body) == (10.0, 10_000, None, (), 1_000_000)
    assert not defaults.updates_enabled
    assert Settings.from_env(env, query_timeout=7, result_limit=None).query_timeout == 7  # overrides win
    assert Settings.from_env(env, result_limit=None).result_limit == 50  # None leaves the environment's value


@pytest.mark.parametrize("env,word", [
    ({"UVTS_QUERY_TIMEOUT": "tio"}, "UVTS_QUERY_TIMEOUT"),
    ({"UVTS_QUERY_TIMEOUT": "0"}, "tidsgränsen"),
    ({"UVTS_RESULT_LIMIT": "0"}, "radgränsen"),
    ({"UVTS_MAX_BODY": "10"}, "UVTS_MAX_BODY"),
    ({"UVTS_STORE": "postgres"}, "lagringstyp"),
    ({"UVTS_UPDATE_TOKEN": "kort"}, "minst 8 tecken"),
    ({"UVTS_QUERY_WORKERS": "0"}, "frågeprocesser"),
])
def test_bad_settings_are_named(env, word):
    with pytest.raises(SettingsError, match=word):
        Settings.from_env(env)


def test_serve_options_override_the_environment(tmp_path):
    from uvts.api.cli import build_parser
    from uvts.api.serve import settings_from_args

    token_file = tmp_path / "token"
    token_file.write_text("fil-token-123456\n", encoding="utf-8")
    env = {"UVTS_QUERY_TIMEOUT": "2", "UVTS_RESULT_LIMIT": "50", "UVTS_CORS_ORIGINS": "https://a.se"}
    args = build_parser().parse_args(["serve", "--port", "8123", "--query-timeout", "4", "--cors-origin",
                                      "https://b.se", "--update-token-file", str(token_file), "--data", "/x/data"])
    s = settings_from_args(args, env)
    assert (args.host, args.port) == ("127.0.0.1", 8123)
    assert s.query_timeout == 4 and s.result_limit == 50  # the option wins; the environment fills the rest
    assert s.cors_origins == ("https://b.se",) and s.update_token == "fil-token-123456"
    assert s.data == (Path("/x/data"),)
    plain = settings_from_args(build_parser().parse_args(["serve"]), {})
    assert plain == Settings()


def test_serve_reports_bad_settings_in_swedish(tmp_path):
    out = subprocess.run([sys.executable, "-m", "uvts", "serve", "--query-timeout", "-1", "--port", "1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "tidsgränsen" in out.stderr


def test_no_page_that_loads_from_a_cdn():
    """FastAPI's /docs and /redoc load Swagger UI and ReDoc from the internet: they are off."""
    from fastapi.testclient import TestClient

    from uvts.api.app import create_app
    from uvts.api.settings import Settings

    with TestClient(create_app(Settings(store="memory"))) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200
