"""The baseline for bench/status_throughput.py: a bare Flask route shaped like payment-status.

Served the same way as the gateway: `gunicorn -k gthread -w 1 --threads 8 bare_app:app`.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/api/payment-status/<order_id>")
def payment_status(order_id: str) -> dict[str, str]:
    return {"status": "pending"}
