"""The one error every mapper raises on bad input: :class:`MappingError`.

A clinical system that sends a malformed message must be told exactly where the fault is, so the
message names the source (file and, in a multi-message file, the message), the place inside it
(segment and field, XML element, JSON path, DICOM tag) and the line when the format has lines:

    lab.hl7: message 2 (MSG00002): OBX[3] field 5: "abc" is not a number (line 7)

Inner functions raise with the place they know; callers higher up add the source with
:meth:`MappingError.within`, so no function needs to carry the file name around.
"""

from __future__ import annotations


class MappingError(ValueError):
    """A source document that cannot be mapped to FHIR; ``str()`` names where and why."""

    def __init__(self, detail: str, *, where: str | None = None, line: int | None = None,
                 source: str | None = None) -> None:
        self.detail = detail
        self.where = where
        self.line = line
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        text = ": ".join([*parts, self.detail])
        return f"{text} (line {self.line})" if self.line is not None else text

    def within(self, source: str | None = None, *, where: str | None = None,
               line: int | None = None) -> MappingError:
        """The same error placed inside an outer context (a file, a message...).

        ``source`` replaces an unknown source and prefixes a known one; ``where`` prefixes the
        place; ``line`` is used only when the error has none yet.
        """
        new_source = self.source if source is None else (f"{source}: {self.source}" if self.source else source)
        new_where = self.where if where is None else (f"{where}: {self.where}" if self.where else where)
        error = MappingError(self.detail, where=new_where, line=self.line if self.line is not None else line,
                             source=new_source)
        error.__cause__ = self.__cause__
        return error
