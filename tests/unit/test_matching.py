"""Attribution must fail closed: a wrong completion is worse than none."""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain.matching import (
    SIDON_SUFFIXES,
    Attribution,
    CreditEvidence,
    OpenCheckout,
    ambiguous_pairs,
    attribute,
    balance_credit,
    ranked_amounts,
)
from checkout.domain.vocabulary import CreditKind, Outcome, Status

FAST = settings(max_examples=200, deadline=None)
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
P, E, X, C = Status.PENDING, Status.EXPIRED, Status.CANCELLED, Status.COMPLETED


def co(
    checkout_id: str, amount: int, *, minutes: int = 0, status: Status = Status.PENDING
) -> OpenCheckout:
    return OpenCheckout(checkout_id, amount, T0 + timedelta(minutes=minutes), status)


def credit(amount: int, minutes: int | None = None) -> CreditEvidence:
    """A balance rise seen after a read at T0 + ``minutes`` (unknown window when None)."""
    if minutes is None:
        return CreditEvidence(amount, None, CreditKind.BALANCE)
    since = T0 + timedelta(minutes=minutes)
    return CreditEvidence.balance_rise(amount, since=since, seen_at=since + timedelta(seconds=3))


def payment(amount: int, minutes: int | None = None) -> CreditEvidence:
    """One payment (a history item, a bank message) at T0 + ``minutes``."""
    occurred = None if minutes is None else T0 + timedelta(minutes=minutes)
    return CreditEvidence(amount, occurred)


# --- attribute: examples ---------------------------------------------------


def test_exact() -> None:
    result = attribute(credit(101800), [co("a", 101800), co("b", 50000)])
    assert result == Attribution(Outcome.EXACT, ("a",))
    assert result.matched


def test_exact_and_a_sum_together_are_ambiguous_for_a_balance_rise() -> None:
    """Issue 7.1: ₹60 + ₹20 paid in one tick is not the ₹80 checkout paid."""
    checkouts = [co("p60", 6000), co("p20", 2000), co("p80", 8000)]
    assert attribute(credit(8000), checkouts) == Attribution(Outcome.AMBIGUOUS)
    # A sum that needs a checkout created after the read does not count against it.
    later = [co("a", 100), co("b", 200, minutes=10), co("c", 300)]
    assert attribute(credit(300, minutes=5), later) == Attribution(Outcome.EXACT, ("c",))


def test_one_payment_never_needs_sums() -> None:
    checkouts = [co("a", 100), co("b", 200), co("c", 300)]
    assert attribute(payment(300), checkouts) == Attribution(Outcome.EXACT, ("c",))
    assert attribute(payment(300), checkouts[:2]).outcome is Outcome.NO_MATCH
    assert attribute(payment(300, minutes=0), [co("a", 300), co("b", 300)]).outcome is (
        Outcome.AMBIGUOUS
    )


def test_a_rise_equal_to_a_recent_debit_is_a_reversal() -> None:
    """Issue 7.2: the balance fell by ₹25 and rose back; the ₹25 checkout is not paid."""
    result = attribute(credit(2500), [co("a", 2500)], recent_debits={2500})
    assert result == Attribution(Outcome.REVERSAL)
    assert attribute(credit(2500), [co("a", 2500)], recent_debits={4000}).matched
    # A payment is never a reversal: it names itself.
    assert attribute(payment(2500), [co("a", 2500)], recent_debits={2500}).matched


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
    for evidence in (credit(100, minutes=5), payment(100, minutes=5)):
        assert attribute(evidence, checkouts) == Attribution(Outcome.EXACT, ("early",))
    # Without a time, both could be the one paid for.
    assert attribute(credit(100), checkouts).outcome is Outcome.AMBIGUOUS


def test_evidence_time_is_inclusive() -> None:
    assert attribute(credit(100, minutes=0), [co("a", 100)]).checkout_ids == ("a",)
    assert attribute(payment(100, minutes=0), [co("a", 100)]).checkout_ids == ("a",)
    assert attribute(payment(100, minutes=-1), [co("a", 100)]).outcome is Outcome.BEFORE_CHECKOUT


def test_a_balance_rise_is_evidence_for_its_whole_window() -> None:
    """Issue 7.3: a rise seen at the read after a checkout opened may predate it."""
    opened_between_reads = [co("b", 3300, minutes=1)]
    rise = CreditEvidence.balance_rise(3300, since=T0, seen_at=T0 + timedelta(minutes=2))
    assert attribute(rise, opened_between_reads) == Attribution(Outcome.BEFORE_CHECKOUT)
    # A payment with its own time inside that window does pay it.
    at = T0 + timedelta(minutes=1, seconds=30)
    assert attribute(CreditEvidence(3300, at), opened_between_reads).matched


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
    result = attribute(credit(3003), checkouts, triple_limit=5)
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
    per_payment = draw(st.booleans())
    use_subset = draw(st.booleans())
    if checkouts and use_subset:
        # Often the credit really is a few of the open checkouts paid together.
        picked = draw(
            st.lists(st.sampled_from(checkouts), min_size=1, max_size=3, unique_by=lambda c: c.id)
        )
        amount = sum(c.amount_paise for c in picked)
    else:
        amount = draw(st.integers(min_value=1, max_value=90))
    return (payment if per_payment else credit)(amount, minutes), checkouts


def brute_force(evidence: CreditEvidence, checkouts: Sequence[OpenCheckout]) -> Attribution:
    """The rule as DESIGN §5.4 states it, by enumerating every story."""
    latest = evidence.earliest_checkout_time
    eligible = [c for c in checkouts if latest is None or c.created_at <= latest]
    exact = [c for c in eligible if c.amount_paise == evidence.amount_paise]
    sets = []
    if evidence.kind is CreditKind.BALANCE:
        pending = [c for c in eligible if c.status is Status.PENDING]
        sets = [
            combo
            for size in (2, 3)
            for combo in itertools.combinations(pending, size)
            if sum(c.amount_paise for c in combo) == evidence.amount_paise
        ]
    if len(exact) + len(sets) > 1:
        return Attribution(Outcome.AMBIGUOUS)
    if exact:
        return Attribution(Outcome.EXACT, (exact[0].id,))
    if sets:
        return Attribution(Outcome.COMBINATION, tuple(sorted(c.id for c in sets[0])))
    if any(c.amount_paise == evidence.amount_paise for c in checkouts):
        return Attribution(Outcome.BEFORE_CHECKOUT)
    return Attribution(Outcome.NO_MATCH)


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
    latest = evidence.earliest_checkout_time
    for c in chosen:
        assert latest is None or c.created_at <= latest
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


MAX = 10**9


def test_the_requested_amount_comes_first_then_the_ruler() -> None:
    amounts = ranked_amounts(101800, set(), always_suffix=False, max_paise=MAX)
    assert amounts[: len(SIDON_SUFFIXES)] == [101800 + suffix for suffix in SIDON_SUFFIXES]
    assert len(amounts) == 100 and sorted(amounts) == list(range(101800, 101900))


def test_always_suffix_never_uses_a_whole_rupee() -> None:
    amounts = ranked_amounts(101800, set(), always_suffix=True, max_paise=MAX)
    assert amounts[0] == 101801 and sorted(amounts) == list(range(101801, 101900))
    # ₹10.50 with up to 99 paise added crosses ₹11.00, which "always" must skip.
    amounts = ranked_amounts(1050, set(), always_suffix=True, max_paise=MAX)
    assert 1100 not in amounts and len(amounts) == 98


@pytest.mark.parametrize("requested", [0, -1])
def test_ranked_amounts_need_a_positive_request(requested: int) -> None:
    with pytest.raises(ValueError):
        ranked_amounts(requested, set(), always_suffix=False, max_paise=MAX)


def test_never_above_the_cap() -> None:
    """Issue 7: a second ₹1,00,000 checkout was issued as ₹1,00,000.01."""
    cap = 100_000_00
    assert ranked_amounts(cap, set(), always_suffix=False, max_paise=cap) == [cap]
    assert ranked_amounts(cap, {cap}, always_suffix=False, max_paise=cap) == []
    assert max(ranked_amounts(cap - 50, set(), always_suffix=True, max_paise=cap)) == cap - 1


def choose_payable_amount(
    requested: int, taken: Collection[int], *, always_suffix: bool, max_paise: int
) -> int | None:
    """What a new checkout gets: the best ranked free amount."""
    ranked = ranked_amounts(requested, taken, always_suffix=always_suffix, max_paise=max_paise)
    return ranked[0] if ranked else None


def test_the_best_ranked_amount() -> None:
    def choose(taken: set[int], always: bool = False) -> int | None:
        return choose_payable_amount(101800, taken, always_suffix=always, max_paise=MAX)

    assert choose(set()) == 101800
    assert choose({101800}) == 101802
    assert choose({101800, 101802}) == 101806
    assert choose(set(), always=True) == 101801
    assert choose(set(range(101800, 101900))) is None


def open_in_turn(count: int, *, always_suffix: bool = False) -> list[int]:
    taken: list[int] = []
    for _ in range(count):
        chosen = choose_payable_amount(10000, taken, always_suffix=always_suffix, max_paise=MAX)
        assert chosen is not None
        taken.append(chosen)
    return taken


@pytest.mark.parametrize("always_suffix", [False, True])
def test_up_to_twelve_open_at_one_price_share_no_pair_sum(always_suffix: bool) -> None:
    """Two payments in one tick can always be told from any other two."""
    amounts = open_in_turn(12, always_suffix=always_suffix)
    assert ambiguous_pairs(amounts) == 0
    # Sequential suffixes, as the landed code chose them, confuse most pairs.
    assert ambiguous_pairs(list(range(10000, 10012))) == 62


def test_beyond_twelve_the_choice_still_confuses_fewer_pairs() -> None:
    for count in (13, 20):
        assert ambiguous_pairs(open_in_turn(count)) < ambiguous_pairs(
            list(range(10000, 10000 + count))
        )


def test_ambiguous_pairs_counts_pairs_sharing_a_sum_with_a_disjoint_pair() -> None:
    assert ambiguous_pairs([0, 1, 2, 3]) == 2  # 0+3 = 1+2
    assert ambiguous_pairs([0, 1, 2]) == 0  # 0+2 and 1+1 is not a pair
    assert ambiguous_pairs([10000, 10003, 10001, 10002]) == 2


@FAST
@given(
    st.integers(min_value=1, max_value=10**7),
    st.sets(st.integers(min_value=-120, max_value=220)),
    st.booleans(),
)
def test_ranked_amounts_are_free_distinct_and_in_the_window(
    requested: int, offsets: set[int], always_suffix: bool
) -> None:
    taken = {requested + offset for offset in offsets}
    ranked = ranked_amounts(requested, taken, always_suffix=always_suffix, max_paise=MAX)
    assert len(set(ranked)) == len(ranked)
    window = set(range(requested, requested + 100)) - taken
    if always_suffix:
        window = {amount for amount in window if amount % 100 and amount != requested}
    assert set(ranked) == window


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
