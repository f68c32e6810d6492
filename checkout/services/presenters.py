"""How a checkout session looks from outside: one shape for the API and the webhooks."""

from __future__ import annotations

from typing import Any

from checkout.clock import iso
from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import SESSION_ID
from checkout.storage.models import PaymentSession


def public_session_id(session: PaymentSession) -> str:
    return f"{SESSION_ID.prefix}{session.id}"


def internal_session_id(public_id: str) -> str | None:
    """The stored id behind `cs_<24 hex>`; None for anything else (no query is made)."""
    if not SESSION_ID.matches(public_id):
        return None
    return public_id.removeprefix(SESSION_ID.prefix)


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
