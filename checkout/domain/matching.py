"""Attributing wallet credits to open checkouts (DESIGN §5).

A wallet only says "this much came in". Each open checkout reserves a
distinct amount, so an exact credit names its checkout; several payments
landing between two ticks arrive as one sum, which can be split only when
exactly one set of open checkouts adds up to it. Anything less certain is
left for a person: completing the wrong checkout hands goods to someone
who did not pay, which is worse than a payment waiting for review.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from checkout.domain.lifecycle import Status

__all__ = [
    "MAX_SUFFIX_PAISE",
    "Attribution",
    "CreditEvidence",
    "OpenCheckout",
    "Outcome",
    "attribute",
    "balance_credit",
    "candidate_amounts",
    "choose_payable_amount",
]

# Up to 99 paise on top of the requested amount: still "the same price" to a
# customer, and it never rounds up to the next rupee for whole-rupee requests.
MAX_SUFFIX_PAISE: Final[int] = 99

_MIN_SET: Final[int] = 2


@dataclass(frozen=True)
class OpenCheckout:
    """A checkout that can still be paid: pending, or expired/cancelled within the grace window."""

    id: str
    amount_paise: int
    created_at: datetime
    status: Status


@dataclass(frozen=True)
class CreditEvidence:
    """One observed credit; ``occurred_at`` is None when the provider gave no time."""

    amount_paise: int
    occurred_at: datetime | None


class Outcome(StrEnum):
    EXACT = "exact"
    COMBINATION = "combination"
    NO_MATCH = "no-match"
    AMBIGUOUS = "ambiguous"
    TOO_MANY_OPEN = "too-many-open"


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


def attribute(
    credit: CreditEvidence,
    open_checkouts: Sequence[OpenCheckout],
    *,
    triple_limit: int = 200,
    pair_limit: int = 20000,
) -> Attribution:
    """Decide which checkouts, if any, ``credit`` pays for; never guess.

    Exact amounts win over sums because each open checkout reserves a
    distinct amount, so a single payment is by far the likelier story.
    Sums consider only pending checkouts: an expired or cancelled checkout
    is completed late only on an unmistakable, exact payment. The limits
    bound a tick's work as open checkouts grow; past them uniqueness cannot
    be proven, and the credit is left unattributed.
    """
    if credit.amount_paise <= 0:
        return _NO_MATCH
    eligible = [
        checkout
        for checkout in open_checkouts
        if checkout.status != Status.COMPLETED and _not_after(checkout, credit.occurred_at)
    ]

    exact = [checkout for checkout in eligible if checkout.amount_paise == credit.amount_paise]
    if len(exact) == 1:
        return Attribution(Outcome.EXACT, (exact[0].id,))
    if len(exact) > 1:
        return _AMBIGUOUS

    pending = [
        checkout
        for checkout in eligible
        if checkout.status == Status.PENDING and checkout.amount_paise > 0
    ]
    if len(pending) > pair_limit or len(pending) > triple_limit:
        return _TOO_MANY_OPEN

    found = _find_sets(credit.amount_paise, [checkout.amount_paise for checkout in pending])
    if not found:
        return _NO_MATCH
    if len(found) > 1:
        return _AMBIGUOUS
    ids = sorted(pending[index].id for index in found[0])
    return Attribution(Outcome.COMBINATION, tuple(ids))


def candidate_amounts(requested_paise: int, *, always_suffix: bool) -> list[int]:
    """Amounts a new checkout may reserve, most preferred first.

    The requested amount comes first so the seed's ``"amount": 1018`` holds
    whenever it is free; ``always_suffix`` gives every checkout a paise
    suffix, for merchants who would rather the amount always look unique.
    """
    if requested_paise <= 0:
        raise ValueError("requested amount must be positive")
    if not always_suffix:
        return list(range(requested_paise, requested_paise + MAX_SUFFIX_PAISE + 1))
    # "Always" means the amount never ends in .00, even when the suffix carries into
    # the next rupee (₹10.50 + 50 paise would otherwise be ₹11.00).
    return [
        amount
        for amount in range(requested_paise + 1, requested_paise + MAX_SUFFIX_PAISE + 1)
        if amount % 100
    ]


def choose_payable_amount(
    requested_paise: int, taken: Collection[int], *, always_suffix: bool
) -> int | None:
    """The first free amount, or None: sharing an amount would make attribution a guess."""
    taken_set = taken if isinstance(taken, (set, frozenset)) else set(taken)
    for amount in candidate_amounts(requested_paise, always_suffix=always_suffix):
        if amount not in taken_set:
            return amount
    return None


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


def _not_after(checkout: OpenCheckout, occurred_at: datetime | None) -> bool:
    # A payment cannot be for a checkout that did not exist yet.
    return occurred_at is None or checkout.created_at <= occurred_at


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
