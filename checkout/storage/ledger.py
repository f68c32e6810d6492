"""The wallet side of the store: the credit ledger, the wallet's lease and baseline, and
the sandbox wallet. Part of `Store` (one repository), kept apart for its size.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from mongoengine.errors import NotUniqueError
from mongoengine.queryset.visitor import Q
from pymongo.errors import DuplicateKeyError

from checkout.domain.vocabulary import CreditKind, CreditState, Outcome
from checkout.storage.models import SandboxWallet, WalletCredit, WalletState, newest_first

WALLET_ID = "wallet"
SANDBOX_ID = "sandbox"
_DUPLICATE = (NotUniqueError, DuplicateKeyError)


class WalletLedger:
    """Every method one atomic step; ``_lock`` makes find-then-update one step in memory."""

    _lock: contextlib.AbstractContextManager[Any]

    # -- wallet ledger and state ---------------------------------------------------

    def record_credit(self, credit: WalletCredit) -> bool:
        """Store a credit once; False when its key was seen before."""
        try:
            with self._lock:
                credit.save(force_insert=True)
        except _DUPLICATE:
            return False
        return True

    def credit_by_key(self, key: str) -> WalletCredit | None:
        return WalletCredit.objects(key=key).first()

    def credit_by_id(self, credit_id: str) -> WalletCredit | None:
        return WalletCredit.objects(id=credit_id, kind__ne=CreditKind.DEBIT).first()

    def recent_credit_with_text(self, text_hash: str, since: datetime) -> WalletCredit | None:
        """A credit from the same message text seen after ``since`` (messages without RRN)."""
        found = WalletCredit.objects(textHash=text_hash, observedAt__gt=since)
        return found.order_by("-observedAt").first()

    def mark_conflict(self, key: str) -> bool:
        """The same RRN came with another amount: an undecided credit completes nothing."""
        with self._lock:
            updated = WalletCredit.objects(key=key, outcome=Outcome.NEW).update_one(
                set__outcome=Outcome.CONFLICT, set__state=CreditState.CONFLICT
            )
        return updated == 1

    def assign_credit(self, key: str, order_id: str) -> bool:
        """The merchant's decision on an unattributed credit, taken once."""
        with self._lock:
            updated = WalletCredit.objects(key=key, state=CreditState.UNATTRIBUTED).update_one(
                set__state=CreditState.ATTRIBUTING,
                set__outcome=Outcome.ASSIGNED,
                set__orderIds=[order_id],
            )
        return updated == 1

    def claim_credit(self, key: str, order_id: str) -> bool:
        """A customer's UTR claim takes a credit no decider has taken yet, once."""
        with self._lock:
            updated = WalletCredit.objects(
                key=key, state__in=[CreditState.NEW, CreditState.UNATTRIBUTED]
            ).update_one(
                set__state=CreditState.ATTRIBUTING,
                set__outcome=Outcome.UTR,
                set__orderIds=[order_id],
            )
        return updated == 1

    def unassign_credit(self, key: str) -> None:
        """An assignment whose checkout could no longer be paid goes back to review."""
        with self._lock:
            WalletCredit.objects(key=key, state=CreditState.ATTRIBUTING).update_one(
                set__state=CreditState.UNATTRIBUTED, set__orderIds=[]
            )

    def dismiss_credit(self, key: str, reason: str) -> bool:
        with self._lock:
            updated = WalletCredit.objects(key=key, state=CreditState.UNATTRIBUTED).update_one(
                set__state=CreditState.DISMISSED,
                set__outcome=Outcome.DISMISSED,
                set__dismissReason=reason,
            )
        return updated == 1

    def list_credits(
        self,
        *,
        states: list[str] | None = None,
        source: str | None = None,
        rrn: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 20,
    ) -> list[WalletCredit]:
        """Credits newest first (debits left out), in any of ``states``, after a cursor."""
        filters = {
            "kind__ne": CreditKind.DEBIT,
            "state__in": states,
            "provider": source,
            "rrn": rrn,
        }
        with self._lock:
            return newest_first(
                WalletCredit, filters, field="observedAt", before=before, limit=limit
            )

    def decide_credit(
        self, key: str, outcome: str, order_ids: list[str], event: str | None = None
    ) -> bool:
        """Write a new credit's verdict once; False when it was decided already.

        Written before any checkout completes: a crash after this resumes the same
        decision (``credits_attributing``) and never matches the credit again.
        """
        state = CreditState.ATTRIBUTING if order_ids else CreditState.UNATTRIBUTED
        with self._lock:
            updated = WalletCredit.objects(key=key, outcome=Outcome.NEW).update_one(
                set__outcome=outcome,
                set__orderIds=order_ids,
                set__state=state,
                set__pendingEvent=event,
            )
        return updated == 1

    def credits_attributing(self, limit: int = 100) -> list[WalletCredit]:
        return list(WalletCredit.objects(state=CreditState.ATTRIBUTING).limit(limit))

    def credit_attributed(self, key: str) -> None:
        with self._lock:
            WalletCredit.objects(key=key, state=CreditState.ATTRIBUTING).update_one(
                set__state=CreditState.ATTRIBUTED
            )

    def latest_balance_entry(self) -> WalletCredit | None:
        """The newest balance rise or fall: the ledger says what the baseline must be."""
        with self._lock:
            # By kind, not by "balanceAfterPaise is set": nx-27017 lets `$ne: null` match a
            # missing field, and a bank SMS (no balance) must never move the baseline.
            return (
                WalletCredit.objects(kind__ne=CreditKind.PAYMENT, balanceAfterPaise__ne=None)
                .order_by("-observedAt")
                .first()
            )

    def open_debits(self, since: datetime) -> list[WalletCredit]:
        """Falls seen after ``since`` that no rise has been read as reversing yet."""
        with self._lock:
            return list(
                WalletCredit.objects(
                    kind=CreditKind.DEBIT, state=CreditState.OPEN, observedAt__gt=since
                )
            )

    def reverse_debit(self, key: str) -> bool:
        with self._lock:
            updated = WalletCredit.objects(key=key, state=CreditState.OPEN).update_one(
                set__state=CreditState.REVERSED
            )
        return updated == 1

    def credits(self, outcome: str | None = None, limit: int = 100) -> list[WalletCredit]:
        """Credits (debits left out), newest first."""
        query = WalletCredit.objects(kind__ne=CreditKind.DEBIT)
        if outcome:
            query = query.filter(outcome=outcome)
        with self._lock:
            return list(query.order_by("-observedAt").limit(limit))

    def wallet_state(self, lease_id: str = WALLET_ID) -> WalletState:
        """A lease document (the wallet's by default; the mailbox poller has its own)."""
        with self._lock:
            state = WalletState.objects(id=lease_id).first()
            if state is None:
                with contextlib.suppress(*_DUPLICATE):
                    WalletState(id=lease_id).save(force_insert=True)
                state = WalletState.objects(id=lease_id).first()
        assert state is not None
        return state

    def claim_tick(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        only_when_due: bool = True,
        dead_owner: str | None = None,
        lease_id: str = WALLET_ID,
    ) -> WalletState | None:
        """Take the single-flight lease if no tick is running (and, by default, one is due).

        ``dead_owner`` names a holder known to be dead: its lease is free at once.
        """
        self.wallet_state(lease_id)
        free = Q(leaseUntil=None) | Q(leaseUntil__lte=now)
        if dead_owner:
            free |= Q(leaseOwner=dead_owner)
        if only_when_due:
            free &= Q(nextTickAt=None) | Q(nextTickAt__lte=now)
        with self._lock:
            return WalletState.objects(Q(id=lease_id) & free).modify(
                new=True, set__leaseOwner=owner, set__leaseUntil=now + lease
            )

    def finish_tick(
        self,
        owner: str,
        changes: dict[str, Any],
        baseline: dict[str, Any] | None = None,
        observed_at: datetime | None = None,
        lease_id: str = WALLET_ID,
    ) -> bool:
        """Release the lease with the tick's results.

        The baseline it observed is written only if no one re-read the balance after
        the tick began (a checkout opened after an idle spell does): an older balance
        must never replace a newer one, or money that came in meanwhile would look new.
        """
        updates = {f"set__{name}": value for name, value in changes.items()}
        with self._lock:
            if baseline:
                # Written while the lease is still held, so whoever takes the lease
                # next already sees this baseline.
                not_newer = Q(baselineAt=None) | Q(baselineAt__lte=observed_at)
                WalletState.objects(Q(id=lease_id, leaseOwner=owner) & not_newer).update_one(
                    **{f"set__{name}": value for name, value in baseline.items()}
                )
            released = (
                WalletState.objects(id=lease_id, leaseOwner=owner).update_one(
                    set__leaseUntil=None, **updates
                )
                == 1
            )
        return released

    def renew_lease(self, owner: str, until: datetime, lease_id: str = WALLET_ID) -> bool:
        """Keep a lease while working, so a short lease need not outlast the slowest tick."""
        with self._lock:
            updated = WalletState.objects(id=lease_id, leaseOwner=owner).update_one(
                set__leaseUntil=until
            )
        return updated == 1

    def update_wallet_state(self, changes: dict[str, Any]) -> None:
        self.wallet_state()
        updates = {f"set__{name}": value for name, value in changes.items()}
        with self._lock:
            WalletState.objects(id=WALLET_ID).update_one(**updates)

    # -- sandbox wallet ------------------------------------------------------------

    def sandbox_balance(self) -> int:
        wallet = SandboxWallet.objects(id=SANDBOX_ID).first()
        return wallet.balancePaise if wallet else 0

    def sandbox_credit(self, paise: int, now: datetime, note: str) -> int:
        with self._lock:
            wallet = SandboxWallet.objects(id=SANDBOX_ID).modify(
                upsert=True,
                new=True,
                inc__balancePaise=paise,
                push__history={"amountPaise": paise, "at": now, "note": note},
            )
        return wallet.balancePaise
