"""The sample sources of tests/mappers/samples mapped once per test session."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).parent / "samples"


@cache
def all_sample_bundles() -> dict[str, list[dict[str, Any]]]:
    """``{"<format>/<file>": bundles}`` for every good sample file (bad_* files excluded)."""
    from mappers import FORMATS

    out: dict[str, list[dict[str, Any]]] = {}
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        fmt = folder.name.replace("_", "-")
        for path in sorted(folder.iterdir()):
            if path.name.startswith("bad_") or fmt not in FORMATS:
                continue
            out[f"{fmt}/{path.name}"] = FORMATS[fmt](path)
    return out
