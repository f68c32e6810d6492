"""`GET /api/v1/openapi.json` (OpenAPI 3.1) and `GET /api/docs`, both built from the models.

Every schema in the document comes from a pydantic model (checkout.api.schemas and
checkout.services.presenters): the
request bodies and queries are the very models the views validate with, and the
answers are the response models the tests check real answers against. The table
below only says which model goes where, with which status codes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import Response, jsonify, render_template, url_for
from pydantic import BaseModel, TypeAdapter

from checkout.api.routes import GENEROUS, bp
from checkout.api.schemas import common, seed
from checkout.api.schemas import v1 as v1_schemas
from checkout.extensions import limiter
from checkout.services import idempotency
from checkout.services import presenters as p

REF = "#/components/schemas/{model}"
API_VERSION = "1.0.0"

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


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: str  # the Flask endpoint (without the blueprint) and the operationId
    summary: str
    tag: str
    answers: dict[int, type[BaseModel]]  # success (and non-error) answers
    errors: tuple[int, ...]  # answered with common.ErrorBody
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: dict[str, Any] = field(default_factory=dict)  # name -> annotated type
    secured: bool = False
    idempotent: bool = False
    notes: dict[int, str] = field(default_factory=dict)  # error descriptions that differ
    description: str = ""


SEED = "Seed API"
SESSIONS = "Checkout sessions"
WEBHOOKS = "Webhooks"
KEYS = "API keys and payment links"
POST_ERRORS = (400, 403, 413, 429, 503)

OPERATIONS: tuple[Operation, ...] = (
    # -- the seed's endpoints ---------------------------------------------------------
    Operation(
        "get",
        "/health",
        "health",
        "Health of the store and the wallet provider",
        SEED,
        {200: seed.HealthResponse, 503: seed.HealthResponse},
        (),
        description="Never calls the wallet; 503 (status `down`) when the store is unreachable.",
    ),
    Operation(
        "get",
        "/api/nonce",
        "issue_nonce",
        "A single-use nonce for create-payment-session",
        SEED,
        {200: seed.NonceResponse},
        (403, 429, 503),
    ),
    Operation(
        "post",
        "/api/create-payment-session",
        "create_payment_session",
        "Open a checkout (the seed's request, plus a nonce)",
        SEED,
        {200: p.CreatePaymentSessionResponse},
        (400, 401, 403, 409, 413, 429, 503),
        body=seed.CreatePaymentSessionBody,
        notes={
            401: "The nonce is missing, unknown, expired or already used",
            409: "The orderId is already used",
            503: "No distinct amount is free right now, the wallet or the store is unavailable",
        },
    ),
    Operation(
        "get",
        "/api/payment-status/{orderId}",
        "payment_status",
        "The status of a checkout",
        SEED,
        {200: seed.PaymentStatusResponse},
        (403, 404, 429, 503),
        path_params={"orderId": common.OrderId},
    ),
    Operation(
        "post",
        "/api/payment-done",
        "payment_done",
        "The customer says they paid: check the wallet now",
        SEED,
        {200: seed.PaymentDoneResponse},
        (*POST_ERRORS, 404),
        body=seed.OrderRefBody,
    ),
    Operation(
        "post",
        "/api/payment-cancel",
        "payment_cancel",
        "Cancel a pending checkout",
        SEED,
        {200: seed.PaymentCancelResponse},
        (*POST_ERRORS, 404, 409),
        body=seed.OrderRefBody,
        notes={409: "The checkout is already completed or expired"},
    ),
    Operation(
        "get",
        "/api/upi-qr",
        "upi_qr",
        "A UPI payment string and its QR code for an amount",
        SEED,
        {200: seed.UpiQrResponse},
        (400, 403, 429),
        query=seed.UpiQrQuery,
    ),
    Operation(
        "get",
        "/api/balance",
        "balance",
        "The wallet balance",
        SEED,
        {200: seed.BalanceResponse},
        (401, 403, 429, 502, 503),
        secured=True,
    ),
    Operation(
        "get",
        "/api/order/{orderId}",
        "order",
        "A paid order",
        SEED,
        {200: seed.OrderResponse},
        (401, 403, 404, 429, 503),
        path_params={"orderId": common.OrderId},
        secured=True,
    ),
    Operation(
        "post",
        "/api/sandbox/credit",
        "sandbox_credit",
        "Sandbox only: pay a checkout exactly, or credit any amount",
        SEED,
        {200: seed.SandboxCreditResponse},
        (*POST_ERRORS, 404, 409),
        body=seed.SandboxCreditBody,
        notes={
            404: "Not in sandbox mode, or no such checkout",
            409: "The checkout is already paid",
        },
    ),
    # -- merchant API: checkout sessions ----------------------------------------------
    Operation(
        "post",
        "/api/v1/checkout-sessions",
        "create_checkout_session",
        "Create a checkout session",
        SESSIONS,
        {201: p.CheckoutSession},
        (*POST_ERRORS, 401, 409),
        body=v1_schemas.CreateCheckoutSessionBody,
        secured=True,
        idempotent=True,
        notes={
            409: "The orderId is already used, or the Idempotency-Key was used with "
            "another body (or its first request is still running)",
            503: "No distinct amount is free right now, the wallet or the store is unavailable",
        },
    ),
    Operation(
        "get",
        "/api/v1/checkout-sessions",
        "list_checkout_sessions",
        "List checkout sessions, newest first",
        SESSIONS,
        {200: v1_schemas.CheckoutSessionList},
        (400, 401, 403, 404, 429, 503),
        query=v1_schemas.ListCheckoutSessionsQuery,
        secured=True,
        notes={404: "startingAfter names no checkout session"},
    ),
    Operation(
        "get",
        "/api/v1/checkout-sessions/{id}",
        "get_checkout_session",
        "A checkout session",
        SESSIONS,
        {200: p.CheckoutSession},
        (401, 403, 404, 429, 503),
        path_params={"id": p.SessionId},
        secured=True,
    ),
    Operation(
        "post",
        "/api/v1/checkout-sessions/{id}/cancel",
        "cancel_checkout_session",
        "Cancel a checkout session",
        SESSIONS,
        {200: p.CheckoutSession},
        (400, 401, 403, 404, 409, 413, 429, 503),
        path_params={"id": p.SessionId},
        secured=True,
        idempotent=True,
        notes={
            400: "The Idempotency-Key is malformed",
            409: "The session is already completed or expired, or the Idempotency-Key conflicts",
        },
    ),
    # -- merchant API: webhooks ---------------------------------------------------------
    Operation(
        "post",
        "/api/v1/webhook-endpoints",
        "create_webhook_endpoint",
        "Register a webhook endpoint (answers its signing secret once)",
        WEBHOOKS,
        {201: p.WebhookEndpointWithSecret},
        (*POST_ERRORS, 401),
        body=v1_schemas.CreateWebhookEndpointBody,
        secured=True,
    ),
    Operation(
        "get",
        "/api/v1/webhook-endpoints",
        "list_webhook_endpoints",
        "List active webhook endpoints",
        WEBHOOKS,
        {200: v1_schemas.WebhookEndpointList},
        (401, 403, 429, 503),
        secured=True,
    ),
    Operation(
        "delete",
        "/api/v1/webhook-endpoints/{endpointId}",
        "delete_webhook_endpoint",
        "Delete a webhook endpoint",
        WEBHOOKS,
        {200: v1_schemas.DeletedWebhookEndpoint},
        (401, 403, 404, 429, 503),
        path_params={"endpointId": p.EndpointId},
        secured=True,
    ),
    Operation(
        "get",
        "/api/v1/webhook-deliveries",
        "list_webhook_deliveries",
        "List webhook deliveries, newest first",
        WEBHOOKS,
        {200: v1_schemas.WebhookDeliveryList},
        (400, 401, 403, 429, 503),
        query=v1_schemas.ListWebhookDeliveriesQuery,
        secured=True,
    ),
    Operation(
        "post",
        "/api/v1/webhook-deliveries/{deliveryId}/retry",
        "retry_webhook_delivery",
        "Send a delivery again now",
        WEBHOOKS,
        {200: p.WebhookDeliveryView},
        (401, 403, 404, 429, 503),
        path_params={"deliveryId": p.DeliveryId},
        secured=True,
        notes={404: "No such delivery, or it is being sent right now"},
    ),
    # -- merchant API: API keys and payment links ---------------------------------------
    Operation(
        "post",
        "/api/v1/api-keys",
        "create_api_key",
        "Create an API key (ADMIN_SECRET only; answers the key once)",
        KEYS,
        {201: p.ApiKeyWithSecret},
        (*POST_ERRORS, 401),
        body=v1_schemas.CreateApiKeyBody,
        secured=True,
        notes={403: "Only ADMIN_SECRET may manage API keys, or a foreign Origin"},
    ),
    Operation(
        "get",
        "/api/v1/api-keys",
        "list_api_keys",
        "List API keys (ADMIN_SECRET only)",
        KEYS,
        {200: v1_schemas.ApiKeyList},
        (401, 403, 429, 503),
        secured=True,
        notes={403: "Only ADMIN_SECRET may manage API keys, or a foreign Origin"},
    ),
    Operation(
        "delete",
        "/api/v1/api-keys/{keyId}",
        "revoke_api_key",
        "Revoke an API key (ADMIN_SECRET only)",
        KEYS,
        {200: v1_schemas.RevokedApiKey},
        (401, 403, 404, 429, 503),
        path_params={"keyId": p.ApiKeyId},
        secured=True,
        notes={
            403: "Only ADMIN_SECRET may manage API keys, or a foreign Origin",
            404: "No active API key with this id",
        },
    ),
    Operation(
        "post",
        "/api/v1/payment-links",
        "create_payment_link",
        "Create a payment link (fixed amount, or a min-max range)",
        KEYS,
        {201: p.PaymentLinkView},
        (*POST_ERRORS, 401, 409),
        body=v1_schemas.CreatePaymentLinkBody,
        secured=True,
        notes={409: "The slug is taken"},
    ),
)

# Routes on the blueprint that are not JSON API operations.
UNDOCUMENTED_ENDPOINTS = frozenset({"openapi_json", "docs"})

DESCRIPTION = """\
A self-hosted UPI payment gateway. The seed API (`/api/*`) serves browsers on
ALLOWED_ORIGINS; the merchant API (`/api/v1/*`) serves your backend with
`Authorization: Bearer <key>` (an API key from `flask keys create`, or ADMIN_SECRET).

Amounts are rupees with at most two decimals: requests take a number or a numeric
string (`1018`, `"1018.50"`), answers always carry numbers. Every error answers
`{"error": message, "details": [{"field", "message"}]}`.
"""


class SchemaConflict(RuntimeError):
    """Two models produced different schemas under one component name."""


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


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        _parameter(name, "path", TypeAdapter(kind).json_schema(), True)
        for name, kind in op.path_params.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if op.idempotent:
        parameters.append(_idempotency_header())

    responses: dict[str, Any] = {}
    for status, model in op.answers.items():
        responses[str(status)] = {
            "description": ANSWERS[status],
            "content": _json(_model_ref(model, components)),
        }
    error_ref = _model_ref(common.ErrorBody, components)
    for status in sorted(op.errors):
        response: dict[str, Any] = {
            "description": op.notes.get(status, ERRORS[status]),
            "content": _json(error_ref),
        }
        if status in (429, 503):
            response["headers"] = _retry_after()
        responses[str(status)] = response

    document: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        document["description"] = op.description
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": _json(_model_ref(op.body, components)),
        }
    document["responses"] = responses
    document["security"] = [{"bearerAuth": []}] if op.secured else []
    return document


@cache
def openapi_document() -> dict[str, Any]:
    """The whole document; it depends on the code only, so it is built once."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "UPI Checkout API", "version": API_VERSION, "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in OPERATIONS)],
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


@bp.get("/api/v1/openapi.json")
@limiter.limit(GENEROUS)
def openapi_json() -> Response:
    return jsonify(openapi_document())


@bp.get("/api/docs")
@limiter.limit(GENEROUS)
def docs() -> str:
    return render_template("api/docs.html", spec_url=url_for("api.openapi_json"))
