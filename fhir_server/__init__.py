"""Moscow EMC FHIR server: a FHIR R4 (4.0.1) server on MongoDB."""

FHIR_VERSION = "4.0.1"
SOFTWARE_NAME = "Moscow EMC FHIR Server"
SOFTWARE_VERSION = "0.1.0"
