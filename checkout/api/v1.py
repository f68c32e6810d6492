"""Merchant API `/api/v1`: checkout sessions, webhook endpoints and deliveries.

Every route needs a Bearer key (a managed API key, or ADMIN_SECRET as the
master key). Creates and cancels honour `Idempotency-Key`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for

from checkout import clock
from checkout.api.auth import require_merchant
from checkout.api.routes import (
    GENEROUS,
    POLLING,
    bp,
    hosted_url,
    parse_body,
    parse_query,
    upi_uri_for,
)
from checkout.api.schemas.v1 import (
    CreateApiKeyBody,
    CreateCheckoutSessionBody,
    CreatePaymentLinkBody,
    CreateWebhookEndpointBody,
    ListCheckoutSessionsQuery,
    ListWebhookDeliveriesQuery,
)
from checkout.errors import error_answer
from checkout.extensions import limiter
from checkout.gateway import client_ip, current_gateway, public_base_url
from checkout.services import checkouts, idempotency, keys, links, outbox
from checkout.services.errors import Forbidden, NotFound, ServiceError
from checkout.services.presenters import internal_session_id, iso, public_session_id, session_data
from checkout.storage.merchant import ApiKey, WebhookDelivery, WebhookEndpoint
from checkout.storage.models import PaymentSession


def session_view(session: PaymentSession) -> dict[str, Any]:
    return {**session_data(session), "url": hosted_url(session), "upiString": upi_uri_for(session)}


def _session(public_id: str) -> PaymentSession:
    gateway = current_gateway()
    internal = internal_session_id(public_id)
    session = gateway.store.session_by_id(internal) if internal else None
    if session is None:
        raise NotFound("Checkout session not found", field="id", detail="unknown")
    return checkouts.apply_expiry(gateway.store, session, now=clock.utcnow())


def _idempotent(route: str, produce: Callable[[], tuple[dict[str, Any], int]]) -> Response:
    """Run once per Idempotency-Key; a retry with the same body gets the first answer."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        body, status = produce()
        response = jsonify(body)
        response.status_code = status
        return response

    def run() -> tuple[int, str]:
        try:
            body, status = produce()
        except ServiceError as exc:
            if exc.status >= 500:
                raise  # nothing was decided: the key is released for a retry
            # A refusal is the answer this key keeps, written once by the one error path.
            refused = error_answer(exc)
            return refused.status_code, refused.get_data(as_text=True)
        return status, current_app.json.dumps(body)

    status, text, replayed = idempotency.run_once(
        current_gateway().merchant,
        scope=f"{g.caller.key_id}:{route}",
        key=key,
        body=request.get_data(),
        now=clock.utcnow(),
        produce=run,
    )
    response = Response(text, status=status, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


# -- checkout sessions ------------------------------------------------------------------


@bp.post("/api/v1/checkout-sessions")
@limiter.limit(GENEROUS)
def create_checkout_session() -> Response:
    caller = require_merchant()
    body = parse_body(CreateCheckoutSessionBody)
    gateway = current_gateway()

    def create() -> tuple[dict[str, Any], int]:
        session = checkouts.create_checkout(
            gateway.store,
            gateway.provider,
            gateway.settings,
            checkouts.CheckoutRequest(
                order_id=body.orderId or checkouts.new_order_id(),
                amount_paise=body.amount,
                source="v1",
                email=body.customer.email,
                description=body.description,
                customer=body.customer.model_dump(exclude_none=True),
                metadata=body.metadata,
                return_url=body.returnUrl,
                cancel_url=body.cancelUrl,
                expires_in_minutes=body.expiresInMinutes,
                ip=client_ip(),
                key_id=caller.key_id,
            ),
            now=clock.utcnow(),
        )
        return session_view(session), 201

    return _idempotent("create-checkout-session", create)


@bp.get("/api/v1/checkout-sessions")
@limiter.limit(POLLING)
def list_checkout_sessions() -> Response:
    require_merchant()
    query = parse_query(ListCheckoutSessionsQuery)
    gateway = current_gateway()
    before: tuple[datetime, str] | None = None
    if query.startingAfter:
        cursor = _session(query.startingAfter)
        before = (cursor.createdAt, str(cursor.id))
    found = gateway.store.list_sessions(
        status=query.status,
        order_id=query.orderId,
        created_after=query.createdAfter,
        before=before,
        limit=query.limit + 1,
    )
    page = found[: query.limit]
    has_more = len(found) > query.limit
    return jsonify(
        {
            "object": "list",
            "data": [session_view(s) for s in page],
            "hasMore": has_more,
            "nextCursor": public_session_id(page[-1]) if has_more and page else None,
        }
    )


@bp.get("/api/v1/checkout-sessions/<session_id>")
@limiter.limit(POLLING)
def get_checkout_session(session_id: str) -> Response:
    require_merchant()
    return jsonify(session_view(_session(session_id)))


@bp.post("/api/v1/checkout-sessions/<session_id>/cancel")
@limiter.limit(GENEROUS)
def cancel_checkout_session(session_id: str) -> Response:
    require_merchant()
    gateway = current_gateway()

    def cancel() -> tuple[dict[str, Any], int]:
        session = _session(session_id)
        cancelled = checkouts.cancel_checkout(
            gateway.store, gateway.settings, session.orderId, now=clock.utcnow(), ip=client_ip()
        )
        return session_view(cancelled), 200

    return _idempotent(f"cancel:{session_id}", cancel)


# -- webhooks ---------------------------------------------------------------------------


def endpoint_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.endpointId,
        "url": outbox.shown_url(endpoint.url),
        "events": list(endpoint.events),
        "active": endpoint.active,
        "createdAt": iso(endpoint.createdAt),
    }


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.deliveryId,
        "eventId": delivery.eventId,
        "type": delivery.type,
        "endpointId": delivery.endpointId,
        "url": outbox.shown_url(delivery.url),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": iso(delivery.nextAttemptAt) if delivery.status == "pending" else None,
        "lastStatusCode": delivery.lastStatusCode,
        "lastError": delivery.lastError,
        "createdAt": iso(delivery.createdAt),
        "deliveredAt": iso(delivery.deliveredAt),
    }


@bp.post("/api/v1/webhook-endpoints")
@limiter.limit(GENEROUS)
def create_webhook_endpoint() -> tuple[Response, int]:
    require_merchant()
    body = parse_body(CreateWebhookEndpointBody)
    gateway = current_gateway()
    endpoint = outbox.add_endpoint(
        gateway.merchant, gateway.settings, url=body.url, events=body.events, now=clock.utcnow()
    )
    # The signing secret is shown here once; later reads never include it.
    return jsonify({**endpoint_view(endpoint), "secret": endpoint.secret}), 201


@bp.get("/api/v1/webhook-endpoints")
@limiter.limit(GENEROUS)
def list_webhook_endpoints() -> Response:
    require_merchant()
    endpoints = current_gateway().merchant.endpoints()
    return jsonify({"object": "list", "data": [endpoint_view(e) for e in endpoints]})


@bp.delete("/api/v1/webhook-endpoints/<endpoint_id>")
@limiter.limit(GENEROUS)
def delete_webhook_endpoint(endpoint_id: str) -> Response:
    require_merchant()
    if not current_gateway().merchant.delete_endpoint(endpoint_id, clock.utcnow()):
        raise NotFound("Webhook endpoint not found", field="id", detail="unknown")
    return jsonify({"id": endpoint_id, "deleted": True})


@bp.get("/api/v1/webhook-deliveries")
@limiter.limit(GENEROUS)
def list_webhook_deliveries() -> Response:
    require_merchant()
    query = parse_query(ListWebhookDeliveriesQuery)
    deliveries = current_gateway().merchant.deliveries(
        status=query.status, event_id=query.eventId, limit=query.limit
    )
    return jsonify({"object": "list", "data": [delivery_view(d) for d in deliveries]})


@bp.post("/api/v1/webhook-deliveries/<delivery_id>/retry")
@limiter.limit(GENEROUS)
def retry_webhook_delivery(delivery_id: str) -> Response:
    require_merchant()
    delivery = outbox.retry(current_gateway().merchant, delivery_id, now=clock.utcnow())
    return jsonify(delivery_view(delivery))


# -- API keys and payment links (what the CLI asks a running server for) ---------------


def _require_master() -> None:
    if require_merchant().key_id != keys.MASTER_KEY_ID:
        raise Forbidden("Only ADMIN_SECRET may manage API keys")


def key_view(record: ApiKey) -> dict[str, Any]:
    return {
        "id": record.keyId,
        "name": record.name,
        "mode": record.mode,
        "prefix": record.prefix,
        "createdAt": iso(record.createdAt),
        "revokedAt": iso(record.revokedAt),
        "lastUsedAt": iso(record.lastUsedAt),
    }


@bp.post("/api/v1/api-keys")
@limiter.limit(GENEROUS)
def create_api_key() -> tuple[Response, int]:
    _require_master()
    body = parse_body(CreateApiKeyBody)
    gateway = current_gateway()
    issued = keys.create_key(
        gateway.merchant, name=body.name, sandbox=gateway.settings.sandbox, now=clock.utcnow()
    )
    view = {**key_view(issued.record), "secret": issued.secret}
    return jsonify({**view, "signingKey": issued.record.signingKey}), 201


@bp.get("/api/v1/api-keys")
@limiter.limit(GENEROUS)
def list_api_keys() -> Response:
    _require_master()
    records = current_gateway().merchant.api_keys()
    return jsonify({"object": "list", "data": [key_view(r) for r in records]})


@bp.delete("/api/v1/api-keys/<key_id>")
@limiter.limit(GENEROUS)
def revoke_api_key(key_id: str) -> Response:
    _require_master()
    if not current_gateway().merchant.revoke_key(key_id, clock.utcnow()):
        raise NotFound("No active API key with this id", field="id", detail="unknown")
    return jsonify({"id": key_id, "revoked": True})


@bp.post("/api/v1/payment-links")
@limiter.limit(GENEROUS)
def create_payment_link() -> tuple[Response, int]:
    require_merchant()
    body = parse_body(CreatePaymentLinkBody)
    link = links.create_link(
        current_gateway().links,
        title=body.title,
        amount_paise=body.amount,
        min_paise=body.minAmount,
        max_paise=body.maxAmount,
        description=body.description,
        slug=body.slug,
        expires_in_minutes=body.expiresInMinutes,
        now=clock.utcnow(),
    )
    return jsonify(
        {
            "slug": link.slug,
            "title": link.title,
            "amountHint": links.amount_hint(link),
            "url": public_base_url() + url_for("pay.link_page", slug=link.slug),
            "expiresInMinutes": links.expiry_minutes(link, current_gateway().settings),
            "createdAt": iso(link.createdAt),
        }
    ), 201
