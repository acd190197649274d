"""FHIR operations (http://hl7.org/fhir/R4/operations.html), one module per operation:

* :mod:`.everything`: ``Patient/[id]/$everything``
* :mod:`.summary`: ``Patient/[id]/$summary``, ``Patient/$summary?identifier=`` (IPS STU2)
* :mod:`.document`: ``Composition/[id]/$document``
* :mod:`.lastn`: ``Observation/$lastn``
* :mod:`.validate`: ``[type]/$validate``, ``[type]/[id]/$validate``

Their OperationDefinitions are in :mod:`.definitions`. Every one reads through the access policy
(``search_filter`` in its queries, ``visible`` on every document it returns) and answers a bad
parameter with a 400 OperationOutcome (:mod:`.params`). See docs/operations.md.
"""
