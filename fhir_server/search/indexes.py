"""The MongoDB indexes of the ``resources`` collection that searches rely on (docs/storage.md).

Index entries live in two arrays so that each entry is indexed once: ``i`` holds the value
entries (token, string, uri, reference: ``{p, v, ...}``) and ``r`` the range entries (date,
number, quantity: ``{p, lo, hi, ...}``). MongoDB cannot index two parallel arrays in one compound
index, so each array has its own:

- ``type_value`` (t, i.p, i.v): token, string (anchored regex), uri and reference searches,
  chain and ``_has`` results, ``_revinclude``;
- ``type_range`` (t, r.p, r.lo, r.hi): date, number and quantity ranges;
- ``compartment`` (cmp, t, lu): patient-scoped searches, ``$everything``, access policy;
- ``type_updated`` (t, lu): ``_lastUpdated`` and plain type listings;
- ``type_id`` (t, id): ``_id``;
- the built-in ``_id`` index (``Type/id``): ``_include`` and ``_has`` follow-ups.

Queries put ``p`` and the value in one ``$elemMatch`` so that the bounds on ``i.p`` and ``i.v``
(or ``r.p``/``r.lo``/``r.hi``) are compounded on the same array element.
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

INDEXES: list[IndexModel] = [
    IndexModel([("t", ASCENDING), ("i.p", ASCENDING), ("i.v", ASCENDING)], name="type_value"),
    IndexModel(
        [("t", ASCENDING), ("r.p", ASCENDING), ("r.lo", ASCENDING), ("r.hi", ASCENDING)],
        name="type_range",
    ),
    IndexModel([("cmp", ASCENDING), ("t", ASCENDING), ("lu", ASCENDING)], name="compartment"),
    IndexModel([("t", ASCENDING), ("lu", ASCENDING)], name="type_updated"),
    IndexModel([("t", ASCENDING), ("id", ASCENDING)], name="type_id"),
]
