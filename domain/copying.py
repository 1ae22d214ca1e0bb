"""Fast copies of aggregates whose containers hold only immutable values."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def copy_containers(obj: T) -> T:
    """A copy of `obj` with fresh top-level dicts, sets and lists.

    Enough for an independent copy when every value inside those containers
    is immutable (str, int, date, enum, UUID, tuples of these), as in Course
    and Citizen; many times faster than `copy.deepcopy`, which the aggregate
    cache calls on every load.
    """
    clone = object.__new__(type(obj))
    clone.__dict__.update({name: _fresh(value) for name, value in vars(obj).items()})
    return clone


def _fresh(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    if isinstance(value, list):
        return list(value)
    return value
