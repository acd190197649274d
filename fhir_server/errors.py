"""Errors as values with an issue code; one handler turns them into OperationOutcome.

Every failure the server reports is a :class:`FhirError`. The HTTP status and the
OperationOutcome ``issue.code`` (http://hl7.org/fhir/R4/valueset-issue-type.html)
travel together so that no handler has to pick a status on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Issue:
    """One ``OperationOutcome.issue``."""

    code: str
    diagnostics: str
    severity: str = "error"
    expression: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            out["expression"] = list(self.expression)
        return out


class FhirError(Exception):
    """Base class: carries the status and the issues of the OperationOutcome."""

    status = 500
    code = "exception"

    def __init__(
        self,
        diagnostics: str,
        *,
        expression: list[str] | None = None,
        issues: list[Issue] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.issues = issues or [Issue(self.code, diagnostics, expression=expression or [])]
        self.headers = headers or {}

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)


class BadRequest(FhirError):
    """400: the request cannot be understood (malformed JSON, bad parameter)."""

    status = 400
    code = "invalid"


class InvalidResource(BadRequest):
    """400: the resource does not conform to the base specification (structure)."""

    code = "structure"


class UnprocessableEntity(FhirError):
    """422: the resource is well formed but breaks a profile or business rule."""

    status = 422
    code = "processing"


class Unauthorized(FhirError):
    status = 401
    code = "login"


class Forbidden(FhirError):
    status = 403
    code = "forbidden"


class NotFound(FhirError):
    """404: unknown resource type, or a resource that is absent (or out of reach)."""

    status = 404
    code = "not-found"


class MethodNotAllowed(FhirError):
    status = 405
    code = "not-supported"


class Gone(FhirError):
    """410: the resource was deleted; its history is still readable."""

    status = 410
    code = "deleted"


class Conflict(FhirError):
    status = 409
    code = "conflict"


class PreconditionFailed(FhirError):
    """412: ``If-Match`` version mismatch, or a conditional interaction with several matches."""

    status = 412
    code = "conflict"


class VersionConflict(PreconditionFailed):
    """412: the version a write was computed from is no longer the current one (a lost race, or a
    stale ``If-Match``). A writer that chose that version itself (PATCH without ``If-Match``) may
    read again and retry."""


class PayloadTooLarge(FhirError):
    status = 413
    code = "too-costly"


class NotAcceptable(FhirError):
    status = 406
    code = "not-supported"


class UnsupportedMediaType(FhirError):
    status = 415
    code = "not-supported"


class NotImplementedYet(FhirError):
    status = 501
    code = "not-supported"


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.to_json() for i in issues]}


def information_outcome(message: str) -> dict[str, Any]:
    return operation_outcome([Issue("informational", message, severity="information")])
