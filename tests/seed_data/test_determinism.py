"""Same seed, same population, byte for byte; and the generator streams."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from seed_data import generate, population

REPO = Path(__file__).resolve().parents[2]
DIGEST = ("import hashlib, json, sys; from seed_data import generate; h = hashlib.sha256()\n"
          "for home, bundles in generate(8, 5): h.update(json.dumps(bundles, ensure_ascii=False).encode())\n"
          "print(h.hexdigest())")


def _digest(patients: int, seed: int) -> str:
    digest = hashlib.sha256()
    for _, bundles in generate(patients, seed):
        digest.update(json.dumps(bundles, ensure_ascii=False).encode())
    return digest.hexdigest()


def test_same_seed_gives_identical_output_twice() -> None:
    assert _digest(8, 5) == _digest(8, 5)
    assert _digest(8, 5) != _digest(8, 6)


def test_output_does_not_depend_on_the_process() -> None:
    """Another interpreter with another hash seed: nothing may depend on ``hash()`` or the clock."""
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", DIGEST], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == _digest(8, 5)


def test_a_population_of_a_million_yields_at_once_in_bounded_memory() -> None:
    started = time.perf_counter()
    first = next(iter(generate(10**6, 3)))
    assert time.perf_counter() - started < 10
    assert first[0].index == 0 and first[1]
    tracemalloc.start()
    try:
        homes = sum(1 for _ in itertools.islice(population(10**6, 3), 3000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert homes == 3000
    assert peak < 5 * 1024 * 1024  # a few households' worth, not the population's


def test_household_order_does_not_matter() -> None:
    from seed_data import household

    homes = list(itertools.islice(population(10**6, 8), 30))
    assert household(8, 29) == homes[29]
