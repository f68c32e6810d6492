"""Sandbox payments: put money in the pretend wallet, exactly as a customer's UPI app would,
or post the bank's credit SMS for it, exactly as a relay phone would."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from checkout.config import Settings
from checkout.domain.bank_text import IST
from checkout.domain.money import display_rupees
from checkout.domain.vocabulary import Status
from checkout.services.errors import Conflict, NotFound
from checkout.services.evidence import Received, Relay, ingest_message
from checkout.storage.evidence import EvidenceStore
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store

SANDBOX_RELAY = Relay("sandbox")
SANDBOX_SMS_SENDER = "VM-HDFCBK-S"


def credit_wallet(store: Store, paise: int, *, now: datetime, note: str = "manual credit") -> int:
    balance = store.sandbox_credit(paise, now, note)
    store.audit("sandbox_credit", now=now, details={"amountPaise": paise, "note": note})
    return balance


def pay_checkout(
    store: Store,
    order_id: str,
    *,
    now: datetime,
    read_wallet: Callable[[], object] | None = None,
) -> tuple[int, int]:
    """Credit the exact payable amount of one checkout; returns (amount, new balance).

    A balance rise pays only checkouts that existed at the read before it (DESIGN
    §5.5), and no real customer scans and pays before the next read. A simulated one
    can, so when the wallet has not been read since the checkout opened,
    ``read_wallet`` reads it first (the sandbox's own wallet costs nothing to read).
    """
    session = _unpaid(store, order_id)
    read_at = store.wallet_state().baselineAt
    if read_wallet is not None and (read_at is None or read_at < session.createdAt):
        read_wallet()
    balance = credit_wallet(store, session.amountPaise, now=now, note=f"pays {order_id}")
    return session.amountPaise, balance


def hdfc_credit_sms(paise: int, *, rrn: str, now: datetime) -> str:
    """HDFC's own "Credit Alert!" wording (tests/data/evidence/samples.json), for `paise`."""
    amount = display_rupees(paise).replace("₹", "Rs.")
    return (
        f"Credit Alert!\n{amount} credited to HDFC Bank A/c XX4821 on "
        f"{now.astimezone(IST):%d-%m-%y} from VPA sandbox.payer@okhdfcbank (UPI {rrn})"
    )


def send_bank_sms(
    store: Store, evidence: EvidenceStore, settings: Settings, order_id: str, *, now: datetime
) -> Received:
    """Post the bank's SMS for one checkout's exact amount through the relay path itself.

    A fresh RRN each time: a second press is a second payment, as it would be.
    """
    session = _unpaid(store, order_id)
    rrn = str(10**11 + secrets.randbelow(9 * 10**11))
    return ingest_message(
        store,
        evidence,
        settings,
        relay=SANDBOX_RELAY,
        channel="sms",
        sender=SANDBOX_SMS_SENDER,
        text=hdfc_credit_sms(session.amountPaise, rrn=rrn, now=now),
        received_at=now,
        event_id=None,
        now=now,
    )


def _unpaid(store: Store, order_id: str) -> PaymentSession:
    session = store.session_by_order_id(order_id)
    if session is None:
        raise NotFound("Payment session not found", field="orderId")
    if session.status == Status.COMPLETED.value:
        raise Conflict("This checkout is already paid", status=session.status)
    return session
