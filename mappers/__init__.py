"""Mappers from the EMC's source formats to FHIR R4 transaction Bundles (docs/architecture.md, "The card as FHIR").

One module per source format, each a pure function from the source to a transaction Bundle whose
entries are conditional creates on business identifiers (:mod:`mappers.bundle`), so that
importing the same source twice changes nothing:

=================  ======================================  =========================================
format             source                                  FHIR
=================  ======================================  =========================================
``exam-protocol``  JSON export (schemas/exam_protocol)     Encounter (AMB) + Composition + Condition
``hl7v2-oru``      HL7 v2.5 ORU^R01 messages               DiagnosticReport (LAB) + Observation
``cda-discharge``  HL7 CDA R2 discharge summary            Encounter (IMP) + Composition 18842-5
``dicom-study``    DICOM files + conclusion text           ImagingStudy + DiagnosticReport (RAD)
``instrumental``   JSON export (schemas/instrumental)      DiagnosticReport + Observation (ECG, ...)
=================  ======================================  =========================================

:data:`FORMATS` maps each format name to a function ``(path) -> list of Bundles`` (one per message,
record or study in the file or folder) that raises :class:`MappingError` naming the file and the
place of the first fault; the in-memory functions (``map_exam_protocol`` ...) take the parsed or
raw source. See docs/mappers.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cda_discharge import map_discharge_file, map_discharge_summary
from .dicom_study import map_dicom_path, map_dicom_study
from .errors import MappingError
from .exam_protocol import map_exam_protocol, map_exam_protocol_file
from .hl7v2_oru import map_oru_file, map_oru_message, map_oru_messages
from .instrumental import map_instrumental_file, map_instrumental_study

Bundle = dict[str, Any]

FORMATS: dict[str, Callable[[Path], list[Bundle]]] = {
    "exam-protocol": map_exam_protocol_file,
    "hl7v2-oru": map_oru_file,
    "cda-discharge": map_discharge_file,
    "dicom-study": map_dicom_path,
    "instrumental": map_instrumental_file,
}

DESCRIPTIONS: dict[str, str] = {
    "exam-protocol": "clinic examination protocols, JSON export (.json object or array, .ndjson)",
    "hl7v2-oru": "laboratory results, HL7 v2.5 ORU^R01 messages (one or more per file)",
    "cda-discharge": "hospital discharge summaries, HL7 CDA R2 XML (one document per file)",
    "dicom-study": "radiology studies, DICOM files or folders with the conclusion in a .txt file",
    "instrumental": "ECG and endoscopy studies, JSON export (.json object or array, .ndjson)",
}

__all__ = [
    "DESCRIPTIONS", "FORMATS", "MappingError", "map_discharge_summary", "map_dicom_study",
    "map_exam_protocol", "map_instrumental_study", "map_oru_message", "map_oru_messages",
]
