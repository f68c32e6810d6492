"""Opening checkouts through the merchant API, as a shop's backend does."""

from __future__ import annotations

import json
import threading
import time

from support.client import Client
from support.gateway import MERCHANT_AUTH
from support.net import HOST, SOURCE_IPS


def create_checkout(port: int, rupees: str, source_ip: str | None = None) -> dict[str, object]:
    """One checkout through `POST /api/v1/checkout-sessions`; returns the 201 answer."""
    client = Client(HOST, port, source_ip)
    try:
        status, raw = client.request(
            "POST",
            "/api/v1/checkout-sessions",
            body=json.dumps({"amount": rupees, "description": "Bench order"}).encode(),
            headers={**MERCHANT_AUTH, "Content-Type": "application/json"},
        )
    finally:
        client.close()
    if status != 201:
        raise RuntimeError(f"checkout not created: {status} {raw[:200]!r}")
    answer: dict[str, object] = json.loads(raw)
    return answer


def create_checkouts(port: int, count: int, first_rupees: int = 100) -> list[str]:
    """Open `count` checkouts through the merchant API, each with its own amount.

    Amounts are 100.00, 101.00, … rupees, so no two checkouts share one (the
    gateway would otherwise add paise suffixes, at most 99 per requested amount).
    POST /api/v1/checkout-sessions is limited to 120/min per client IP, so the
    creates are spread over source addresses, at most 60 per address.
    """
    per_ip = 60
    ips = SOURCE_IPS[: max(1, -(-count // per_ip))]
    order_ids: list[str | None] = [None] * count
    failures: list[str] = []
    lock = threading.Lock()
    headers = {**MERCHANT_AUTH, "Content-Type": "application/json"}

    def worker(slot: int) -> None:
        client = Client(HOST, port, ips[slot])
        try:
            for i in range(slot, count, len(ips)):
                body = json.dumps({"amount": f"{first_rupees + i}.00"}).encode()
                status, raw = client.request(
                    "POST", "/api/v1/checkout-sessions", body=body, headers=headers
                )
                if status != 201:
                    with lock:
                        failures.append(f"{status} {raw[:200]!r}")
                    continue
                order_ids[i] = json.loads(raw)["orderId"]
        except OSError as exc:
            with lock:
                failures.append(repr(exc))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in range(len(ips))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if failures or any(o is None for o in order_ids):
        raise RuntimeError(f"could not create {count} checkouts: {failures[:5]}")
    return [o for o in order_ids if o is not None]
