"""Batch and transaction Bundles (http://hl7.org/fhir/R4/http.html#transaction): the interaction (batch),
reading the entries (entries) and rewriting references to the ids the entries will have (references)."""
