"""Attribution must fail closed: a wrong completion is worse than none."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain.lifecycle import Status
from checkout.domain.matching import (
    Attribution,
    CreditEvidence,
    OpenCheckout,
    Outcome,
    attribute,
    balance_credit,
    candidate_amounts,
    choose_payable_amount,
)

FAST = settings(max_examples=200, deadline=None)
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
P, E, X, C = Status.PENDING, Status.EXPIRED, Status.CANCELLED, Status.COMPLETED


def co(
    checkout_id: str, amount: int, *, minutes: int = 0, status: Status = Status.PENDING
) -> OpenCheckout:
    return OpenCheckout(checkout_id, amount, T0 + timedelta(minutes=minutes), status)


def credit(amount: int, minutes: int | None = None) -> CreditEvidence:
    occurred = None if minutes is None else T0 + timedelta(minutes=minutes)
    return CreditEvidence(amount, occurred)


# --- attribute: examples ---------------------------------------------------


def test_exact() -> None:
    result = attribute(credit(101800), [co("a", 101800), co("b", 50000)])
    assert result == Attribution(Outcome.EXACT, ("a",))
    assert result.matched


def test_exact_preferred_over_combinations() -> None:
    result = attribute(credit(300), [co("a", 100), co("b", 200), co("c", 300)])
    assert result == Attribution(Outcome.EXACT, ("c",))


def test_two_exact_candidates_are_ambiguous() -> None:
    result = attribute(credit(300), [co("a", 300), co("b", 300), co("c", 100)])
    assert result == Attribution(Outcome.AMBIGUOUS, ())
    assert not result.matched


def test_no_open_checkouts() -> None:
    assert attribute(credit(300), []) == Attribution(Outcome.NO_MATCH)


def test_no_match() -> None:
    assert attribute(credit(999), [co("a", 100), co("b", 200)]).outcome is Outcome.NO_MATCH


def test_evidence_time_excludes_later_checkouts() -> None:
    checkouts = [co("early", 100, minutes=0), co("late", 100, minutes=10)]
    assert attribute(credit(100, minutes=5), checkouts) == Attribution(Outcome.EXACT, ("early",))
    # Without a time, both could be the one paid for.
    assert attribute(credit(100), checkouts).outcome is Outcome.AMBIGUOUS


def test_evidence_time_is_inclusive() -> None:
    assert attribute(credit(100, minutes=0), [co("a", 100)]).checkout_ids == ("a",)
    assert attribute(credit(100, minutes=-1), [co("a", 100)]).outcome is Outcome.NO_MATCH


def test_evidence_time_applies_to_combinations() -> None:
    checkouts = [co("a", 100), co("b", 200), co("c", 200, minutes=30)]
    assert attribute(credit(300, minutes=5), checkouts) == Attribution(
        Outcome.COMBINATION, ("a", "b")
    )
    assert attribute(credit(300), checkouts).outcome is Outcome.AMBIGUOUS


def test_pair() -> None:
    result = attribute(credit(350), [co("z", 100), co("y", 250), co("x", 7)])
    assert result == Attribution(Outcome.COMBINATION, ("y", "z"))
    assert result.matched


def test_triple() -> None:
    result = attribute(credit(700), [co("c", 100), co("b", 200), co("a", 400), co("d", 1000)])
    assert result == Attribution(Outcome.COMBINATION, ("a", "b", "c"))


def test_two_different_pairs_are_ambiguous() -> None:
    checkouts = [co("a", 100), co("b", 400), co("c", 200), co("d", 300)]
    assert attribute(credit(500), checkouts) == Attribution(Outcome.AMBIGUOUS)


def test_pair_and_triple_together_are_ambiguous() -> None:
    checkouts = [co("a", 100), co("b", 200), co("c", 300), co("d", 400)]
    assert attribute(credit(600), checkouts).outcome is Outcome.AMBIGUOUS


def test_four_way_sums_are_not_tried() -> None:
    checkouts = [co("a", 100), co("b", 200), co("c", 400), co("d", 800)]
    assert attribute(credit(1500), checkouts).outcome is Outcome.NO_MATCH


def test_duplicate_amounts_are_different_members() -> None:
    # Two checkouts of 100 pay 200 together: one set, not a self-pair.
    assert attribute(credit(200), [co("a", 100), co("b", 100)]) == Attribution(
        Outcome.COMBINATION, ("a", "b")
    )
    # One checkout of 100 cannot be counted twice.
    assert attribute(credit(200), [co("a", 100)]).outcome is Outcome.NO_MATCH
    assert attribute(credit(300), [co("a", 100), co("b", 100)]).outcome is Outcome.NO_MATCH
    # Three checkouts of 100 make three different pairs summing to 200.
    three = [co("a", 100), co("b", 100), co("c", 100)]
    assert attribute(credit(200), three).outcome is Outcome.AMBIGUOUS
    assert attribute(credit(300), three) == Attribution(Outcome.COMBINATION, ("a", "b", "c"))
    # 100 + 150 with two 150s: two sets.
    assert (
        attribute(credit(250), [co("a", 100), co("b", 150), co("c", 150)]).outcome
        is Outcome.AMBIGUOUS
    )


@pytest.mark.parametrize("status", [E, X])
def test_closed_in_grace_matches_exactly(status: Status) -> None:
    result = attribute(credit(100), [co("late", 100, status=status), co("b", 40)])
    assert result == Attribution(Outcome.EXACT, ("late",))


@pytest.mark.parametrize("status", [E, X])
def test_closed_in_grace_never_joins_combinations(status: Status) -> None:
    checkouts = [co("closed", 100, status=status), co("open", 200)]
    assert attribute(credit(300), checkouts).outcome is Outcome.NO_MATCH
    # And does not make an otherwise unique pair ambiguous.
    checkouts = [co("closed", 100, status=status), co("p", 200), co("q", 150), co("r", 150)]
    assert attribute(credit(300), checkouts) == Attribution(Outcome.COMBINATION, ("q", "r"))


def test_completed_checkouts_are_ignored() -> None:
    assert attribute(credit(100), [co("done", 100, status=C)]).outcome is Outcome.NO_MATCH
    assert attribute(credit(100), [co("done", 100, status=C), co("a", 100)]).checkout_ids == ("a",)


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_credit_matches_nothing(amount: int) -> None:
    assert attribute(credit(amount), [co("a", amount), co("b", 0)]).outcome is Outcome.NO_MATCH


def test_too_many_open_for_triples() -> None:
    checkouts = [co(f"c{i}", 1000 + i) for i in range(6)]
    result = attribute(credit(3), checkouts, triple_limit=5)
    assert result == Attribution(Outcome.TOO_MANY_OPEN, ())
    assert not result.matched
    # Exact matches still work past the limit: they need no search.
    assert attribute(credit(1003), checkouts, triple_limit=5).checkout_ids == ("c3",)
    # At the limit the search still runs.
    assert attribute(credit(2001), checkouts[:5], triple_limit=5).checkout_ids == ("c0", "c1")


def test_too_many_open_for_pairs() -> None:
    checkouts = [co(f"c{i}", 1000 + i) for i in range(6)]
    result = attribute(credit(2001), checkouts, triple_limit=100, pair_limit=5)
    assert result.outcome is Outcome.TOO_MANY_OPEN


def test_limits_count_only_pending_eligible_checkouts() -> None:
    checkouts = [co(f"x{i}", 10 + i, status=E) for i in range(10)]
    checkouts += [co(f"late{i}", 10 + i, minutes=60) for i in range(10)]
    checkouts += [co("a", 100), co("b", 200)]
    assert attribute(credit(300, minutes=0), checkouts, triple_limit=2).checkout_ids == (
        "a",
        "b",
    )


def test_default_limits_handle_many_open_checkouts_quickly() -> None:
    checkouts = [co(f"c{i}", 10000 + 7 * i) for i in range(200)]
    target = checkouts[3].amount_paise + checkouts[150].amount_paise + 1
    assert attribute(credit(target), checkouts).outcome in {Outcome.NO_MATCH, Outcome.AMBIGUOUS}
    assert attribute(credit(target), [*checkouts, co("x", 1)]).outcome is Outcome.TOO_MANY_OPEN


def test_attribution_carries_ids_only_when_matched() -> None:
    with pytest.raises(ValueError):
        Attribution(Outcome.AMBIGUOUS, ("a", "b"))
    with pytest.raises(ValueError):
        Attribution(Outcome.EXACT, ())
    with pytest.raises(ValueError):
        Attribution(Outcome.COMBINATION, ("a",))
    assert Outcome.NO_MATCH.value == "no-match"
    assert Outcome.TOO_MANY_OPEN.value == "too-many-open"


# --- attribute: properties -------------------------------------------------

statuses = st.sampled_from([P, P, P, E, X])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[CreditEvidence, list[OpenCheckout]]:
    count = draw(st.integers(min_value=0, max_value=12))
    checkouts = [
        OpenCheckout(
            id=f"c{index}",
            amount_paise=draw(st.integers(min_value=1, max_value=30)),
            created_at=T0 + timedelta(minutes=draw(st.integers(min_value=0, max_value=10))),
            status=draw(statuses),
        )
        for index in range(count)
    ]
    minutes = draw(st.none() | st.integers(min_value=-1, max_value=11))
    use_subset = draw(st.booleans())
    if checkouts and use_subset:
        # Often the credit really is a few of the open checkouts paid together.
        picked = draw(
            st.lists(st.sampled_from(checkouts), min_size=1, max_size=3, unique_by=lambda c: c.id)
        )
        amount = sum(c.amount_paise for c in picked)
    else:
        amount = draw(st.integers(min_value=1, max_value=90))
    return credit(amount, minutes), checkouts


def brute_force(evidence: CreditEvidence, checkouts: Sequence[OpenCheckout]) -> Attribution:
    eligible = [
        c for c in checkouts if evidence.occurred_at is None or c.created_at <= evidence.occurred_at
    ]
    exact = [c for c in eligible if c.amount_paise == evidence.amount_paise]
    if len(exact) == 1:
        return Attribution(Outcome.EXACT, (exact[0].id,))
    if len(exact) > 1:
        return Attribution(Outcome.AMBIGUOUS)
    pending = [c for c in eligible if c.status is Status.PENDING]
    sets = [
        combo
        for size in (2, 3)
        for combo in itertools.combinations(pending, size)
        if sum(c.amount_paise for c in combo) == evidence.amount_paise
    ]
    if not sets:
        return Attribution(Outcome.NO_MATCH)
    if len(sets) > 1:
        return Attribution(Outcome.AMBIGUOUS)
    return Attribution(Outcome.COMBINATION, tuple(sorted(c.id for c in sets[0])))


@FAST
@given(scenarios())
def test_matched_ids_sum_to_the_credit_and_are_eligible(
    scenario: tuple[CreditEvidence, list[OpenCheckout]],
) -> None:
    evidence, checkouts = scenario
    result = attribute(evidence, checkouts)
    if not result.matched:
        assert result.checkout_ids == ()
        return
    by_id = {c.id: c for c in checkouts}
    chosen = [by_id[checkout_id] for checkout_id in result.checkout_ids]
    assert len(set(result.checkout_ids)) == len(result.checkout_ids)
    assert sum(c.amount_paise for c in chosen) == evidence.amount_paise
    for c in chosen:
        assert evidence.occurred_at is None or c.created_at <= evidence.occurred_at
        if result.outcome is Outcome.COMBINATION:
            assert c.status is Status.PENDING


@FAST
@given(scenarios())
def test_agrees_with_brute_force(scenario: tuple[CreditEvidence, list[OpenCheckout]]) -> None:
    evidence, checkouts = scenario
    assert attribute(evidence, checkouts) == brute_force(evidence, checkouts)


@FAST
@given(scenarios(), st.randoms(use_true_random=False))
def test_order_of_checkouts_does_not_matter(
    scenario: tuple[CreditEvidence, list[OpenCheckout]], rng: random.Random
) -> None:
    evidence, checkouts = scenario
    shuffled = list(checkouts)
    rng.shuffle(shuffled)
    assert attribute(evidence, shuffled) == attribute(evidence, checkouts)


# --- amount reservation ----------------------------------------------------


def test_candidate_amounts_on_collision() -> None:
    amounts = candidate_amounts(101800, always_suffix=False)
    assert amounts[0] == 101800
    assert amounts[1:3] == [101801, 101802]
    assert amounts[-1] == 101899
    assert len(amounts) == 100


def test_candidate_amounts_always_suffix() -> None:
    amounts = candidate_amounts(101800, always_suffix=True)
    assert amounts == list(range(101801, 101900))
    assert all(amount % 100 for amount in amounts)


def test_always_suffix_never_lands_on_a_whole_rupee() -> None:
    """₹10.50 with up to 99 paise added crosses ₹11.00, which "always" must skip."""
    amounts = candidate_amounts(1050, always_suffix=True)
    assert 1100 not in amounts
    assert amounts[0] == 1051 and amounts[-1] == 1149
    assert len(amounts) == 98


@pytest.mark.parametrize("requested", [0, -1])
def test_candidate_amounts_need_a_positive_request(requested: int) -> None:
    with pytest.raises(ValueError):
        candidate_amounts(requested, always_suffix=False)


def test_choose_payable_amount() -> None:
    assert choose_payable_amount(101800, set(), always_suffix=False) == 101800
    assert choose_payable_amount(101800, [101800], always_suffix=False) == 101801
    assert choose_payable_amount(101800, (101800, 101801), always_suffix=False) == 101802
    assert choose_payable_amount(101800, frozenset(), always_suffix=True) == 101801
    # Amounts outside the window do not matter.
    assert choose_payable_amount(101800, {101799, 101900}, always_suffix=False) == 101800


def test_choose_payable_amount_when_all_are_taken() -> None:
    taken = set(range(101800, 101900))
    assert choose_payable_amount(101800, taken, always_suffix=False) is None
    assert choose_payable_amount(101800, taken - {101800}, always_suffix=True) is None
    assert choose_payable_amount(101800, taken - {101899}, always_suffix=True) == 101899


@FAST
@given(
    st.integers(min_value=1, max_value=10**7),
    st.sets(st.integers(min_value=0, max_value=120)),
    st.booleans(),
)
def test_chosen_amount_is_free_and_first(
    requested: int, offsets: set[int], always_suffix: bool
) -> None:
    taken = {requested + offset for offset in offsets}
    chosen = choose_payable_amount(requested, taken, always_suffix=always_suffix)
    candidates = candidate_amounts(requested, always_suffix=always_suffix)
    free = [amount for amount in candidates if amount not in taken]
    assert chosen == (free[0] if free else None)


# --- balance-only providers ------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "balance", "expected"),
    [
        (None, 5000, None),
        (1000, 1000, None),
        (1000, 900, None),
        (1000, 101800 + 1000, 101800),
        (0, 1, 1),
    ],
)
def test_balance_credit(baseline: int | None, balance: int, expected: int | None) -> None:
    assert balance_credit(baseline, balance) == expected
