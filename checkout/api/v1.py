"""Merchant API `/api/v1`: checkout sessions, webhook endpoints and deliveries, keys and links.

Every route needs a Bearer key (a managed API key, or ADMIN_SECRET as the
master key). Creates and cancels honour `Idempotency-Key`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from checkout import clock, limits
from checkout.api.auth import current_caller
from checkout.api.operations import Routes
from checkout.api.routes import NO_AMOUNT_FREE, bp, checkout_request, hosted_url
from checkout.api.schemas.v1 import (
    ApiKeyList,
    CheckoutSessionList,
    ClaimUtrBody,
    CreateApiKeyBody,
    CreateCheckoutSessionBody,
    CreatePaymentLinkBody,
    CreateWebhookEndpointBody,
    DeletedWebhookEndpoint,
    ListCheckoutSessionsQuery,
    ListUtrClaimsQuery,
    ListWebhookDeliveriesQuery,
    RevokedApiKey,
    UtrClaimAnswer,
    WebhookDeliveryList,
    WebhookEndpointList,
)
from checkout.extensions import limiter
from checkout.gateway import client_ip, current_gateway, public_base_url
from checkout.services import checkouts, keys, links, outbox, presenters, utr
from checkout.services.errors import NotFound
from checkout.services.keys import relay_sms_url
from checkout.services.presenters import (
    ApiKeyId,
    ApiKeyWithSecret,
    CheckoutSession,
    DeliveryId,
    EndpointId,
    PaymentLinkView,
    SessionId,
    WebhookDeliveryView,
    WebhookEndpointWithSecret,
    internal_session_id,
)
from checkout.services.utr import UtrClaimList

sessions = Routes(bp, tag="Checkout sessions", secured=True)
hooks = Routes(bp, tag="Webhooks", secured=True)
keys_and_links = Routes(bp, tag="API keys and payment links", secured=True)
claims = Routes(bp, tag="UTR claims", secured=True)


def _session(public_id: str) -> Any:
    """The checkout behind a public id, expired on read if its time is up; 404 if none."""
    gateway = current_gateway()
    internal = internal_session_id(public_id)
    session = gateway.store.session_by_id(internal) if internal else None
    if session is None:
        raise NotFound("Checkout session not found", field="id", detail="unknown")
    return checkouts.apply_expiry(gateway.store, session, now=clock.utcnow())


def _shown(session: Any) -> CheckoutSession:
    return presenters.checkout_session(
        session, current_gateway().settings, url=hosted_url(session.token)
    )


# -- checkout sessions ------------------------------------------------------------------


@sessions.post(
    "/api/v1/checkout-sessions",
    "Create a checkout session",
    status=201,
    errors=(409,),
    idempotency_scope="create-checkout-session",
    notes={
        409: "The orderId is already used, or the Idempotency-Key was used with "
        "another body (or its first request is still running)",
        503: NO_AMOUNT_FREE,
    },
)
def create_checkout_session(body: CreateCheckoutSessionBody) -> CheckoutSession:
    caller = current_caller()  # its key signs the return redirect
    wanted = checkout_request(
        body.orderId,
        body.amount,
        source="v1",
        email=body.customer.email,
        description=body.description,
        customer=body.customer.model_dump(exclude_none=True),
        metadata=body.metadata,
        return_url=body.returnUrl,
        cancel_url=body.cancelUrl,
        expires_in_minutes=body.expiresInMinutes,
        key_id=caller.key_id,
    )
    gateway = current_gateway()
    session = checkouts.create_checkout(
        gateway.store, gateway.provider, gateway.settings, wanted, now=clock.utcnow()
    )
    return _shown(session)


@sessions.get(
    "/api/v1/checkout-sessions",
    "List checkout sessions, newest first",
    limit=limits.STATUS,
    errors=(404,),
    notes={404: "startingAfter names no checkout session"},
)
def list_checkout_sessions(query: ListCheckoutSessionsQuery) -> CheckoutSessionList:
    before: tuple[datetime, str] | None = None
    if query.startingAfter:
        cursor = _session(query.startingAfter)
        before = (cursor.createdAt, str(cursor.id))
    found = current_gateway().store.list_sessions(
        status=query.status,
        order_id=query.orderId,
        created_after=query.createdAfter,
        before=before,
        limit=query.limit + 1,
    )
    page = [_shown(session) for session in found[: query.limit]]
    has_more = len(found) > query.limit
    return CheckoutSessionList(
        object="list",
        data=page,
        hasMore=has_more,
        nextCursor=page[-1].id if has_more and page else None,
    )


@sessions.get(
    "/api/v1/checkout-sessions/<id>", "A checkout session", limit=limits.STATUS, errors=(404,)
)
def get_checkout_session(id: SessionId) -> CheckoutSession:
    return _shown(_session(id))


@sessions.post(
    "/api/v1/checkout-sessions/<id>/cancel",
    "Cancel a checkout session",
    errors=(404, 409),
    idempotency_scope="cancel:{id}",
    notes={
        400: "The Idempotency-Key is malformed",
        409: "The session is already completed or expired, or the Idempotency-Key conflicts",
    },
)
def cancel_checkout_session(id: SessionId) -> CheckoutSession:
    gateway = current_gateway()
    session = _session(id)
    cancelled = checkouts.cancel_checkout(
        gateway.store, gateway.settings, session.orderId, now=clock.utcnow(), ip=client_ip()
    )
    return _shown(cancelled)


@claims.post(
    "/api/v1/checkout-sessions/<id>/utr",
    "The customer's UTR for a checkout: matched, waiting for its evidence, or a mismatch",
    errors=(404, 409),
    notes={
        409: "The checkout can no longer be paid, or it holds 3 UTR claims already",
        429: "Too many claims for this checkout, or too many requests",
    },
    description="A claim alone never completes anything: only the bank evidence with that "
    "RRN does, when it is unattributed and of the payable or the requested amount.",
)
def claim_checkout_utr(id: SessionId, body: ClaimUtrBody) -> UtrClaimAnswer:
    gateway = current_gateway()
    session = _session(id)
    with limiter.limit(limits.UTR, key_func=limits.per_checkout(session.orderId)):
        result = utr.claim(
            gateway.store,
            gateway.claims,
            gateway.settings,
            session,
            body.utr,
            now=clock.utcnow(),
            ip=client_ip(),
        )
    return UtrClaimAnswer(status=result.status, utrStatus=result.utr_status)


@claims.get("/api/v1/utr-claims", "UTR claims, newest first (mismatch: the review queue)")
def list_utr_claims(query: ListUtrClaimsQuery) -> UtrClaimList:
    gateway = current_gateway()
    return utr.list_claims(gateway.claims, gateway.store, status=query.status, limit=query.limit)


# -- webhooks ---------------------------------------------------------------------------


@hooks.post(
    "/api/v1/webhook-endpoints",
    "Register a webhook endpoint (answers its signing secret once)",
    status=201,
)
def create_webhook_endpoint(body: CreateWebhookEndpointBody) -> WebhookEndpointWithSecret:
    gateway = current_gateway()
    endpoint = outbox.add_endpoint(
        gateway.merchant, gateway.settings, url=body.url, events=body.events, now=clock.utcnow()
    )
    return presenters.new_endpoint_view(endpoint)


@hooks.get("/api/v1/webhook-endpoints", "List active webhook endpoints")
def list_webhook_endpoints() -> WebhookEndpointList:
    endpoints = current_gateway().merchant.endpoints()
    return WebhookEndpointList(object="list", data=[presenters.endpoint_view(e) for e in endpoints])


@hooks.delete("/api/v1/webhook-endpoints/<endpointId>", "Delete a webhook endpoint", errors=(404,))
def delete_webhook_endpoint(endpointId: EndpointId) -> DeletedWebhookEndpoint:
    if not current_gateway().merchant.delete_endpoint(endpointId, clock.utcnow()):
        raise NotFound("Webhook endpoint not found", field="id", detail="unknown")
    return DeletedWebhookEndpoint(id=endpointId, deleted=True)


@hooks.get("/api/v1/webhook-deliveries", "List webhook deliveries, newest first")
def list_webhook_deliveries(query: ListWebhookDeliveriesQuery) -> WebhookDeliveryList:
    deliveries = current_gateway().merchant.deliveries(
        status=query.status, event_id=query.eventId, limit=query.limit
    )
    return WebhookDeliveryList(
        object="list", data=[presenters.delivery_view(d) for d in deliveries]
    )


@hooks.post(
    "/api/v1/webhook-deliveries/<deliveryId>/retry",
    "Send a delivery again now",
    errors=(404,),
    notes={404: "No such delivery, or it is being sent right now"},
)
def retry_webhook_delivery(deliveryId: DeliveryId) -> WebhookDeliveryView:
    delivery = outbox.retry(current_gateway().merchant, deliveryId, now=clock.utcnow())
    return presenters.delivery_view(delivery)


# -- API keys and payment links (what the CLI asks a running server for) ---------------


@keys_and_links.post(
    "/api/v1/api-keys",
    "Create an API key (ADMIN_SECRET only; answers the key once)",
    status=201,
    master_only=True,
)
def create_api_key(body: CreateApiKeyBody) -> ApiKeyWithSecret:
    gateway = current_gateway()
    issued = keys.create_key(
        gateway.merchant,
        name=body.name,
        sandbox=gateway.settings.sandbox,
        now=clock.utcnow(),
        scope=body.scope,
        url_token=body.urlToken,
    )
    relay_url = relay_sms_url(public_base_url(), issued.secret) if body.urlToken else None
    return presenters.issued_key_view(issued, relay_url=relay_url)


@keys_and_links.get("/api/v1/api-keys", "List API keys (ADMIN_SECRET only)", master_only=True)
def list_api_keys() -> ApiKeyList:
    records = current_gateway().merchant.api_keys()
    return ApiKeyList(object="list", data=[presenters.key_view(r) for r in records])


@keys_and_links.delete(
    "/api/v1/api-keys/<keyId>",
    "Revoke an API key (ADMIN_SECRET only)",
    errors=(404,),
    master_only=True,
    notes={404: "No active API key with this id"},
)
def revoke_api_key(keyId: ApiKeyId) -> RevokedApiKey:
    if not current_gateway().merchant.revoke_key(keyId, clock.utcnow()):
        raise NotFound("No active API key with this id", field="id", detail="unknown")
    return RevokedApiKey(id=keyId, revoked=True)


@keys_and_links.post(
    "/api/v1/payment-links",
    "Create a payment link (fixed amount, or a min-max range)",
    status=201,
    errors=(409,),
    notes={409: "The slug is taken"},
)
def create_payment_link(body: CreatePaymentLinkBody) -> PaymentLinkView:
    gateway = current_gateway()
    link = links.create_link(
        gateway.links,
        title=body.title,
        amount_paise=body.amount,
        min_paise=body.minAmount,
        max_paise=body.maxAmount,
        description=body.description,
        slug=body.slug,
        expires_in_minutes=body.expiresInMinutes,
        now=clock.utcnow(),
    )
    url = public_base_url() + url_for("pay.link_page", slug=link.slug)
    return presenters.link_view(link, gateway.settings, url=url)
