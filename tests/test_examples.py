"""examples/: the merchant backends against the real gateway, and the JS files' syntax.

The Flask merchant (and the Express one, once `npm install` ran in its folder) runs end
to end against `python app.py` (in-memory store, sandbox): checkout created with an API
key and Idempotency-Key, the webhook verified and the order marked paid once, the signed
redirect accepted and a tampered one refused. Node checks run only when `node` is on
PATH; `node --check` and the signature check need no npm packages.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from checkout.webhooks import REDIRECT_FIELDS, sign, sign_fields, signing_key
from tests.conftest import ADMIN_SECRET, ROOT, StartServer
from tests.support.servers import free_port, until

EXAMPLES = ROOT / "examples"
NODE = shutil.which("node")

# JS files without JSX: `node --check` parses them as they are.
PLAIN_JS = [
    "vanilla-js/app.js",
    "react/useUPIPayment.js",
    "vue/useUPIPayment.js",
    "nextjs/lib/upi.js",
    "nextjs/pages/api/checkout.js",
    "nextjs/pages/api/upi-webhook.js",
    "nextjs/pages/api/upi-return.js",
    "node-express-merchant/server.js",
]


# The Express merchant needs `npm install` (a network fetch), so the suite runs the Flask
# one end to end; examples/README.md records the Express run by hand.
def test_flask_merchant_end_to_end(start_server: StartServer) -> None:
    gateway = start_server(
        [sys.executable, "app.py"],
        ADMIN_SECRET=ADMIN_SECRET,
        WEBHOOK_ALLOW_PRIVATE="true",
    )
    master = {"Authorization": f"Bearer {ADMIN_SECRET}"}
    key = requests.post(
        f"{gateway}/api/v1/api-keys", json={"name": "shop"}, headers=master, timeout=10
    ).json()["secret"]
    shop_port = free_port()
    shop = f"http://127.0.0.1:{shop_port}"
    endpoint = requests.post(
        f"{gateway}/api/v1/webhook-endpoints",
        json={"url": f"{shop}/upi-webhook"},
        headers=master,
        timeout=10,
    ).json()
    start_server(
        [sys.executable, "app.py"],
        port=shop_port,
        cwd=EXAMPLES / "python-flask-merchant",
        ready_path="/",
        UPI_CHECKOUT_URL=gateway,
        UPI_CHECKOUT_KEY=key,
        UPI_WEBHOOK_SECRET=endpoint["secret"],
        SHOP_URL=shop,
    )

    bought = requests.post(f"{shop}/buy", allow_redirects=False, timeout=15)
    assert bought.status_code == 303
    assert bought.headers["Location"].startswith(f"{gateway}/pay/")
    bearer = {"Authorization": f"Bearer {key}"}
    session = requests.get(
        f"{gateway}/api/v1/checkout-sessions", headers=bearer, timeout=10
    ).json()["data"][0]
    order_id = session["orderId"]
    assert session["returnUrl"] == f"{shop}/return"
    assert requests.get(f"{shop}/orders/{order_id}", timeout=5).json()["status"] == (
        "awaiting_payment"
    )

    paid = requests.post(f"{gateway}/api/sandbox/credit", json={"orderId": order_id}, timeout=10)
    assert paid.status_code == 200

    def order_paid() -> bool:
        state = requests.get(f"{shop}/orders/{order_id}", timeout=5).json()
        return bool(state["status"] == "paid")

    until(order_paid, interval=0.2, failure="the shop never marked the order paid")
    deliveries = requests.get(
        f"{gateway}/api/v1/webhook-deliveries", headers=bearer, timeout=10
    ).json()["data"]
    completed = [d for d in deliveries if d["type"] == "checkout.completed"]
    assert [(d["status"], d["lastStatusCode"]) for d in completed] == [("delivered", 200)]

    # The pay page now links back to the shop with a signed query.
    pay_page = requests.get(bought.headers["Location"], timeout=10).text
    link = re.search(r'href="(http://127\.0\.0\.1:\d+/return\?[^"]+)"', pay_page)
    assert link, "the completed pay page has no link back to the shop"
    return_url = html.unescape(link.group(1))
    back = requests.get(return_url, timeout=5)
    assert back.status_code == 200
    assert "confirm your order by webhook" in back.text
    tampered = return_url.replace("status=completed", "status=cancelled")
    assert requests.get(tampered, timeout=5).status_code == 400

    # A replay of the same event is acknowledged and changes nothing.
    event = {"id": completed[0]["eventId"], "type": "checkout.completed", "data": {}}
    body = json.dumps(event)
    replay = requests.post(
        f"{shop}/upi-webhook",
        data=body,
        headers={"X-UPI-Signature": sign(body, endpoint["secret"])},
        timeout=5,
    )
    assert replay.json() == {"received": True, "duplicate": True}


@pytest.fixture
def flask_merchant(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The example's module, imported with its settings, for signature checks in-process."""
    import importlib.util

    monkeypatch.setenv("UPI_CHECKOUT_KEY", "sk_test_example")
    monkeypatch.setenv("UPI_WEBHOOK_SECRET", "whsec_example")
    spec = importlib.util.spec_from_file_location(
        "example_flask_merchant", EXAMPLES / "python-flask-merchant" / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flask_merchant_refuses_bad_webhooks(flask_merchant: Any) -> None:
    client = flask_merchant.app.test_client()
    body = json.dumps({"id": "evt_" + "0" * 24, "type": "checkout.completed", "data": {}})
    now = int(time.time())
    refused = {
        "wrong secret": sign(body, "whsec_other"),
        "stale": sign(body, "whsec_example", now - 301),
        "from the future": sign(body, "whsec_example", now + 301),
        "no header": "",
        "garbage": "t=abc,v1=00",
        "not ascii": f"t={now},v1=\u00e9",
    }
    for case, header in refused.items():
        answer = client.post("/upi-webhook", data=body, headers={"X-UPI-Signature": header})
        assert answer.status_code == 400, case
    tampered = client.post(
        "/upi-webhook",
        data=body.replace("completed", "expired"),
        headers={"X-UPI-Signature": sign(body, "whsec_example")},
    )
    assert tampered.status_code == 400
    good = client.post(
        "/upi-webhook", data=body, headers={"X-UPI-Signature": sign(body, "whsec_example")}
    )
    assert good.status_code == 200


def test_flask_merchant_redirect_check_matches_the_gateway(flask_merchant: Any) -> None:
    key = signing_key("sk_test_example")
    assert key == flask_merchant.SIGNING_KEY
    query = {"orderId": "shop-1", "status": "completed", "t": str(int(time.time()))}
    query["signature"] = sign_fields(query, key, REDIRECT_FIELDS)
    assert flask_merchant.redirect_is_signed(query)
    assert not flask_merchant.redirect_is_signed({**query, "orderId": "shop-2"})
    assert not flask_merchant.redirect_is_signed({**query, "signature": "\u00e9" * 64})
    stale = {**query, "t": str(int(time.time()) - 301)}
    stale["signature"] = sign_fields(stale, key, REDIRECT_FIELDS)
    assert not flask_merchant.redirect_is_signed(stale)


@pytest.mark.parametrize("path", PLAIN_JS)
def test_js_examples_parse(path: str) -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--check", str(EXAMPLES / path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


NODE_VERIFY = """
const lib = await import(process.argv[1]);
const input = JSON.parse(process.argv[2]);
const out = {};
out.webhook = lib.verifyWebhook(Buffer.from(input.body), input.header, input.secret).id;
try {
  lib.verifyWebhook(Buffer.from(input.body + ' '), input.header, input.secret);
  out.tampered = 'accepted';
} catch (err) { out.tampered = err.message; }
try {
  const header = input.header.replace(/v1=.*/, 'v1=\u00e9');
  lib.verifyWebhook(Buffer.from(input.body), header, input.secret);
  out.notAscii = 'accepted';
} catch (err) { out.notAscii = err.message; }
out.redirect = lib.redirectIsSigned(input.query);
out.redirectTampered = lib.redirectIsSigned({ ...input.query, status: 'cancelled' });
console.log(JSON.stringify(out));
"""


def test_node_verification_matches_the_gateway() -> None:
    """The Next.js helpers (same code as the Express example) accept what the gateway signs."""
    assert NODE is not None
    api_key = "sk_test_example"
    body = json.dumps({"id": "evt_" + "1" * 24, "type": "checkout.completed", "data": {}})
    query = {"orderId": "shop-1", "status": "completed", "t": str(int(time.time()))}
    query["signature"] = sign_fields(query, signing_key(api_key), REDIRECT_FIELDS)
    payload = {
        "body": body,
        "header": sign(body, "whsec_example"),
        "secret": "whsec_example",
        "query": query,
    }
    result = subprocess.run(
        [
            NODE,
            "--input-type=module",
            "-e",
            NODE_VERIFY,
            (EXAMPLES / "nextjs" / "lib" / "upi.js").as_uri(),
            json.dumps(payload),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", ""), "UPI_CHECKOUT_KEY": api_key},
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {
        "webhook": "evt_" + "1" * 24,
        "tampered": "signature does not match",
        "notAscii": "signature does not match",
        "redirect": True,
        "redirectTampered": False,
    }
