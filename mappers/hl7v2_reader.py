"""Reading HL7 v2 files: character sets, messages, segments with their line numbers.

Parsing is python-hl7's (``hl7.parse``: segments, fields, repetitions, components,
sub-components and escape sequences, HL7 v2.5 chapter 2). This module adds what a mapper needs
around it: a file may hold several messages (optionally in FHS/BHS batch envelopes, chapter
2.10.3, or MLLP framing), segments may end in CR, LF or CRLF, the character set is named in
MSH-18 (table 0211), and every error must name the message, the segment, the field and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import hl7

from .errors import MappingError

ENVELOPE = {"FHS", "FTS", "BHS", "BTS"}
CHARSETS = {"": "utf-8", "UNICODE UTF-8": "utf-8", "UNICODE": "utf-8", "ASCII": "ascii",
            "8859/1": "latin-1", "8859/5": "iso-8859-5", "CP1251": "cp1251", "WINDOWS-1251": "cp1251"}
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")


@dataclass
class Segment:
    """One parsed segment, its ordinal among the segments of its type, and its line."""

    raw: hl7.Segment
    name: str
    ordinal: int
    line: int | None

    def where(self, field: int | None = None) -> str:
        label = f"{self.name}[{self.ordinal}]"
        return f"{label} field {field}" if field is not None else label

    def get(self, field: int, component: int = 1, repetition: int = 1, subcomponent: int = 1) -> str:
        """The unescaped value at ``field.repetition.component.subcomponent`` ('' when absent)."""
        try:
            value = self.raw.extract_field(1, field, repetition, component, subcomponent)
        except (IndexError, KeyError):
            return ""
        return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()

    def repetitions(self, field: int) -> int:
        """How many repetitions ``field`` has (0 when it is empty)."""
        if field >= len(self.raw) or not str(self.raw[field]):
            return 0
        value = self.raw[field]
        return len(value) if value and isinstance(value[0], hl7.Repetition) else 1

    def error(self, field: int | None, detail: str) -> MappingError:
        return MappingError(detail, where=self.where(field), line=self.line)


@dataclass
class Message:
    """One message: its segments in order, its number in the file and its control id."""

    segments: list[Segment]
    number: int

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    @property
    def label(self) -> str:
        control = self.msh.get(10)
        return f"message {self.number} ({control})" if control else f"message {self.number}"


def decode(data: bytes) -> str:
    """The text of an HL7 v2 file in the character set its first MSH-18 names (UTF-8 if none)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    charset = _msh18(data)
    if charset not in CHARSETS:
        raise MappingError(f"character set {charset!r} is not supported", where="MSH[1] field 18")
    try:
        return data.decode(CHARSETS[charset])
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + data[:exc.start].count(b"\r") - data[:exc.start].count(b"\r\n") + 1
        raise MappingError(f"the bytes are not {CHARSETS[charset]} text (MSH-18 is {charset or 'empty'})",
                           line=line) from None


def _msh18(data: bytes) -> str:
    start = data.find(b"MSH")
    if start < 0 or len(data) < start + 4:
        return ""
    header = re.split(rb"\r|\n", data[start:], maxsplit=1)[0].decode("latin-1")
    fields = header.split(header[3])
    return fields[17].split(header[4] if len(header) > 4 else "^")[0].strip().upper() if len(fields) > 17 else ""


def split_messages(text: str) -> list[list[tuple[int, str]]]:
    """The messages of a file as lists of ``(line number, segment text)``; envelopes dropped."""
    messages: list[list[tuple[int, str]]] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = raw.strip("\x0b\x1c\ufeff").rstrip()
        if not line:
            continue
        name = line[:3]
        if name in ENVELOPE:
            continue
        if name == "MSH":
            messages.append([])
        elif not messages:
            raise MappingError(f"{name!r} comes before any MSH segment", line=number)
        messages[-1].append((number, line))
    if not messages:
        raise MappingError("no MSH segment: this is not an HL7 v2 message")
    return messages


def parse_message(lines: list[tuple[int, str]], number: int = 1) -> Message:
    """Parse one message's segments (``(line, text)`` pairs) with python-hl7."""
    for line, text in lines:
        if not SEGMENT_ID.fullmatch(text[:3]) or (len(text) > 3 and text[3] != lines[0][1][3]):
            raise MappingError(f"{text[:20]!r} is not an HL7 segment", line=line)
    try:
        parsed = hl7.parse("\r".join(text for _, text in lines))
    except Exception as exc:  # python-hl7 raises several types for a broken MSH
        raise MappingError(f"cannot parse the message: {exc}", where="MSH[1]", line=lines[0][0]) from None
    counts: dict[str, int] = {}
    segments = []
    for raw, (line, _) in zip(parsed, lines, strict=True):
        name = str(raw[0])
        counts[name] = counts.get(name, 0) + 1
        segments.append(Segment(raw, name, counts[name], line))
    return Message(segments, number)
