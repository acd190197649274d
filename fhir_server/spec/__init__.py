"""What the FHIR R4 specification itself fixes, used by every layer: the resource types and the id rule,
the date and time formats, the Patient compartment."""
