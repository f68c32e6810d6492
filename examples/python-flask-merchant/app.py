"""A tiny shop backend that takes payments through UPI Checkout.

1. POST /buy          creates a checkout (server to server, secret key) and redirects
                      the customer to the hosted payment page.
2. GET  /return       the customer comes back here; the query is signed, so we can show
                      the right message without calling the gateway, but we only
                      *fulfil* on the webhook.
3. POST /upi-webhook  signed events from the gateway: verified, de-duplicated by event id;
                      `checkout.completed` marks the order paid.

Settings (environment):
    UPI_CHECKOUT_URL      the gateway, e.g. http://127.0.0.1:3001
    UPI_CHECKOUT_KEY      secret API key (sk_test_… / sk_live_…) from `flask keys create`
    UPI_WEBHOOK_SECRET    whsec_… printed by `flask webhooks add`
    SHOP_URL              where customers reach this shop (default http://127.0.0.1:5000)
    PORT                  default 5000

Orders live in memory: this is an example, use your database.
The signature checks are copied here on purpose (standard library only), so the shop
needs nothing from the gateway's code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time

import requests
from flask import Flask, abort, jsonify, redirect, request
from markupsafe import escape

GATEWAY = os.environ.get("UPI_CHECKOUT_URL", "http://127.0.0.1:3001").rstrip("/")
API_KEY = os.environ["UPI_CHECKOUT_KEY"]
WEBHOOK_SECRET = os.environ["UPI_WEBHOOK_SECRET"]
SHOP_URL = os.environ.get("SHOP_URL", "http://127.0.0.1:5000").rstrip("/")
TOLERANCE_SECONDS = 300

# The gateway stores only a hash of the API key, so it signs redirects with a key
# derived from it; we derive the same one from the key we hold.
SIGNING_KEY = hmac.new(API_KEY.encode(), b"upi-checkout/signing", hashlib.sha256).hexdigest()

app = Flask(__name__)
app.logger.setLevel("INFO")
lock = threading.Lock()
orders: dict[str, dict] = {}  # orderId -> {"item", "amount", "status", ...}
seen_events: set[str] = set()  # webhook event ids already handled

PRODUCT = {"name": "Blue mug", "amount": "499.00"}


# -- signatures (copied logic; keep it in your backend) ----------------------------------


def _hmac_hex(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison; bytes, because compare_digest raises on non-ASCII text."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def verify_webhook(raw_body: bytes, header: str | None) -> dict:
    """`X-UPI-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        raise ValueError("no timestamp") from None
    if abs(time.time() - t) > TOLERANCE_SECONDS:
        raise ValueError("timestamp outside the tolerance")
    expected = _hmac_hex(WEBHOOK_SECRET, f"{t}.{raw_body.decode()}")
    if not any(_same(expected, given) for given in parts.get("v1", [])):
        raise ValueError("signature does not match")
    return json.loads(raw_body)


def redirect_is_signed(query) -> bool:
    """signature = hex HMAC-SHA256(signing key, "orderId\\nstatus\\nt"), t within 5 minutes."""
    try:
        t = int(query.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - t) > TOLERANCE_SECONDS:
        return False
    message = "\n".join(query.get(name, "") for name in ("orderId", "status", "t"))
    return _same(_hmac_hex(SIGNING_KEY, message), query.get("signature", ""))


# -- pages ---------------------------------------------------------------------------------


def page(body: str, status: int = 200):
    html = f"<!doctype html><meta charset=utf-8><title>Example shop</title>{body}"
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


@app.get("/")
def shop():
    return page(
        f"<h1>Example shop</h1><p>{PRODUCT['name']}: ₹{PRODUCT['amount']}</p>"
        '<form method="post" action="/buy"><button>Buy with UPI</button></form>'
    )


@app.post("/buy")
def buy():
    # A real shop protects this form with its own CSRF token.
    order_id = "shop-" + secrets.token_hex(6)
    with lock:
        orders[order_id] = {"item": PRODUCT["name"], "amount": PRODUCT["amount"], "status": "new"}
    response = requests.post(
        f"{GATEWAY}/api/v1/checkout-sessions",
        json={
            "orderId": order_id,
            "amount": PRODUCT["amount"],
            "description": PRODUCT["name"],
            "returnUrl": f"{SHOP_URL}/return",
            "cancelUrl": f"{SHOP_URL}/return",
            "metadata": {"shop": "example"},
        },
        headers={
            "Authorization": f"Bearer {API_KEY}",
            # Same key + same body on a retry returns the first answer: one checkout per order.
            "Idempotency-Key": f"create-{order_id}",
        },
        timeout=15,
    )
    if response.status_code != 201:
        app.logger.error("checkout not created: %s %s", response.status_code, response.text)
        return page("<h1>Payment is unavailable right now</h1>", 502)
    checkout = response.json()
    with lock:
        orders[order_id].update(status="awaiting_payment", checkoutId=checkout["id"])
    return redirect(checkout["url"], code=303)


@app.get("/return")
def back_from_checkout():
    if not redirect_is_signed(request.args):
        return page("<h1>We could not verify this link</h1><p>Check your orders page.</p>", 400)
    order_id = request.args["orderId"]
    status = request.args["status"]
    with lock:
        order = orders.get(order_id)
    if order is None:
        abort(404)
    if status == "completed":
        message = (
            "Thanks! The gateway says you paid. We'll confirm your order by webhook in a moment."
        )
    else:
        message = f"The payment was not completed ({escape(status)}). You can try again."
    return page(
        f"<h1>Order {escape(order_id)}</h1><p>{message}</p>"
        f"<p>Order state here: <strong id=order-status>{escape(order['status'])}</strong></p>"
    )


@app.get("/orders/<order_id>")
def order_state(order_id: str):
    with lock:
        order = orders.get(order_id)
    if order is None:
        abort(404)
    return jsonify({"orderId": order_id, **order})


@app.post("/upi-webhook")
def upi_webhook():
    raw = request.get_data()  # the exact bytes: never re-serialise before verifying
    try:
        event = verify_webhook(raw, request.headers.get("X-UPI-Signature"))
    except ValueError as exc:
        app.logger.warning("webhook refused: %s", exc)
        return jsonify({"error": "invalid signature"}), 400
    with lock:
        if event["id"] in seen_events:
            return jsonify({"received": True, "duplicate": True})
        data = event.get("data") or {}
        order = orders.get(data.get("orderId", ""))
        if event["type"] == "checkout.completed" and order is not None:
            order.update(status="paid", amountPaid=data.get("amount"), late=data.get("late"))
            app.logger.info("order %s paid (event %s)", data["orderId"], event["id"])
        elif event["type"] in ("checkout.expired", "checkout.cancelled") and order is not None:
            # A late payment can still complete it; `checkout.completed` then follows.
            order["status"] = order["status"] if order["status"] == "paid" else "unpaid"
        seen_events.add(event["id"])
    # Answer 2xx quickly; anything else makes the gateway retry.
    return jsonify({"received": True})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
