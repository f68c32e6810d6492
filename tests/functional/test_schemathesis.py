"""schemathesis fuzzes every operation of /api/v1/openapi.json through the Flask app (WSGI).

No network: the schema is generated from the routes' declarations and every
request goes through werkzeug's test client. The seed is fixed and each operation
gets a bounded number of examples (positive and negative), so a run is repeatable
and takes well under two minutes on two cores. Checks: no 5xx, every status code
is documented, and every answer's content type and body match what the document
says of that status.

The app's limits are generous here (rate_limit_max_requests for create), but the
per-route limits of checkout.api.operations (120 or 600 a minute per client) still
apply: a 429 is documented, so it stays conformant.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from checkout import create_app
from checkout.api import bp
from checkout.api.openapi import openapi_document
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY
from tests.conftest import AUTH

SEED = 20261126
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzzed_app(settings: Settings) -> Iterator[Flask]:
    application = create_app(
        settings.with_overrides(
            rate_limit_max_requests=100_000,
            # Generated webhook URLs must not be resolved (no DNS, no network).
            webhook_allow_private=True,
        )
    )
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
    }
)


def _api_only() -> Flask:
    """The API blueprint on a bare app: its url_map holds every declared route.

    The schema must exist when this module is collected, before any fixture: it is
    loaded from a dict rather than through one, as schemathesis.pytest.from_fixture
    (4.32.5) reads Function._nodeid, which pytest 9.2 no longer has.
    """
    bare = Flask(__name__)
    bare.register_blueprint(bp)
    return bare


@schemathesis.serializer("message/rfc822")
def _raw_email(_context: schemathesis.SerializationContext, value: Any) -> bytes:
    """A raw e-mail (POST /api/v1/evidence/email) goes on the wire as the bytes generated."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


DOCUMENT = openapi_document(_api_only())
# A copy: schemathesis adds its own keys to the dict it is given.
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=CONFIG)


def test_the_fuzzed_document_is_the_one_the_app_serves(fuzzed_app: Flask) -> None:
    served = fuzzed_app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert json.loads(served.get_data(as_text=True)) == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_openapi_document(
    case: schemathesis.Case, fuzzed_app: Flask
) -> None:
    case.call_and_validate(app=fuzzed_app, headers=AUTH, checks=CHECKS)
