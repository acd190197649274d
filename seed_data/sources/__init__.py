"""Emitters of the city's source formats, one module per format (what ``mappers/`` reads).

The generator writes what a clinic's, laboratory's, hospital's or radiology system would export,
so that every synthetic record goes through the same mapper as a real one: exam protocol JSON
(:mod:`.exam`), HL7 v2.5 ORU^R01 (:mod:`.hl7`), CDA R2 discharge summaries (:mod:`.cda`), DICOM
datasets (:mod:`.dicom`) and instrumental study JSON (:mod:`.instrumental`).
"""
