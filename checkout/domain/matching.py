"""Attributing wallet credits to open checkouts (DESIGN §5).

A wallet only says "this much came in". Each open checkout reserves a
distinct amount, so an exact credit names its checkout; several payments
landing between two ticks arrive as one sum, which can be split only when
exactly one set of open checkouts adds up to it. Anything less certain is
left for a person: completing the wrong checkout hands goods to someone
who did not pay, which is worse than a payment waiting for review.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Final

from checkout.domain.vocabulary import CreditKind, Outcome, Status

__all__ = [
    "MAX_SUFFIX_PAISE",
    "SIDON_SUFFIXES",
    "Attribution",
    "CreditEvidence",
    "OpenCheckout",
    "ambiguous_pairs",
    "attribute",
    "balance_credit",
    "ranked_amounts",
]

# Up to 99 paise on top of the requested amount: still "the same price" to a
# customer, and it never rounds up to the next rupee for whole-rupee requests.
MAX_SUFFIX_PAISE: Final[int] = 99

# An optimal 12-mark Golomb ruler: all pairwise differences differ, so all pair sums
# differ too (a + b = c + d exactly when a - c = d - b). Up to 12 checkouts open at one
# price on these suffixes, no two payments landing in one tick can be mistaken for two
# others. Beyond 12, suffixes are chosen to add as few shared sums as possible.
SIDON_SUFFIXES: Final[tuple[int, ...]] = (0, 2, 6, 24, 29, 40, 43, 55, 68, 75, 76, 85)

_MIN_SET: Final[int] = 2
# Amounts this far around a request can form a pair sum with a new amount there.
_NEIGHBOURHOOD: Final[int] = MAX_SUFFIX_PAISE
_MAX_NEIGHBOURS: Final[int] = 150


@dataclass(frozen=True)
class OpenCheckout:
    """A checkout that can still be paid: pending, or expired/cancelled within the grace window."""

    id: str
    amount_paise: int
    created_at: datetime
    status: Status


@dataclass(frozen=True)
class CreditEvidence:
    """One observed credit.

    ``occurred_at`` is when a per-payment credit happened (None when the source gave
    no time). A balance rise happened somewhere after ``since`` (the previous read)
    and at or before ``occurred_at`` (this read), so only a checkout that existed at
    ``since`` can be the one it pays.
    """

    amount_paise: int
    occurred_at: datetime | None
    kind: CreditKind = CreditKind.PAYMENT
    since: datetime | None = None

    @classmethod
    def balance_rise(
        cls, amount_paise: int, *, since: datetime, seen_at: datetime
    ) -> CreditEvidence:
        return cls(amount_paise, seen_at, CreditKind.BALANCE, since)

    @property
    def earliest_checkout_time(self) -> datetime | None:
        """The latest creation time a checkout may have and still be paid by this credit."""
        if self.kind == CreditKind.BALANCE and self.since is not None:
            return self.since
        return self.occurred_at


@dataclass(frozen=True)
class Attribution:
    """The verdict on one credit.

    ``checkout_ids`` is non-empty only when the credit is matched, so code
    that completes "the ids in the attribution" cannot complete a guess.
    """

    outcome: Outcome
    checkout_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.outcome == Outcome.EXACT:
            expected = len(self.checkout_ids) == 1
        elif self.outcome == Outcome.COMBINATION:
            expected = _MIN_SET <= len(self.checkout_ids) <= 3
        else:
            expected = not self.checkout_ids
        if not expected:
            raise ValueError(
                f"{self.outcome} attribution cannot carry {len(self.checkout_ids)} checkout ids"
            )

    @property
    def matched(self) -> bool:
        return self.outcome in (Outcome.EXACT, Outcome.COMBINATION)


_NO_MATCH: Final[Attribution] = Attribution(Outcome.NO_MATCH)
_AMBIGUOUS: Final[Attribution] = Attribution(Outcome.AMBIGUOUS)
_TOO_MANY_OPEN: Final[Attribution] = Attribution(Outcome.TOO_MANY_OPEN)
_BEFORE_CHECKOUT: Final[Attribution] = Attribution(Outcome.BEFORE_CHECKOUT)
_REVERSAL: Final[Attribution] = Attribution(Outcome.REVERSAL)


def attribute(
    credit: CreditEvidence,
    open_checkouts: Sequence[OpenCheckout],
    *,
    recent_debits: Collection[int] = (),
    triple_limit: int = 200,
    pair_limit: int = 20000,
) -> Attribution:
    """Decide which checkouts, if any, ``credit`` pays for; never guess.

    A per-payment credit is one payment, so only an exact amount explains it. A
    balance rise completes something only when exactly one story explains it: one
    exact amount and no set of 2-3 pending checkouts summing to it, or exactly one
    such set and no exact amount. A rise equal to a debit seen lately
    (``recent_debits``) is most likely that debit reversed, and pays nothing. Sums
    consider only pending checkouts: an expired or cancelled checkout is completed
    late only on an unmistakable, exact payment. The limits bound a tick's work as
    open checkouts grow; past them uniqueness cannot be proven, and the credit is
    left unattributed.
    """
    if credit.amount_paise <= 0:
        return _NO_MATCH
    balance = credit.kind == CreditKind.BALANCE
    if balance and credit.amount_paise in recent_debits:
        return _REVERSAL
    latest = credit.earliest_checkout_time
    payable = [checkout for checkout in open_checkouts if checkout.status != Status.COMPLETED]
    eligible = [checkout for checkout in payable if latest is None or checkout.created_at <= latest]

    exact = [checkout for checkout in eligible if checkout.amount_paise == credit.amount_paise]
    if len(exact) > 1:
        return _AMBIGUOUS
    if not balance:
        if exact:
            return Attribution(Outcome.EXACT, (exact[0].id,))
        return _before_checkout_or_no_match(credit, payable)

    # Every member of a sum is smaller than the sum: only those can join one, and only
    # those count toward the bound on the search.
    pending = [
        checkout
        for checkout in eligible
        if checkout.status == Status.PENDING and 0 < checkout.amount_paise < credit.amount_paise
    ]
    if len(pending) > pair_limit or len(pending) > triple_limit:
        return _TOO_MANY_OPEN
    found = _find_sets(credit.amount_paise, [checkout.amount_paise for checkout in pending])
    if exact and not found:
        return Attribution(Outcome.EXACT, (exact[0].id,))
    if exact or len(found) > 1:
        return _AMBIGUOUS
    if not found:
        return _before_checkout_or_no_match(credit, payable)
    ids = sorted(pending[index].id for index in found[0])
    return Attribution(Outcome.COMBINATION, tuple(ids))


def _before_checkout_or_no_match(
    credit: CreditEvidence, payable: Sequence[OpenCheckout]
) -> Attribution:
    # Said apart so the merchant sees why a credit of exactly a checkout's amount paid
    # nothing: it happened (or may have happened) before that checkout existed.
    if any(checkout.amount_paise == credit.amount_paise for checkout in payable):
        return _BEFORE_CHECKOUT
    return _NO_MATCH


def ranked_amounts(
    requested_paise: int,
    reserved: Collection[int],
    *,
    always_suffix: bool,
    max_paise: int,
) -> list[int]:
    """Free amounts a new checkout may reserve, best first; empty when none is free.

    Best means adding the fewest pair sums already shared by two other reserved
    amounts (so two payments in one tick stay tellable apart), then following the
    Golomb ruler, then the smallest suffix. With ``always_suffix`` off the requested
    amount itself comes first whenever it is free and shares no sum, so the seed's
    ``"amount": 1018`` holds for a lone checkout. ``always_suffix`` never lands on
    a whole rupee, even when the suffix carries into the next one (₹10.50 + 50 paise
    would be ₹11.00). Never above ``max_paise``.
    """
    if requested_paise <= 0:
        raise ValueError("requested amount must be positive")
    taken = reserved if isinstance(reserved, (set, frozenset)) else set(reserved)
    shift = 1 if always_suffix else 0
    ruler = {suffix + shift: rank for rank, suffix in enumerate(SIDON_SUFFIXES)}
    free = [
        requested_paise + suffix
        for suffix in range(MAX_SUFFIX_PAISE + 1)
        if requested_paise + suffix <= max_paise
        and requested_paise + suffix not in taken
        and not (always_suffix and (suffix == 0 or (requested_paise + suffix) % 100 == 0))
    ]
    neighbours = _neighbours(requested_paise, taken)
    sums = Counter(a + b for a, b in combinations(neighbours, 2))

    def rank(amount: int) -> tuple[int, int, int]:
        suffix = amount - requested_paise
        shared = sum(sums[amount + other] for other in neighbours)
        return (shared, ruler.get(suffix, len(ruler)), suffix)

    return sorted(free, key=rank)


def ambiguous_pairs(amounts: Sequence[int]) -> int:
    """How many pairs of these amounts share their sum with another, disjoint pair.

    Two such payments landing in one tick look exactly like the other two, so the
    balance rise pays neither pair: the measure the suffix choice keeps low.
    """
    by_sum: dict[int, list[tuple[int, int]]] = {}
    for pair in combinations(range(len(amounts)), 2):
        by_sum.setdefault(amounts[pair[0]] + amounts[pair[1]], []).append(pair)
    confused = 0
    for pairs in by_sum.values():
        for pair in pairs:
            if any(not set(pair) & set(other) for other in pairs if other != pair):
                confused += 1
    return confused


def _neighbours(requested_paise: int, taken: Collection[int]) -> list[int]:
    low = requested_paise - _NEIGHBOURHOOD
    high = requested_paise + MAX_SUFFIX_PAISE + _NEIGHBOURHOOD
    near = [amount for amount in taken if low <= amount <= high]
    if len(near) > _MAX_NEIGHBOURS:
        # Bounds the work of one create; the nearest amounts matter most.
        near = sorted(near, key=lambda amount: abs(amount - requested_paise))[:_MAX_NEIGHBOURS]
    return near


def balance_credit(baseline_paise: int | None, balance_paise: int) -> int | None:
    """The credit a balance-only provider implies since the baseline.

    A rise is treated as one credit; a fall is a debit, which pays no
    checkout and only moves the baseline. Without a baseline, money already
    in the wallet must not complete anything.
    """
    if baseline_paise is None:
        return None
    change = balance_paise - baseline_paise
    return change if change > 0 else None


def _find_sets(total: int, amounts: Sequence[int]) -> list[tuple[int, ...]]:
    """Index sets of 2 or 3 amounts summing to ``total``; stops once two are found.

    Indices, not amounts, make up a set: two checkouts with equal amounts
    are different members, and equal amounts are never assumed away.
    """
    found: list[tuple[int, ...]] = []

    # Pairs: each pair j < k is met once, when k looks back at earlier indices.
    seen: dict[int, list[int]] = {}
    for k, amount in enumerate(amounts):
        for j in seen.get(total - amount, ()):
            found.append((j, k))
            if len(found) > 1:
                return found
        seen.setdefault(amount, []).append(k)

    # Triples: for each smallest index i, pairs j < k after it, found as above.
    for i, first in enumerate(amounts):
        rest = total - first
        if rest <= 0:
            continue
        later: dict[int, list[int]] = {}
        for k in range(i + 1, len(amounts)):
            amount = amounts[k]
            for j in later.get(rest - amount, ()):
                found.append((i, j, k))
                if len(found) > 1:
                    return found
            later.setdefault(amount, []).append(k)
    return found
