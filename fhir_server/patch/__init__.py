"""Patch documents for the FHIR patch interaction (http://hl7.org/fhir/R4/http.html#patch).

Pure functions over resource JSON, no HTTP and no storage: the interaction picks one by content
type.

* :func:`apply_json_patch`: JSON Patch, RFC 6902 (``application/json-patch+json``).
* :func:`apply_fhirpath_patch`: FHIRPath Patch, a ``Parameters`` resource
  (http://hl7.org/fhir/R4/fhirpatch.html).

Both return a new dict and never change their input; a malformed patch raises
:class:`~fhir_server.errors.BadRequest` (400), a patch that cannot be applied - including one that
would change ``resourceType`` or ``id`` - raises
:class:`~fhir_server.errors.UnprocessableEntity` (422).
"""

from fhir_server.patch.fhirpath_patch import apply_fhirpath_patch
from fhir_server.patch.json_patch import apply_json_patch

__all__ = ["apply_fhirpath_patch", "apply_json_patch"]
