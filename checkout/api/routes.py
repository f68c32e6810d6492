"""The seed's JSON endpoints (and /health): parse, call one service, answer.

Field names and status codes follow the seed exactly. Each route is declared once,
by its decorator and its signature (checkout.api.operations), which also reads the
request and checks the answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, url_for

from checkout import clock, limits
from checkout.api.auth import bearer_token, require_merchant
from checkout.api.operations import Routes
from checkout.api.schemas.common import OrderId
from checkout.api.schemas.evidence import EvidenceAnswer
from checkout.api.schemas.seed import (
    BalanceResponse,
    CreatePaymentSessionBody,
    HealthResponse,
    NonceResponse,
    OrderRefBody,
    OrderResponse,
    PaymentCancelResponse,
    PaymentDoneBody,
    PaymentDoneResponse,
    PaymentStatusResponse,
    SandboxCreditBody,
    SandboxCreditResponse,
    UpiQrQuery,
    UpiQrResponse,
)
from checkout.domain.money import rupees_decimal
from checkout.domain.upi import build_upi_uri
from checkout.extensions import limiter
from checkout.gateway import client_ip, current_gateway, public_base_url
from checkout.providers.base import ProviderError
from checkout.qr import qr_png_data_uri
from checkout.services import checkouts, early_tick, nonces, presenters, sandbox, seed, ticks
from checkout.services.errors import BadGateway, NotFound
from checkout.services.health import health_report
from checkout.services.presenters import CreatePaymentSessionResponse

bp = Blueprint("api", __name__)
seed_api = Routes(bp, tag="Seed API")
NO_AMOUNT_FREE = "No distinct amount is free right now, the wallet or the store is unavailable"


def hosted_url(token: str) -> str:
    """The hosted pay page of a checkout, on the host the merchant's customers use."""
    return public_base_url() + url_for("pay.page", token=token)


def checkout_request(
    order_id: str | None, amount_paise: int, **details: Any
) -> checkouts.CheckoutRequest:
    """What a create asks the checkout service for; with no orderId given, one is made up."""
    return checkouts.CheckoutRequest(
        order_id=order_id or checkouts.new_order_id(),
        amount_paise=amount_paise,
        ip=client_ip(),
        **details,
    )


# -- health -----------------------------------------------------------------------------


@seed_api.get(
    "/health",
    "Health of the store and the wallet provider",
    limit=None,
    responses={200: HealthResponse, 503: HealthResponse},
    description="Never calls the wallet; 503 (status `down`) when the store is unreachable.",
)
def health() -> tuple[HealthResponse, int]:
    gateway = current_gateway()
    settings = gateway.settings
    status, body = health_report(
        gateway.store,
        gateway.provider,
        receive_only=settings.wallet_receive_only,
        settings=settings,
    )
    return HealthResponse(
        status=body["status"], timestamp=clock.utcnow(), checks=body["checks"]
    ), status


# -- the seed's endpoints ---------------------------------------------------------------


@seed_api.get("/api/nonce", "A single-use nonce for create-payment-session", limit=limits.NONCE)
def issue_nonce() -> NonceResponse:
    gateway = current_gateway()
    lifetime = timedelta(minutes=gateway.settings.nonce_expiry_minutes)
    value = nonces.issue_nonce(gateway.store, ip=client_ip(), now=clock.utcnow(), lifetime=lifetime)
    return NonceResponse(nonce=value, expiresInSeconds=int(lifetime.total_seconds()))


@seed_api.post(
    "/api/create-payment-session",
    "Open a checkout (the seed's request, plus a nonce)",
    limit=limits.CREATE,
    errors=(401, 409),
    notes={
        401: "The nonce is missing, unknown, expired or already used",
        409: "The orderId is already used",
        503: NO_AMOUNT_FREE,
    },
)
def create_payment_session(body: CreatePaymentSessionBody) -> CreatePaymentSessionResponse:
    wanted = checkout_request(
        body.orderId,
        body.total_paise,
        source="seed",
        base_price_paise=body.basePrice,
        tax_paise=body.tax,
        product_details=body.productDetails,
        delivery_details=body.deliveryDetails,
        email=body.email,
        coupon_code=body.couponCode or None,
    )
    gateway = current_gateway()
    session = checkouts.create_checkout_with_nonce(
        gateway.store,
        gateway.provider,
        gateway.settings,
        wanted,
        nonce=body.nonce,
        now=clock.utcnow(),
    )
    url = hosted_url(session.token)
    return presenters.created_payment_session(session, gateway.settings, url=url)


def _merchant_caller() -> bool:
    """A Bearer key, when one is sent, must be valid (401); none means the seed's caller."""
    return bearer_token() is not None and require_merchant() is not None


@seed_api.get(
    "/api/payment-status/<orderId>", "The status of a checkout", limit=limits.STATUS, errors=(404,)
)
def payment_status(orderId: OrderId) -> PaymentStatusResponse:
    store = current_gateway().store
    found = seed.status(store, orderId, merchant=_merchant_caller(), now=clock.utcnow())
    return PaymentStatusResponse(status=found)


@seed_api.post(
    "/api/payment-done",
    "The customer says they paid: check the wallet now",
    errors=(404, 409),
    notes={409: "With a utr: the checkout can no longer be paid, or holds 3 UTR claims already"},
)
def payment_done(body: PaymentDoneBody) -> PaymentDoneResponse:
    gateway = current_gateway()
    if body.utr is not None:
        # Counted per checkout, whoever asks: an RRN is guessable, so no fishing with it.
        with limiter.limit(limits.UTR, key_func=limits.per_checkout(body.orderId)):
            pass
    done = seed.payment_done(
        gateway.store,
        gateway.settings,
        early_tick.for_ticker(gateway.ticker),
        body.orderId,
        merchant=_merchant_caller(),
        now_fn=clock.utcnow,
        ip=client_ip(),
        utr=body.utr,
    )
    diff, expected = rupees_decimal(done.credited_paise), rupees_decimal(done.expected_paise)
    # Only a miss names the checkout's own status; only a UTR gets utrStatus.
    shown: dict[str, str] = (
        {"sessionStatus": done.session_status} if done.status == "not-matched" else {}
    )
    if done.utr_status is not None:
        shown["utrStatus"] = done.utr_status
    return PaymentDoneResponse(status=done.status, diff=diff, expected=expected, **shown)


@seed_api.post(
    "/api/payment-cancel",
    "Cancel a pending checkout",
    errors=(404, 409),
    notes={409: "The checkout is already completed or expired"},
)
def payment_cancel(body: OrderRefBody) -> PaymentCancelResponse:
    gateway = current_gateway()
    session = seed.cancel(
        gateway.store,
        gateway.settings,
        body.orderId,
        merchant=_merchant_caller(),
        now=clock.utcnow(),
        ip=client_ip(),
    )
    return PaymentCancelResponse(status=session.status)


@seed_api.get("/api/upi-qr", "A UPI payment string and its QR code for an amount")
def upi_qr(query: UpiQrQuery) -> UpiQrResponse:
    settings = current_gateway().settings
    uri = build_upi_uri(
        payee_vpa=settings.upi_id,
        payee_name=settings.upi_payee_name,
        amount_paise=query.amount,
        note=query.note,
        merchant_code=settings.upi_merchant_code,
    )
    return UpiQrResponse(
        upiString=uri,
        qrCode=qr_png_data_uri(uri),
        upiId=settings.upi_id,
        payeeName=settings.upi_payee_name,
        amount=rupees_decimal(query.amount),
    )


@seed_api.get("/api/balance", "The wallet balance", errors=(502,), secured=True)
def balance() -> BalanceResponse:
    try:
        paise = current_gateway().provider.balance()
    except ProviderError as exc:
        raise BadGateway(f"The wallet did not answer ({exc.reason})") from None
    return BalanceResponse(balance=rupees_decimal(paise))


@seed_api.get("/api/order/<orderId>", "A paid order", errors=(404,), secured=True)
def order(orderId: OrderId) -> OrderResponse:
    found = current_gateway().store.order_by_order_id(orderId)
    if found is None:
        raise NotFound("Order not found", field="orderId", detail="no such order")
    return OrderResponse(success=True, order=presenters.order_view(found))


def _sandbox_only() -> None:
    if not current_gateway().settings.sandbox:
        raise NotFound("Not found")


# How every sandbox route is declared: only in the sandbox, about one checkout.
SANDBOX_ROUTE: dict[str, Any] = {
    "errors": (404, 409),
    "guard": _sandbox_only,
    "notes": {
        404: "Not in sandbox mode, or no such checkout",
        409: "The checkout is already paid",
    },
}


@seed_api.post(
    "/api/sandbox/credit",
    "Sandbox only: pay a checkout exactly, or credit any amount",
    **SANDBOX_ROUTE,
)
def sandbox_credit(body: SandboxCreditBody) -> SandboxCreditResponse:
    gateway = current_gateway()
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
    return SandboxCreditResponse(
        credited=rupees_decimal(amount), balance=rupees_decimal(new_balance)
    )


@seed_api.post(
    "/api/sandbox/sms",
    "Sandbox only: post the bank's credit SMS for a checkout's exact amount",
    **SANDBOX_ROUTE,
    description="An HDFC credit SMS with a fresh RRN, through the same path as "
    "`POST /api/v1/evidence/sms`; the answer is that endpoint's.",
)
def sandbox_sms(body: OrderRefBody) -> EvidenceAnswer:
    # Imported here: the evidence routes import this module's blueprint.
    from checkout.api.evidence import evidence_answer

    gateway = current_gateway()
    received = sandbox.send_bank_sms(
        gateway.store, gateway.evidence, gateway.settings, body.orderId, now=clock.utcnow()
    )
    return evidence_answer(received)
