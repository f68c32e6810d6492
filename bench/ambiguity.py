"""How often two payments in one tick could be mistaken for two others (issue 7).

With N checkouts open at one price, two of them paid between two balance reads
raise the balance by the sum of their amounts. When another, disjoint pair has
the same sum, the rise has two explanations and pays neither pair (it goes to
review). This counts the share of pairs for which that happens:

- "before": the landed rule, the first free amount from the requested one up
  (₹100.00, ₹100.01, ₹100.02, …);
- "after": `checkout.domain.matching.ranked_amounts`, the rule that runs.

Two scenarios per N: "fill" opens N checkouts one after another; "churn" keeps
about N open while checkouts close and open at random (a seeded stream of
2,000 events), and averages the share over the stream.

    .venv/bin/python bench/ambiguity.py            # N = 5, 20, 50
    .venv/bin/python bench/ambiguity.py --n 12 30  # other sizes

Pure computation on the domain: no server, no store, a second or two.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checkout.domain.matching import ambiguous_pairs, ranked_amounts

PRICE = 10000  # ₹100.00; any whole-rupee price gives the same figures
CAP = 10**9
EVENTS = 2000

Chooser = Callable[[set[int]], int | None]


def landed(taken: set[int]) -> int | None:
    """The landed rule: the first free amount at or above the price."""
    return next((PRICE + s for s in range(100) if PRICE + s not in taken), None)


def current(taken: set[int]) -> int | None:
    ranked = ranked_amounts(PRICE, taken, always_suffix=False, max_paise=CAP)
    return ranked[0] if ranked else None


def share(amounts: Sequence[int]) -> float:
    pairs = len(amounts) * (len(amounts) - 1) // 2
    return ambiguous_pairs(list(amounts)) / pairs if pairs else 0.0


def fill(choose: Chooser, n: int) -> float:
    taken: set[int] = set()
    for _ in range(n):
        amount = choose(taken)
        assert amount is not None
        taken.add(amount)
    return share(sorted(taken))


def churn(choose: Chooser, n: int, seed: int) -> float:
    rng = random.Random(seed)
    taken: set[int] = set()
    while len(taken) < n:
        amount = choose(taken)
        assert amount is not None
        taken.add(amount)
    total = 0.0
    for _ in range(EVENTS):
        # One checkout is paid or abandoned, and a new one opens at the same price.
        taken.discard(rng.choice(sorted(taken)))
        amount = choose(taken)
        assert amount is not None
        taken.add(amount)
        total += share(sorted(taken))
    return total / EVENTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    print(f"price ₹{PRICE // 100}, share of pairs two payments in one tick could confuse")
    print(
        f"{'N':>4} {'pairs':>6}  {'fill before':>11} {'fill after':>10}  "
        f"{'churn before':>12} {'churn after':>11}"
    )
    for n in args.n:
        pairs = n * (n - 1) // 2
        print(
            f"{n:>4} {pairs:>6}  {fill(landed, n):>11.1%} {fill(current, n):>10.1%}  "
            f"{churn(landed, n, args.seed):>12.1%} {churn(current, n, args.seed):>11.1%}"
        )


if __name__ == "__main__":
    main()
