"""Deterministic randomness: every draw comes from a generator named by the seed and a path.

Why not one generator for the whole population: a shared stream makes person 1,000,000 depend on
every draw made for the 999,999 before it, so nothing can be generated out of order, in parallel
or lazily. Here a household's, a person's or a doctor's generator is seeded by a string such as
``"42:hh:1234"``; ``random.Random`` hashes a string seed with SHA-512 (seeding version 2), which is
the same in every process and on every platform, unlike ``hash()``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")


def rng(seed: int, *path: object) -> random.Random:
    """The generator of one named thing (``rng(42, "hh", 7)`` is household 7 of seed 42)."""
    return random.Random(":".join(str(p) for p in (seed, *path)))


def weighted(r: random.Random, table: Sequence[tuple[T, float]]) -> T:
    """One item of ``(item, weight)`` pairs."""
    total = sum(w for _, w in table)
    x = r.random() * total
    for item, weight in table:
        x -= weight
        if x < 0:
            return item
    return table[-1][0]


def day_between(r: random.Random, start: date, end: date) -> date:
    """A uniformly drawn day in ``[start, end]`` (``start`` when the span is empty)."""
    span = (end - start).days
    return start + timedelta(days=r.randint(0, span)) if span > 0 else start


def at_time(r: random.Random, day: date, first_hour: int = 8, last_hour: int = 19) -> datetime:
    """A working-hours moment of ``day`` (minute precision, as clinical systems record it)."""
    return datetime(day.year, day.month, day.day, r.randint(first_hour, last_hour - 1), r.randrange(0, 60, 5))


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
