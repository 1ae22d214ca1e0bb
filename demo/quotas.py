"""Whole counts in published proportions, exact at the reference size."""

from __future__ import annotations

from fractions import Fraction


def apportion(weights: dict[str, int], total: int) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder; exact at scale 1)."""
    whole = sum(weights.values())
    shares = {key: Fraction(weight * total, whole) for key, weight in weights.items()}
    counts = {key: int(share) for key, share in shares.items()}
    by_remainder = sorted(shares, key=lambda key: shares[key] - counts[key], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def share(fraction: Fraction, n: int) -> int:
    """`fraction` of `n`, rounded to a whole count."""
    return round(fraction * n)


def pool(weights: dict[str, int], total: int) -> list[str]:
    """A list of `total` values in proportion to `weights`."""
    return [value for value, count in apportion(weights, total).items() for _ in range(count)]
