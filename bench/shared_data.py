"""Where the official FHIR definitions, examples and Synthea bundles live (``../shared``)."""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = (_REPO.parent / "shared", Path("/work/shared"))


def shared_dir() -> Path:
    """``FHIR_SHARED_DIR``, else ``../shared`` beside the checkout, else ``/work/shared``."""
    configured = os.environ.get("FHIR_SHARED_DIR")
    if configured:
        return Path(configured)
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    return _CANDIDATES[0]
