"""schemathesis fuzzes every operation of /api/v1/openapi.json through the Flask app (WSGI).

No network: the schema is loaded from the app and every request goes through
werkzeug's test client. The seed is fixed and each operation gets a bounded number
of examples (positive and negative), so a run is repeatable and takes well under
two minutes on two cores. Checks: no 5xx, every status code is documented, every
body matches its documented schema.

The app's limits are generous here (rate_limit_max_requests for create), but the
per-route limits of checkout.api.routes (120 or 600 a minute per client) still
apply: a 429 is documented, so it stays conformant.
"""

from __future__ import annotations

from collections.abc import Iterator

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
# The very document GET /api/v1/openapi.json serves (test_openapi.py checks they are one).
# Loaded from the dict rather than through a fixture: schemathesis.pytest.from_fixture
# (4.32.5) reads Function._nodeid, which pytest 9.2 no longer has.
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


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
