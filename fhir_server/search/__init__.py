"""FHIR search (http://hl7.org/fhir/R4/search.html): write-time index extraction and query compilation.

- :mod:`.parameters`: the SearchParameter registry, official definitions plus those created through
  the API (:mod:`.custom`, reindexed by :mod:`.reindex`);
- :mod:`.fhirpath`: the expressions compiled into closures (fhirpathpy as fallback);
- :mod:`.extract`: the index entries (``i`` values, ``r`` ranges), sort keys and compartments stored
  with each resource;
- one module per parameter type with its modifiers (:mod:`.token`, :mod:`.string`,
  :mod:`.reference`, :mod:`.date`, :mod:`.number`, :mod:`.quantity`, :mod:`.uri`,
  :mod:`.composite`): its normaliser and its query builder, registered in :mod:`.types`;
- :mod:`.compile`: search parameters to a MongoDB filter, with :mod:`.chain`, :mod:`.has` and
  :mod:`.sort`; :mod:`.include`, :mod:`.summary`, :mod:`.elements`: the result parameters;
- :mod:`.indexes`: the indexes. docs/search.md describes what is supported.
"""

from importlib import import_module

from .compile import CompiledSearch, compile_search
from .extract import Extracted, extract
from .types import MODULES

for _type_module in MODULES:  # each registers its type (.types)
    import_module(f"{__name__}.{_type_module}")

__all__ = ["CompiledSearch", "Extracted", "compile_search", "extract"]
