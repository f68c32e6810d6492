"""`GET /api/v1/openapi.json` (OpenAPI 3.1) and `GET /api/docs`, built from the routes.

The document walks app.url_map: every rule whose view was declared through
checkout.api.operations.Routes is an operation, described by that declaration,
with the very models the route validates requests with and builds its answers
from (checkout.api.schemas, checkout.services.presenters). Nothing here lists the
routes; the docs page and this document are the only /api rules left undeclared.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, url_for
from pydantic import BaseModel, TypeAdapter
from werkzeug.routing import Rule

from checkout import limits
from checkout.api.operations import Operation, declaration
from checkout.api.routes import bp
from checkout.api.schemas.common import ErrorBody
from checkout.extensions import limiter
from checkout.services import idempotency

REF = "#/components/schemas/{model}"
API_VERSION = "1.0.0"
EXTENSION_KEY = "checkout.openapi"

ANSWERS = {200: "OK", 201: "Created", 503: "The store is down (`status` is `down`)"}
# What each error status means, unless an operation says more precisely.
ERRORS: dict[int, str] = {
    400: "The request is invalid; `details` names each field to fix",
    401: "Authorization: Bearer <key> is missing, unknown or revoked",
    403: "A browser on an origin not in ALLOWED_ORIGINS (Origin or Referer header)",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body over 64 KiB",
    429: "Rate limited; wait for Retry-After seconds",
    502: "The wallet provider did not answer",
    503: "The store is unavailable (retry after Retry-After seconds)",
}
MASTER_ONLY = "Only ADMIN_SECRET may manage API keys and console users, or a foreign Origin"
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


DESCRIPTION = """\
A self-hosted UPI payment gateway. The seed API (`/api/*`) serves browsers on
ALLOWED_ORIGINS; the merchant API (`/api/v1/*`) serves your backend with
`Authorization: Bearer <key>` (an API key from `flask keys create`, or ADMIN_SECRET).

Amounts are rupees with at most two decimals: requests take a number or a numeric
string (`1018`, `"1018.50"`), answers always carry numbers. Every error answers
`{"error": message, "details": [{"field", "message"}]}`.
"""


class SchemaConflict(RuntimeError):
    """The declarations make no single document: two schemas under one name, or a path
    whose declared variables are not the rule's."""


def _add_component(components: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in components and components[name] != schema:
        raise SchemaConflict(f"two different schemas are named {name!r}")
    components[name] = schema


def _untitled(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's generated property titles ("Orderid"); the names say it better."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema


def model_schemas(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The model's JSON schema and its nested models', by component name."""
    schema = model.model_json_schema(ref_template=REF)
    found = {name: _untitled(d) for name, d in schema.pop("$defs", {}).items()}
    found[model.__name__] = _untitled(schema)
    return found


def _model_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    for name, schema in model_schemas(model).items():
        _add_component(components, name, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None = None` as a parameter: leaving it out is how one sends None."""
    schema = copy.deepcopy(schema)
    branches = schema.get("anyOf")
    if branches is not None:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        del schema["anyOf"]
        if len(kept) == 1:
            schema = {**kept[0], **schema}
        else:
            schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]
    return schema


def _parameter(name: str, where: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    schema = _without_null(schema)
    schema.pop("title", None)
    parameter: dict[str, Any] = {"name": name, "in": where, "required": required}
    description = schema.pop("description", None)
    if description:
        parameter["description"] = description
    parameter["schema"] = schema
    return parameter


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    if "$defs" in schema:
        raise SchemaConflict(f"{model.__name__}: a query cannot hold nested models")
    required = set(schema.get("required", []))
    return [
        _parameter(name, "query", prop, name in required)
        for name, prop in schema["properties"].items()
    ]


def _idempotency_header() -> dict[str, Any]:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Retry safely: the same key with the same body gets the first answer "
        "again (with `Idempotent-Replayed: true`); with another body, 409. Kept 24 hours.",
        # The exact rule the service checks.
        "schema": {"type": "string", "pattern": f"^{idempotency.KEY_PATTERN.pattern}$"},
    }


def _json(ref: dict[str, str]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _retry_after() -> dict[str, Any]:
    return {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}


def _error_text(op: Operation, status: int) -> str:
    return MASTER_ONLY if status == 403 and op.master_only else ERRORS[status]


def _operation(op: Operation, operation_id: str, components: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        _parameter(name, "path", TypeAdapter(kind).json_schema(), True)
        for name, kind in op.path.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if op.idempotent:
        parameters.append(_idempotency_header())

    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        responses[str(status)] = {
            "description": ANSWERS[status],
            "content": _json(_model_ref(model, components)),
        }
    error_ref = _model_ref(ErrorBody, components)
    for status in op.errors:
        response: dict[str, Any] = {
            "description": op.notes.get(status) or _error_text(op, status),
            "content": _json(error_ref),
        }
        if status in (429, 503):
            response["headers"] = _retry_after()
        responses[str(status)] = response

    document: dict[str, Any] = {
        "operationId": operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        document["description"] = op.description
    if parameters:
        document["parameters"] = parameters
    if op.body_media:
        document["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": _model_ref(model, components)}
                for media, model in op.body_media.items()
            },
        }
    document["responses"] = responses
    document["security"] = [{"bearerAuth": []}] if op.needs_key else []
    return document


def path_template(rule: Rule) -> str:
    """A Flask rule as an OpenAPI path: `<orderId>` becomes `{orderId}`."""
    return _VARIABLE.sub(r"{\1}", rule.rule)


def operations(app: Flask) -> list[tuple[Rule, str, Operation]]:
    """(rule, method, declaration) for every declared route, in the order they were added."""
    found = []
    for rule in app.url_map.iter_rules():
        op = declaration(app.view_functions[rule.endpoint])
        if op is None:
            continue
        if set(op.path) != set(rule.arguments):
            raise SchemaConflict(f"{rule.rule}: declared path {sorted(op.path)}")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, method.lower(), op))
    return found


def build_document(app: Flask) -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    for rule, method, op in operations(app):
        entry = _operation(op, rule.endpoint.rpartition(".")[2], components)
        paths.setdefault(path_template(rule), {})[method] = entry
        tags[op.tag] = None
    return {
        "openapi": "3.1.0",
        "info": {"title": "UPI Checkout API", "version": API_VERSION, "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (sk_live_… / sk_test_…) or ADMIN_SECRET",
                }
            },
        },
    }


def openapi_document(app: Flask) -> dict[str, Any]:
    """The app's document; it depends on the code only, so it is built once per app."""
    document: dict[str, Any] | None = app.extensions.get(EXTENSION_KEY)
    if document is None:
        document = app.extensions[EXTENSION_KEY] = build_document(app)
    return document


@bp.get("/api/v1/openapi.json")
@limiter.limit(limits.API)
def openapi_json() -> Response:
    return jsonify(openapi_document(current_app))


@bp.get("/api/docs")
@limiter.limit(limits.API)
def docs() -> str:
    return render_template("api/docs.html", spec_url=url_for("api.openapi_json"))
