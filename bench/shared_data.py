"""Where the official FHIR definitions, examples and Synthea bundles live (``../shared``)."""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``FHIR_SHARED_DIR``, else ``../shared`` beside the checkout."""
    configured = os.environ.get("FHIR_SHARED_DIR")
    if configured:
        return Path(configured)
    return _REPO.parent / "shared"
