"""FHIR search (http://hl7.org/fhir/R4/search.html): write-time index extraction and query compilation.

- :mod:`.parameters`: the SearchParameter registry, from the official definitions;
- :mod:`.fhirpath`: the expressions compiled into closures (fhirpathpy as fallback);
- :mod:`.extract`: the index entries, sort keys and compartments stored with each resource;
- one module per parameter type (:mod:`.token`, :mod:`.string`, :mod:`.reference`, :mod:`.date`,
  :mod:`.number`, :mod:`.quantity`, :mod:`.uri`): its normaliser and its query builder;
- :mod:`.compile`: search parameters to a MongoDB filter and sort; :mod:`.indexes`: the indexes.
"""

from .compile import CompiledSearch, compile_search
from .extract import Extracted, extract

__all__ = ["CompiledSearch", "Extracted", "compile_search", "extract"]
