"""JSON endpoints: parse, call one service, answer. Field names follow the seed exactly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import BaseModel, ValidationError

from checkout import clock
from checkout.api.auth import bearer_token, require_merchant
from checkout.api.schemas.seed import (
    CreatePaymentSessionBody,
    OrderRefBody,
    SandboxCreditBody,
    UpiQrQuery,
)
from checkout.domain.money import rupees_decimal
from checkout.domain.upi import build_upi_uri
from checkout.extensions import limiter
from checkout.gateway import client_ip, current_gateway, public_base_url
from checkout.providers.base import ProviderError
from checkout.qr import qr_png_data_uri
from checkout.services import checkouts, early_tick, nonces, sandbox, seed, ticks
from checkout.services.errors import BadGateway, InvalidRequest, NotFound, ServiceError
from checkout.services.health import health_report
from checkout.services.presenters import iso
from checkout.storage.models import PaymentSession

bp = Blueprint("api", __name__)

Model = TypeVar("Model", bound=BaseModel)


def _validation_context() -> dict[str, Any]:
    return {"max_paise": current_gateway().settings.max_amount_paise}


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    details = []
    for error in exc.errors(include_url=False):
        # A rule across fields (a model validator) names the field to fix in its context.
        named = (error.get("ctx") or {}).get("field")
        field = ".".join(str(part) for part in error["loc"]) or str(named or "body")
        message = error["msg"].removeprefix("Value error, ")
        details.append({"field": field, "message": message})
    return details


def _validated(model: type[Model], data: Any) -> Model:
    """The request as the model reads it; what it refuses is the client's error (400)."""
    try:
        return model.model_validate(data, context=_validation_context())
    except ValidationError as exc:
        raise InvalidRequest("Validation failed", validation_details(exc)) from None


def parse_body(model: type[Model]) -> Model:
    if not request.is_json:
        raise ServiceError(
            "Request body must be JSON",
            field="body",
            detail="send Content-Type: application/json",
        )
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(
            "Request body must be a JSON object", field="body", detail="expected a JSON object"
        )
    return _validated(model, data)


def parse_query(model: type[Model]) -> Model:
    return _validated(model, request.args.to_dict())


def hosted_url(session: PaymentSession) -> str:
    return public_base_url() + url_for("pay.page", token=session.token)


def upi_uri_for(session: PaymentSession) -> str:
    return checkouts.payment_uri(session, current_gateway().settings)


# -- rate limits ------------------------------------------------------------------------


def _create_limit() -> str:
    settings = current_gateway().settings
    return f"{settings.rate_limit_max_requests} per {settings.rate_limit_window_ms // 1000} seconds"


GENEROUS = "120 per minute"
POLLING = "600 per minute"


# -- health -----------------------------------------------------------------------------


@bp.get("/health")
@limiter.exempt
def health() -> tuple[Response, int]:
    gateway = current_gateway()
    receive_only = gateway.settings.wallet_receive_only
    status, body = health_report(gateway.store, gateway.provider, receive_only=receive_only)
    return jsonify({"status": body.pop("status"), "timestamp": iso(clock.utcnow()), **body}), status


# -- the seed's endpoints ---------------------------------------------------------------


@bp.get("/api/nonce")
@limiter.limit(GENEROUS)
def issue_nonce() -> Response:
    gateway = current_gateway()
    lifetime = timedelta(minutes=gateway.settings.nonce_expiry_minutes)
    value = nonces.issue_nonce(gateway.store, ip=client_ip(), now=clock.utcnow(), lifetime=lifetime)
    return jsonify({"nonce": value, "expiresInSeconds": int(lifetime.total_seconds())})


@bp.post("/api/create-payment-session")
@limiter.limit(_create_limit)
def create_payment_session() -> Response:
    body = parse_body(CreatePaymentSessionBody)
    gateway = current_gateway()
    now = clock.utcnow()
    session = checkouts.create_checkout_with_nonce(
        gateway.store,
        gateway.provider,
        gateway.settings,
        checkouts.CheckoutRequest(
            order_id=body.orderId or checkouts.new_order_id(),
            amount_paise=body.total_paise,
            source="seed",
            base_price_paise=body.basePrice,
            tax_paise=body.tax,
            product_details=body.productDetails,
            delivery_details=body.deliveryDetails,
            email=body.email,
            coupon_code=body.couponCode or None,
            ip=client_ip(),
        ),
        nonce=body.nonce,
        now=now,
    )
    uri = upi_uri_for(session)
    return jsonify(
        {
            "success": True,
            "orderId": session.orderId,
            "amount": rupees_decimal(session.amountPaise),
            "url": hosted_url(session),
            "status": session.status,
            "expiresAt": iso(session.expiresAt),
            "upiString": uri,
            "qrCode": qr_png_data_uri(uri),
        }
    )


def _merchant_caller() -> bool:
    """A Bearer key, when one is sent, must be valid (401); none means the seed's caller."""
    return bearer_token() is not None and require_merchant() is not None


@bp.get("/api/payment-status/<order_id>")
@limiter.limit(POLLING)
def payment_status(order_id: str) -> Response:
    store = current_gateway().store
    session = seed.find(store, order_id, merchant=_merchant_caller(), now=clock.utcnow())
    return jsonify({"status": session.status})


@bp.post("/api/payment-done")
@limiter.limit(GENEROUS)
def payment_done() -> Response:
    body = parse_body(OrderRefBody)
    gateway = current_gateway()
    done = seed.payment_done(
        gateway.store,
        early_tick.for_ticker(gateway.ticker),
        body.orderId,
        merchant=_merchant_caller(),
        now_fn=clock.utcnow,
        ip=client_ip(),
    )
    answer: dict[str, Any] = {"status": done.status, "diff": rupees_decimal(done.credited_paise)}
    if done.status == "not-matched":
        answer["sessionStatus"] = done.session_status
    answer["expected"] = rupees_decimal(done.expected_paise)
    return jsonify(answer)


@bp.post("/api/payment-cancel")
@limiter.limit(GENEROUS)
def payment_cancel() -> Response:
    body = parse_body(OrderRefBody)
    gateway = current_gateway()
    session = seed.cancel(
        gateway.store,
        gateway.settings,
        body.orderId,
        merchant=_merchant_caller(),
        now=clock.utcnow(),
        ip=client_ip(),
    )
    return jsonify({"status": session.status})


@bp.get("/api/upi-qr")
@limiter.limit(GENEROUS)
def upi_qr() -> Response:
    query = parse_query(UpiQrQuery)
    settings = current_gateway().settings
    uri = build_upi_uri(
        payee_vpa=settings.upi_id,
        payee_name=settings.upi_payee_name,
        amount_paise=query.amount,
        note=query.note,
    )
    return jsonify(
        {
            "upiString": uri,
            "qrCode": qr_png_data_uri(uri),
            "upiId": settings.upi_id,
            "payeeName": settings.upi_payee_name,
            "amount": rupees_decimal(query.amount),
        }
    )


@bp.get("/api/balance")
@limiter.limit(GENEROUS)
def balance() -> Response:
    require_merchant()
    gateway = current_gateway()
    try:
        paise = gateway.provider.balance()
    except ProviderError as exc:
        raise BadGateway(f"The wallet did not answer ({exc.reason})") from None
    return jsonify({"balance": rupees_decimal(paise)})


@bp.get("/api/order/<order_id>")
@limiter.limit(GENEROUS)
def order(order_id: str) -> Response:
    require_merchant()
    found = current_gateway().store.order_by_order_id(order_id)
    if found is None:
        raise NotFound("Order not found", field="orderId", detail="no such order")
    return jsonify(
        {
            "success": True,
            "order": {
                "orderId": found.orderId,
                "productDetails": found.productDetails,
                "deliveryDetails": found.deliveryDetails,
                "email": found.email,
                "totalAmount": rupees_decimal(found.totalAmountPaise),
                "amountPaid": rupees_decimal(found.amountPaidPaise),
                "status": found.status,
                "paymentMethod": found.paymentMethod,
                "late": found.late,
                "createdAt": iso(found.createdAt),
            },
        }
    )


@bp.post("/api/sandbox/credit")
@limiter.limit(GENEROUS)
def sandbox_credit() -> Response:
    gateway = current_gateway()
    if not gateway.settings.sandbox:
        raise NotFound("Not found")
    body = parse_body(SandboxCreditBody)
    now = clock.utcnow()
    if body.orderId is not None:
        amount, new_balance = sandbox.pay_checkout(
            gateway.store,
            body.orderId,
            now=now,
            read_wallet=ticks.read_sandbox_now(
                gateway.store, gateway.provider, gateway.settings, owner=gateway.ticker.owner
            ),
        )
    else:
        assert body.amount is not None
        amount = body.amount
        new_balance = sandbox.credit_wallet(gateway.store, amount, now=now)
    return jsonify({"credited": rupees_decimal(amount), "balance": rupees_decimal(new_balance)})
