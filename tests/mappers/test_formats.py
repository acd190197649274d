"""The registry the ``import`` command uses: every format, every sample, deterministic output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mappers import DESCRIPTIONS, FORMATS, MappingError
from tests.mappers.helpers import assert_valid_transaction
from tests.mappers.samples_index import all_sample_bundles


def test_formats_and_descriptions() -> None:
    assert set(FORMATS) == {"exam-protocol", "hl7v2-oru", "cda-discharge", "dicom-study", "instrumental"}
    assert set(DESCRIPTIONS) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(all_sample_bundles()))
def test_every_sample_maps_to_valid_transactions(name: str) -> None:
    bundles = all_sample_bundles()[name]
    assert bundles
    for bundle in bundles:
        assert_valid_transaction(bundle)


@pytest.mark.parametrize("name", sorted(all_sample_bundles()))
def test_every_sample_maps_to_the_same_bytes_twice(name: str) -> None:
    fmt, file = name.split("/")
    path = Path(__file__).parent / "samples" / fmt.replace("-", "_") / file
    assert json.dumps(FORMATS[fmt](path), ensure_ascii=False) == json.dumps(all_sample_bundles()[name],
                                                                            ensure_ascii=False)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_file_of_the_wrong_format_is_a_mapping_error_naming_it(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(b"\x00\x01garbage\xff")
    with pytest.raises(MappingError) as info:
        FORMATS[fmt](path)
    assert str(info.value).startswith("random.bin: ")
