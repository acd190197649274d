"""The NamingSystem resources that declare the EMC identifier systems (``profiles/NamingSystem-*.json``).

FHIR R4 NamingSystem (http://hl7.org/fhir/R4/namingsystem.html) declares an identifier system:
its URI (preferred), and here also the name-based UUID a CDA document uses as ``II.root`` and, for
SNILS, the official OID. The files are generated from :data:`mappers.identifiers.SYSTEMS` so the
code and the declarations cannot drift (a test compares them):

    .venv/bin/python -m mappers.naming_systems profiles
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from . import identifiers as ids
from . import terminology as t

DATE = "2026-11-25"
PUBLISHER = "Moscow EMC FHIR server project"
RUSSIA = {"coding": [{"system": "urn:iso:std:iso:3166", "code": "RU", "display": "Russian Federation"}]}


def naming_system(system: ids.IdSystem) -> dict[str, Any]:
    """The NamingSystem resource of one identifier system."""
    unique = [{"type": "uri", "value": system.uri, "preferred": True},
              {"type": "uuid", "value": system.uuid, "preferred": False,
               "comment": "Name-based UUID (RFC 4122 section 4.3) of the URI; the II.root of CDA documents"}]
    if system.uri == ids.SNILS:
        unique.append({"type": "oid", "value": ids.SNILS_OID, "preferred": False,
                       "comment": "The official OID of SNILS, as Russian structured medical documents use it"})
    resource: dict[str, Any] = {
        "resourceType": "NamingSystem",
        "id": f"emc-{system.name}",
        "text": {"status": "generated", "div": _div(system)},
        "name": "Emc" + "".join(part.capitalize() for part in system.name.split("-")),
        "status": "active",
        "kind": "identifier",
        "date": DATE,
        "publisher": PUBLISHER,
    }
    if system.type_code:
        resource["type"] = t.concept(t.V2_0203, system.type_code)
    resource |= {
        "description": f"{system.title}. {system.description}",
        "jurisdiction": [RUSSIA],
        "usage": f"Example value: {system.example}" if system.example else "",
        "uniqueId": unique,
    }
    if not resource["usage"]:
        del resource["usage"]
    return resource


def _div(system: ids.IdSystem) -> str:
    return (f'<div xmlns="http://www.w3.org/1999/xhtml"><p><b>{html.escape(system.title, quote=False)}</b></p>'
            f"<p>{html.escape(system.description, quote=False)}</p><p>URI: <code>{system.uri}</code></p></div>")


def file_name(system: ids.IdSystem) -> str:
    return f"NamingSystem-{system.name}.json"


def render(system: ids.IdSystem) -> str:
    """The file content: pretty JSON, UTF-8 text kept readable, newline at the end."""
    return json.dumps(naming_system(system), ensure_ascii=False, indent=2) + "\n"


def write_all(folder: Path) -> list[Path]:
    """Write every NamingSystem into ``folder``; returns the paths written."""
    paths = []
    for system in ids.SYSTEMS:
        path = folder / file_name(system)
        path.write_text(render(system), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "profiles")):
        print(written)
