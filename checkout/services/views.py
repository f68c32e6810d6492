"""How a checkout session looks from outside: one shape for the API and the webhooks."""

from __future__ import annotations

from typing import Any

from checkout.clock import iso
from checkout.domain.money import rupees_decimal
from checkout.storage.models import PaymentSession

SESSION_ID_PREFIX = "cs_"


def public_session_id(session: PaymentSession) -> str:
    return f"{SESSION_ID_PREFIX}{session.id}"


def internal_session_id(public_id: str) -> str | None:
    """The stored id behind `cs_<24 hex>`; None for anything else (no query is made)."""
    raw = public_id.removeprefix(SESSION_ID_PREFIX)
    if not public_id.startswith(SESSION_ID_PREFIX) or len(raw) != 24:
        return None
    if any(c not in "0123456789abcdef" for c in raw):
        return None
    return raw


def session_data(session: PaymentSession) -> dict[str, Any]:
    return {
        "id": public_session_id(session),
        "orderId": session.orderId,
        "amount": rupees_decimal(session.amountPaise),
        "requestedAmount": rupees_decimal(session.totalAmountPaise),
        "currency": "INR",
        "status": session.status,
        "late": bool(session.late),
        "description": session.description,
        "customer": session.customer or {},
        "metadata": session.metadata or {},
        "returnUrl": session.returnUrl,
        "cancelUrl": session.cancelUrl,
        "expiresAt": iso(session.expiresAt),
        "createdAt": iso(session.createdAt),
        "completedAt": iso(session.completedAt),
    }
