"""Refunds sent from a balance-only wallet, accounted for by the balance readings.

A refund recorded as sent from the watched wallet (checkout.services.refunds) leaves a
known debit. Each balance reading (checkout.services.ticks) first looks for the fall
in the ledger already, in case a reading saw it before the merchant recorded it; any
still pending are the reading's own to add back (checkout.domain.refunds.balance_change).
A fresh baseline, read after an idle spell, takes in every refund recorded before it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from checkout.storage.known_debits import KnownDebit, KnownDebitStore
from checkout.storage.models import WalletCredit
from checkout.storage.store import Store

# How long before its recording a refund's fall may have been read: the merchant sends
# the money first and records it (with its UTR) after.
LOOKBACK = timedelta(hours=24)


def account_for_reading(
    store: Store, known: KnownDebitStore, reading_key: str, *, now: datetime
) -> int:
    """The recorded falls (paise) this balance reading accounts for.

    Repeatable: a tick retried after a crash finds what it consumed under the same
    reading key, so a known debit is added back once.
    """
    for debit in known.pending():
        fall = _ledgered_fall(store, debit)
        if fall is not None and known.explain_debit(fall.key):
            known.consume(debit, fall.key, now)
        else:
            known.consume(debit, reading_key, now)
    return sum(debit.amountPaise for debit in known.consumed_by(reading_key))


def absorb_into_baseline(known: KnownDebitStore, *, read_at: datetime) -> int:
    """A fresh baseline holds every refund sent before it: nothing is left to add back."""
    taken = [
        debit
        for debit in known.pending()
        if debit.createdAt <= read_at
        and known.consume(debit, f"baseline:{read_at.isoformat()}", read_at)
    ]
    return sum(debit.amountPaise for debit in taken)


def _ledgered_fall(store: Store, debit: KnownDebit) -> WalletCredit | None:
    """An open fall of exactly this amount read lately (newest first), if any."""
    falls = [
        fall
        for fall in store.open_debits(debit.createdAt - LOOKBACK)
        if fall.amountPaise == debit.amountPaise
    ]
    falls.sort(key=lambda fall: fall.observedAt, reverse=True)
    return falls[0] if falls else None


__all__ = ["LOOKBACK", "absorb_into_baseline", "account_for_reading"]
