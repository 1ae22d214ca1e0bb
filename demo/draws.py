"""Random draws the plans and lines are made of; only the `random.Random` given decides."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K")


def between(rng: random.Random, low: date, high: date) -> date:
    """A random day from `low` to `high`, both included."""
    return low + timedelta(days=rng.randint(0, (high - low).days))


def pick(rng: random.Random, plans: Sequence[T], count: int) -> list[T]:
    """`count` of `plans` at random."""
    return rng.sample(list(plans), count)


def weighted(rng: random.Random, weights: Mapping[K, int]) -> K:
    """One of the keys, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]
