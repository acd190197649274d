"""Laboratory results as HL7 v2.5 ``ORU^R01`` messages, as a Moscow laboratory information system sends them.

One message per order: MSH (the lab as sending facility, UTF-8), PID (MHI number with assigning
authority ``MHI``, SNILS), PV1, ORC/OBR (placer and filler numbers, the panel's LOINC code), one OBX
per test (NM value, unit, reference range, abnormal flag). Text is escaped with the v2 escape
sequences (``\\S\\`` for ``^``...), which the units ``10^9/л`` need.
"""

from __future__ import annotations

from datetime import datetime

from ..events import LabOrder
from ..labs import flag, range_text
from ..people import Person

SEXES = {"male": "M", "female": "F"}
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def escape(text: str) -> str:
    for char, sequence in _ESCAPES:
        text = text.replace(char, sequence)
    return text


def ts(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


def message(person: Person, order: LabOrder) -> str:
    """The ORU^R01 message of one order; segments end with CR as the standard says."""
    e = escape
    doc = order.doctor
    provider = f"{doc.snils}^{e(doc.family)}^{e(doc.given)}^{e(doc.patronymic)}"
    code, name = order.panel
    segments = [
        f"MSH|^~\\&|LIS|{order.lab}|EMC|DZM|{ts(order.reported)}+0300||ORU^R01^ORU_R01|{order.lab}-{order.filler}"
        "|P|2.5|||AL|NE|RUS|UNICODE UTF-8",
        f"PID|1||{person.mhi}^^^MHI^JHN~{person.snils}^^^SNILS^SB||{e(person.family)}^{e(person.given)}^"
        f"{e(person.patronymic)}||{person.birth:%Y%m%d}|{SEXES[person.sex]}|||{e(person.address.line)}^^Москва^^"
        f"{person.address.district.postal_code}^RUS",
        f"PV1|1|O|{order.clinic}",
        f"ORC|RE|{order.placer}|{order.filler}^{order.lab}||CM",
        f"OBR|1|{order.placer}|{order.filler}^{order.lab}|{code}^{e(name)}^LN|||{ts(order.collected)}|||||||"
        f"{ts(order.collected)}||{provider}||||||{ts(order.reported)}|||F",
    ]
    for n, result in enumerate(order.results, start=1):
        value = f"{result.value:.{result.decimals}f}"
        unit = e(result.unit)
        segments.append(f"OBX|{n}|NM|{result.loinc}^{e(result.name)}^LN||{value}|{unit}^{unit}^L|"
                        f"{e(range_text(result))}|{flag(result)}|||F|||{ts(order.collected)}")
    return "\r".join(segments) + "\r"
