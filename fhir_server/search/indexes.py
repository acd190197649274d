"""The MongoDB indexes of the ``resources`` collection that searches rely on (docs/storage.md).

``i`` is one array holding the entries of every parameter, so that one compound multikey index
covers each family of search types (MongoDB cannot index two parallel arrays together):

- ``type_value`` (t, i.p, i.v): token, string (anchored regex), uri and reference searches;
- ``type_range`` (t, i.p, i.lo, i.hi): date, number and quantity ranges;
- ``compartment`` (cmp, t, lu): patient-scoped searches, ``$everything``, access policy;
- ``type_updated`` (t, lu): ``_lastUpdated`` and plain type listings;
- ``type_id`` (t, id): ``_id``.

Queries put ``p`` and the value in one ``$elemMatch`` so that the bounds on ``i.p`` and ``i.v``
(or ``i.lo``/``i.hi``) are compounded on the same array element.
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

INDEXES: list[IndexModel] = [
    IndexModel([("t", ASCENDING), ("i.p", ASCENDING), ("i.v", ASCENDING)], name="type_value"),
    IndexModel(
        [("t", ASCENDING), ("i.p", ASCENDING), ("i.lo", ASCENDING), ("i.hi", ASCENDING)],
        name="type_range",
    ),
    IndexModel([("cmp", ASCENDING), ("t", ASCENDING), ("lu", ASCENDING)], name="compartment"),
    IndexModel([("t", ASCENDING), ("lu", ASCENDING)], name="type_updated"),
    IndexModel([("t", ASCENDING), ("id", ASCENDING)], name="type_id"),
]
