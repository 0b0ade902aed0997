"""Property-based tests of the REST API from its own OpenAPI schema (schemathesis, in-process).

For every operation of the schema, schemathesis generates requests (valid and invalid
parameters, odd strings, large numbers) and checks that the service never answers with a
server error, answers only with statuses the schema documents, with the documented
content type, and with bodies that match the documented models (errors included: the
one error shape). Examples are limited so the file runs in well under a minute.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from uvts.api.app import create_app
from uvts.api.settings import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# schemathesis's pytest plugin stops the app's lifespan after each operation's test, and the
# next one starts it again: an embedded store on disk (built once, then opened read-only in
# milliseconds) keeps that cheap.
STORE_DIR = Path(tempfile.mkdtemp(prefix="uvts-schemathesis-"))


def rest_app(store_path: Path = STORE_DIR / "store"):
    """The app with the REST module only: the SPARQL endpoint and the pages are not in the schema."""
    return create_app(Settings(store="oxigraph", store_path=store_path), modules=["uvts.api.rest"])


# Loading the schema builds the app (cheap: the store is opened by the lifespan, which
# schemathesis starts on the first request). pytest 9 cannot use schemathesis's lazy
# ``from_fixture`` loader, so the schema is loaded when the module is collected.
schema = schemathesis.openapi.from_asgi("/openapi.json", rest_app())


@pytest.fixture(scope="module", autouse=True)
def _stop_the_app():
    yield
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan; stop it with the module
    shutil.rmtree(STORE_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_rest_api_follows_its_schema_and_never_fails(case):
    case.call_and_validate(checks=CHECKS)


def test_the_fuzzed_schema_is_the_whole_apps_schema(tmp_path):
    """The full app (SPARQL endpoint and pages too) documents exactly the REST operations fuzzed above."""
    full = create_app(Settings(store_path=tmp_path / "store")).openapi()
    rest = rest_app(tmp_path / "rest-store").openapi()
    assert full["paths"] == rest["paths"]
    assert len(rest["paths"]) >= 30
